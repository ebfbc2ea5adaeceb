/** Renders a Vega-Lite spec to a standalone SVG string, in Node, with no browser and no network. */
import * as vega from 'vega';
import { compile } from 'vega-lite';

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
