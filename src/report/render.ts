/** Renders a Vega-Lite spec to a standalone SVG string, in Node, with no browser and no network. */
import { importOptional } from '../node/optional.js';

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let libraries: Promise<[Vega, VegaLite]> | null = null;

/** vega and vega-lite (≈ 27 MB, optional peers) load on the first figure, not with the package. */
function load(): Promise<[Vega, VegaLite]> {
  libraries ??= Promise.all([importOptional<Vega>('vega', 'rendering a figure'), importOptional<VegaLite>('vega-lite', 'rendering a figure')]);
  return libraries;
}

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, { compile }] = await load();
  const compiled = compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
