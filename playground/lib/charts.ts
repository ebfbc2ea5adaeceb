// Vega-Lite figures in the page: each chart is compiled and parsed once, and its data are replaced
// on every update (view.data(...).runAsync()), which is what keeps a slider responsive.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11.5, titleFontWeight: 500, titleColor: '#5d6677', labelColor: '#1d2330', gridColor: '#edf0f4', domainColor: '#c5ccd8', tickColor: '#c5ccd8' },
  legend: { labelFontSize: 11, titleFontSize: 11.5, titleFontWeight: 500, titleColor: '#5d6677', orient: 'top' },
  header: { labelFontSize: 11.5, titleFontSize: 11.5 },
  range: { category: ['#2f6fdb', '#e4572e', '#1a8a4a', '#8e44ad', '#f2a900', '#5d6677'] },
  bar: { cornerRadiusEnd: 2 },
};

export interface Chart {
  update(data: Record<string, unknown[]>): Promise<void>;
}

/**
 * A chart in `el` from a Vega-Lite spec whose data sources are named (`data: { name: 'table' }`),
 * filled by `update({ table: rows })`.
 */
export function chart(el: HTMLElement, spec: Record<string, unknown>): Chart {
  const compiled = compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: CONFIG, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'svg', container: el, hover: false, logLevel: vega.Warn });
  let pending: Promise<unknown> = Promise.resolve();
  return {
    update(data) {
      for (const [name, values] of Object.entries(data)) view.data(name, values as object[]);
      pending = pending.then(() => view.runAsync());
      return pending.then(() => undefined);
    },
  };
}
