/** Vega-Lite specs for the figures the experiments draw: line charts, bar charts and heatmaps. */
import { Tensor } from '../tensor/tensor.js';

type Row = Record<string, number | string>;

/** A y axis whose field name is not the words a reader should see; `percent`: the values are fractions, shown as %. */
export interface YAxis {
  field: string;
  title: string;
  percent?: boolean;
}

/** The y axis of an error rate stored as a fraction under `field` (default 'testError'). */
export const errorAxis = (title = 'test error', field = 'testError'): YAxis => ({ field, title, percent: true });

/** One line (with points) of `y` against `x` per value of `series`. */
export function lineChart(values: Row[], x: string, y: string | YAxis, series?: string, title?: string): Record<string, unknown> {
  const axis = typeof y === 'string' ? { field: y } : { field: y.field, title: y.title, ...(y.percent ? { axis: { format: '.0%' } } : {}) };
  return {
    title,
    width: 360,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: x, type: 'quantitative' },
      y: { ...axis, type: 'quantitative', scale: { zero: false } },
      ...(series ? { color: { field: series, type: 'nominal' } } : {}),
    },
  };
}

/** Bars of `y` per `x`; with `group`, one bar per group side by side within each x (e.g. a value under two settings). */
export function barChart(values: Row[], x: string, y: string, title?: string, group?: string): Record<string, unknown> {
  const quantity = { field: y, type: 'quantitative' };
  const encoding =
    group === undefined
      ? { x: { field: x, type: 'ordinal' }, y: quantity }
      : { x: { field: x, type: 'nominal', sort: null }, xOffset: { field: group, type: 'nominal' }, y: quantity, color: { field: group, type: 'nominal' } };
  return { title, width: 360, height: 200, data: { values }, mark: 'bar', encoding };
}

/**
 * A heatmap of a matrix (rows top to bottom). Large matrices are cut to their first `maxSide`
 * rows and columns so that the SVG stays small; the title says so.
 */
export function heatmap(m: Tensor, title: string, { maxSide = 64, scheme = 'viridis', domain }: { maxSide?: number; scheme?: string; domain?: [number, number] } = {}): Record<string, unknown> {
  const [rows, cols] = m.shape;
  const [r, c] = [Math.min(rows, maxSide), Math.min(cols, maxSide)];
  const values: Row[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) values.push({ row: i, col: j, value: +m.data[i * cols + j].toFixed(4) });
  const cut = r < rows || c < cols ? ` (first ${r}×${c} of ${rows}×${cols})` : '';
  const cell = Math.max(2, Math.min(16, Math.floor(320 / Math.max(r, c))));
  return {
    title: title + cut,
    data: { values },
    mark: 'rect',
    width: cell * c,
    height: cell * r,
    encoding: {
      x: { field: 'col', type: 'ordinal', axis: c > 16 ? null : {} },
      y: { field: 'row', type: 'ordinal', axis: r > 16 ? null : {} },
      color: { field: 'value', type: 'quantitative', scale: { scheme, ...(domain ? { domain } : {}) } },
    },
  };
}

/** Several small heatmaps (one per row of `images` [K, side·side]) side by side. */
export function imageGrid(images: Tensor, side: number, title: string, labels?: string[]): Record<string, unknown> {
  const [k] = images.shape;
  const values: Row[] = [];
  for (let n = 0; n < k; n++) {
    for (let i = 0; i < side; i++) {
      for (let j = 0; j < side; j++) values.push({ image: labels?.[n] ?? `#${n}`, row: i, col: j, value: +images.data[(n * side + i) * side + j].toFixed(4) });
    }
  }
  return {
    title,
    data: { values },
    facet: { field: 'image', type: 'nominal', sort: labels ?? null, title: null },
    columns: Math.min(k, 8),
    spec: {
      width: 3 * side,
      height: 3 * side,
      mark: 'rect',
      encoding: {
        x: { field: 'col', type: 'ordinal', axis: null },
        y: { field: 'row', type: 'ordinal', axis: null },
        color: { field: 'value', type: 'quantitative', scale: { scheme: 'redblue', domainMid: 0 } },
      },
    },
    resolve: { scale: { color: 'independent' } },
  };
}

export interface HistogramPanel {
  name: string;
  /** Bin edges and the histogram's probability per bin. */
  edges: readonly number[];
  probs: readonly number[];
  /** A reference distribution's masses on the same bins, drawn as a red line (e.g. N(0, 1024)). */
  reference?: readonly number[];
}

/**
 * Histograms as bars (probability per bin), each in its own panel, with an optional reference
 * distribution on the same bins as a red line: the layout of LB-repr Fig. 2/3.
 */
export function histogramPanels(panels: readonly HistogramPanel[], { title, referenceName = 'reference', columns = 5 }: { title?: string; referenceName?: string; columns?: number } = {}): Record<string, unknown> {
  const values: Row[] = [];
  for (const p of panels) {
    if (p.edges.length !== p.probs.length + 1 || (p.reference && p.reference.length !== p.probs.length)) {
      throw new Error(`histogramPanels: panel '${p.name}' has ${p.edges.length} edges, ${p.probs.length} probabilities and ${p.reference?.length ?? 0} reference masses`);
    }
    p.probs.forEach((v, i) => {
      const [lo, hi] = [p.edges[i], p.edges[i + 1]];
      values.push({ panel: p.name, series: 'histogram', lo: +lo.toFixed(4), hi: +hi.toFixed(4), mid: +((lo + hi) / 2).toFixed(4), p: +v.toFixed(6) });
      if (p.reference) values.push({ panel: p.name, series: referenceName, lo: +lo.toFixed(4), hi: +hi.toFixed(4), mid: +((lo + hi) / 2).toFixed(4), p: +p.reference[i].toFixed(6) });
    });
  }
  return {
    title,
    data: { values },
    facet: { field: 'panel', type: 'nominal', sort: panels.map((p) => p.name), title: null },
    columns: Math.min(columns, panels.length),
    spec: {
      width: 150,
      height: 100,
      layer: [
        {
          transform: [{ filter: "datum.series === 'histogram'" }],
          mark: { type: 'bar', color: '#4c78a8' },
          encoding: { x: { field: 'lo', type: 'quantitative', title: 'value' }, x2: { field: 'hi' }, y: { field: 'p', type: 'quantitative', title: 'probability per bin' }, y2: { datum: 0 } },
        },
        {
          transform: [{ filter: "datum.series !== 'histogram'" }],
          mark: { type: 'line', color: 'red' },
          encoding: { x: { field: 'mid', type: 'quantitative' }, y: { field: 'p', type: 'quantitative' } },
        },
      ],
    },
  };
}
