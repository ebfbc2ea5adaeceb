/**
 * Renders the README's first example (after backward()) with explain(y, { format: 'svg' }) and
 * screenshots it in headless Chromium to docs/explain-graph.png, the picture the README shows.
 * It also checks, in the browser, that every line of text fits inside its box (the SVG estimates
 * text widths instead of measuring them). `npx tsx scripts/explain-graph.ts [out.png] [--svg out.svg]`
 */
import { writeFileSync } from 'node:fs';
import { explain, tensor } from '../src/index.js';
import { launchChromium } from '../test/chromium.js';

export function readmeGraphSvg(): string {
  const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const y = x.matmul(x).relu().sum();
  y.backward();
  return explain(y, { format: 'svg' });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const svgAt = args.indexOf('--svg');
  const svgOut = svgAt >= 0 ? args.splice(svgAt, 2)[1] : undefined;
  const out = args[0] ?? 'docs/explain-graph.png';
  const svg = readmeGraphSvg();
  if (svgOut) writeFileSync(svgOut, svg);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1.5 });
    await page.setContent(`<!doctype html><body style="margin:0;background:#fff">${svg}</body>`);
    const slack = await page.evaluate(() => {
      // the SVG elements this reads, typed here: the root tsconfig has no DOM types
      type Drawn = { querySelector(s: string): Drawn; querySelectorAll(s: string): Iterable<Drawn>; getBBox(): { width: number } };
      const document = (globalThis as unknown as { document: Drawn }).document;
      let least = Infinity;
      for (const g of document.querySelectorAll('g.node')) {
        const box = g.querySelector('rect.box').getBBox();
        for (const t of g.querySelectorAll('text')) least = Math.min(least, box.width - t.getBBox().width);
      }
      return least;
    });
    if (!(slack >= 4)) throw new Error(`a line of text overflows its box (least room ${slack} px)`);
    const png = await page.locator('svg').screenshot({ type: 'png' });
    writeFileSync(out, png);
    console.log(`${out}: ${png.length} bytes; text fits its boxes with ≥ ${slack.toFixed(0)} px to spare`);
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
