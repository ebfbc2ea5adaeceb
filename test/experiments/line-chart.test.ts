// lineChart's y axis: a field name as it is, or the words a reader should see (and % for fractions).
import { describe, expect, it } from 'vitest';
import { errorAxis, lineChart } from '../../src/experiments/figures.js';
import { renderSvg } from '../../src/report/render.js';

describe('lineChart', () => {
  const rows = [
    { epoch: 1, testError: 0.25, model: 'a' },
    { epoch: 2, testError: 0.125, model: 'a' },
  ];

  it('titles the y axis with the words given and shows fractions as percentages', async () => {
    const svg = await renderSvg(lineChart(rows, 'epoch', errorAxis(), 'model'));
    expect(svg).toContain('>test error</text>');
    expect(svg).not.toContain('>testError</text>');
    expect(svg).toMatch(/>2[05]%<\/text>/); // a tick label in percent
  });

  it('keeps a bare field name as the axis title, with plain numbers', async () => {
    const svg = await renderSvg(lineChart(rows, 'epoch', 'testError', 'model'));
    expect(svg).toContain('>testError</text>');
    expect(svg).not.toMatch(/\d%<\/text>/);
  });
});
