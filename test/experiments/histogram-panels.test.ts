// histogramPanels: the layout of LB-repr Fig. 2/3 (histograms against the N(0, 1024) curve).
import { describe, expect, it } from 'vitest';
import { histogramPanels } from '../../src/experiments/figures.js';
import { renderSvg } from '../../src/report/render.js';

describe('histogramPanels', () => {
  const edges = [0, 1, 2, 3, 4];
  const probs = [0.1, 0.4, 0.3, 0.2];

  it('puts one bar row per bin and one reference row per bin, panel by panel', async () => {
    const spec = histogramPanels([{ name: 'a', edges, probs, reference: [0.2, 0.3, 0.3, 0.2] }, { name: 'b', edges, probs }], { referenceName: 'N(0, 1024)' });
    const values = (spec.data as { values: Record<string, number | string>[] }).values;
    expect(values.filter((v) => v.series === 'histogram').length).toBe(8);
    expect(values.filter((v) => v.series === 'N(0, 1024)').map((v) => v.p)).toEqual([0.2, 0.3, 0.3, 0.2]);
    expect(values.filter((v) => v.panel === 'a' && v.series === 'histogram').map((v) => [v.lo, v.hi, v.p])).toEqual([[0, 1, 0.1], [1, 2, 0.4], [2, 3, 0.3], [3, 4, 0.2]]);
    const svg = await renderSvg(spec);
    expect((svg.match(/role-mark[^"]*bar|aria-roledescription="bar"/g) ?? []).length).toBeGreaterThan(0);
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('rejects panels whose edges, probabilities and reference disagree', () => {
    expect(() => histogramPanels([{ name: 'bad', edges, probs: [0.5, 0.5] }])).toThrow(/histogramPanels: panel 'bad' has 5 edges, 2 probabilities/);
    expect(() => histogramPanels([{ name: 'bad', edges, probs, reference: [1] }])).toThrow(/histogramPanels: panel 'bad'/);
  });
});
