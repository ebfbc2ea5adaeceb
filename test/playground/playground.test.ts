// The playground (npm run playground): built with esbuild, opened from disk (file://, as a reader
// would open the built folder offline) in headless Chromium at a laptop's 1366×768. Every lesson is
// driven (a slider moved, "step" pressed, a button clicked), and the numbers it shows must equal
// this process's computation of the same quantities with the library, to float32 precision. No
// console errors, no horizontal scrolling; a screenshot of each lesson goes to test/.output/playground/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendInfo, noGrad, prob, ready, Rng, Tensor, tensor } from '../../src/index.js';
import { buildPlayground } from '../../scripts/playground.js';
import { DCIM_SAMPLE_SEED, DCIM_SAMPLES, DCIM_SEED, DRMM_SEED, dcimNetwork, drmmModel, poeWeights, WORKED_EXAMPLE } from '../../playground/lessons/models.js';
import { haveChromium, launchChromium, skippedWithoutChromium, watchedPage } from '../chromium.js';

/** What the tests read of a page element (the root tsconfig has no DOM types: they would also reach src/). */
type PageElement = { dataset: Record<string, string | undefined>; value: string };

const OUT = join('test', '.output', 'playground');
type Browser = Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser | null = null;
let url = '';

beforeAll(async () => {
  if (!haveChromium) return;
  const { index } = await buildPlayground({ outDir: join('test', '.output', 'playground', 'site') });
  await ready();
  // The page uses the same GEMM kernel as this process (Node 20 has no relaxed SIMD, Chromium does).
  url = `${pathToFileURL(index).href}?fma=${backendInfo().fusedMultiplyAdd ? 1 : 0}`;
  mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

/** Every number the page marks with data-q, at full precision. */
async function shown(page: Page): Promise<Record<string, number>> {
  return page.$$eval('.lesson.active [data-q]', (els) => Object.fromEntries(els.map((e) => [(e as unknown as PageElement).dataset.q!, Number((e as unknown as PageElement).dataset.value)])));
}

/** float32 precision: a few units in the last place of the larger magnitude. */
function close(actual: number | undefined, expected: number, what: string): void {
  expect(actual, what).toBeTypeOf('number');
  expect(Math.abs(actual! - expected), `${what}: page ${actual}, Node ${expected}`).toBeLessThanOrEqual(4 * 2 ** -23 * Math.max(1, Math.abs(expected)));
}

async function setSlider(page: Page, q: string, value: number): Promise<void> {
  await page.$eval(`[data-slider="${q}"]`, (el, v) => {
    const input = el as unknown as PageElement & { dispatchEvent(e: Event): boolean };
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function sliderValues(page: Page, prefix: string, n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => page.$eval(`[data-slider="${prefix}.${i}"]`, (el) => Number((el as unknown as PageElement).value))));
}

/** Opens a lesson, runs `drive`, then checks the page's health and saves a screenshot. */
async function lesson(id: string, drive: (page: Page) => Promise<void>): Promise<void> {
  const { page, problems } = await watchedPage(browser!);
  try {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${url}#${id}`, { waitUntil: 'load' });
    await page.waitForSelector(`#lesson-${id}.active [data-q]`, { state: 'attached' });
    await drive(page);
    await page.waitForTimeout(300); // the charts render asynchronously
    const [scroll, client] = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return [root.scrollWidth, root.clientWidth];
    });
    expect(scroll, 'no horizontal scrolling at 1366×768').toBeLessThanOrEqual(client);
    expect(await page.$$eval(`#lesson-${id} .chart svg, #lesson-${id} .svg-graph svg`, (els) => els.every((e) => e.getBoundingClientRect().width > 0))).toBe(true);
    await page.screenshot({ path: join(OUT, `${id}.png`), fullPage: true });
    expect(problems).toEqual([]);
  } finally {
    await page.close();
  }
}

describe('the playground page', () => {
  it.skipIf(!haveChromium)(`lesson 1: stepping through backward gives backward()'s gradients${skippedWithoutChromium}`, async () => {
    await lesson('backward', async (page) => {
      // A typed expression with an edited input, run to the end.
      await page.fill('[data-expr]', 'sigmoid(w*x + b) * log(1 + x^2)');
      await page.waitForSelector('[data-var="w"]');
      await page.fill('[data-var="w"]', '-0.7');
      await page.dispatchEvent('[data-var="w"]', 'change');
      await page.click('[data-action="run"]');
      let q = await shown(page);
      const [w, x, bb] = await Promise.all(['w', 'x', 'b'].map(async (v) => tensor(Number(await page.inputValue(`[data-var="${v}"]`)), { requiresGrad: true })));
      expect(w.item()).toBeCloseTo(-0.7, 6);
      const out = w.mul(x).add(bb).sigmoid().mul(tensor(1).add(x.pow(tensor(2))).log());
      out.backward();
      for (const [name, t] of [['w', w], ['x', x], ['b', bb]] as const) close(q[`backward.grad.${name}`], t.grad!.item(), `∂L/∂${name}`);
      expect(await page.$eval('[data-q="backward.complete"]', (e) => e.textContent)).toContain('backward()');
      expect(await page.$eval('[data-q="backward.gradcheck"]', (e) => (e as unknown as PageElement).dataset.value)).toBe('true');

      // The first preset, a*b + tanh(a) at a = 0.5, b = −1.5: three VJPs, one press each.
      await page.selectOption('select[aria-label="preset expressions"]', '0');
      const a = tensor(0.5, { requiresGrad: true }), b = tensor(-1.5, { requiresGrad: true });
      const y = a.mul(b).add(a.tanh());
      y.backward();
      q = await shown(page);
      close(q['backward.y'], y.item(), 'y');
      await page.click('[data-action="step"]'); // add: ∂L/∂out = 1 goes to both inputs
      q = await shown(page);
      expect(q['backward.step.g']).toBe(1);
      expect([q['backward.step.out.0'], q['backward.step.out.1']]).toEqual([1, 1]);
      await page.click('[data-action="step"]');
      await page.click('[data-action="step"]');
      expect(await page.isDisabled('[data-action="step"]')).toBe(true);
      q = await shown(page);
      close(q['backward.grad.a'], a.grad!.item(), '∂L/∂a');
      close(q['backward.grad.b'], b.grad!.item(), '∂L/∂b');
      // Back to the seed, one step in: the node whose VJP is next is highlighted (table and picture).
      await page.click('[data-action="reset"]');
      await page.click('[data-action="step"]');
      expect(await page.$$eval('.graph-table tr.active', (rows) => rows.length)).toBe(1);
      const svg = await page.$$eval('.svg-graph svg', (els) => els.length);
      if (svg > 0) expect(await page.$$eval('.svg-graph .node.active', (els) => els.length)).toBe(1);
    });
  });

  it.skipIf(!haveChromium)(`lesson 2: the bars are prob.layerGibbs of the sliders${skippedWithoutChromium}`, async () => {
    await lesson('gibbs', async (page) => {
      let q = await shown(page);
      const worked = prob.layerGibbs(tensor(WORKED_EXAMPLE));
      WORKED_EXAMPLE.forEach((_, n) => close(q[`gibbs.p.${n}`], worked.probs.data[n], `P(f${n + 1}) at §5.1`));
      expect(q['gibbs.p.0'].toFixed(2)).toBe('0.20');
      expect(q['gibbs.p.5'].toFixed(2)).toBe('0.07');
      await setSlider(page, 'gibbs.f.2', 2.37);
      await setSlider(page, 'gibbs.f.6', -1.5);
      q = await shown(page);
      const f = tensor(await sliderValues(page, 'gibbs.f', 7), { requiresGrad: true });
      const { probs, logZ } = prob.layerGibbs(f);
      logZ.sum().backward();
      close(q['gibbs.logZ'], logZ.item(), 'log Z');
      for (let n = 0; n < 7; n++) {
        close(q[`gibbs.p.${n}`], probs.data[n], `P(f${n + 1})`);
        close(q[`gibbs.grad.${n}`], f.grad!.data[n], `∂ log Z/∂f${n + 1}`);
      }
    });
  });

  it.skipIf(!haveChromium)(`lesson 3: the product of experts is prob.poe and equals softmax${skippedWithoutChromium}`, async () => {
    await lesson('poe', async (page) => {
      await setSlider(page, 'poe.f.1', 1.25);
      await page.click('[data-action="reseed"]');
      const q = await shown(page);
      expect(q['poe.seed']).toBe(2);
      const { gamma, b } = poeWeights(q['poe.seed']);
      const f = tensor([await sliderValues(page, 'poe.f', 4)]);
      const r = prob.poe(f, gamma, b);
      const soft = f.matmul(gamma).add(b).softmax(1);
      for (let k = 0; k < 4; k++) close(q[`poe.expert.${k}`], r.experts.data[k], `expert ${k + 1}`);
      for (let l = 0; l < 3; l++) {
        close(q[`poe.prob.${l}`], r.probs.data[l], `PoE P(y${l + 1})`);
        close(q[`poe.softmax.${l}`], soft.data[l], `softmax y${l + 1}`);
        close(q[`poe.logZpp.${l}`], r.logZpp.data[l], `log Z''_${l + 1}`);
      }
    });
  });

  it.skipIf(!haveChromium)(`lesson 4: forward pass, exact marginals and samples are prob.dcim's${skippedWithoutChromium}`, async () => {
    await lesson('dcim', async (page) => {
      await setSlider(page, 'dcim.x.1', 0.35);
      await setSlider(page, 'dcim.scale', 0.6);
      const q = await shown(page);
      const x0v = await sliderValues(page, 'dcim.x', 3);
      const s = Number(await page.$eval('[data-slider="dcim.scale"]', (e) => (e as unknown as PageElement).value));
      const x0 = tensor([x0v]);
      const { dcim } = dcimNetwork(DCIM_SEED, s);
      const fwd = dcim.expectations(x0);
      const exact = dcim.exactMarginals(x0);
      const n = DCIM_SAMPLES;
      const freq = noGrad(() => dcim.sample(new Tensor(new Float32Array(n * 3).map((_, i) => x0.data[i % 3]), [n, 3]), new Rng(DCIM_SAMPLE_SEED)).map((t) => t.mean(0)));
      let err = 0;
      fwd.forEach((layer, k) => layer.data.forEach((v, j) => {
        close(q[`dcim.fwd.${k}.${j}`], v, `x̄ layer ${k + 1} unit ${j + 1}`);
        close(q[`dcim.exact.${k}.${j}`], exact[k].data[j], `exact layer ${k + 1} unit ${j + 1}`);
        close(q[`dcim.sample.${k}.${j}`], freq[k].data[j], `sample frequency layer ${k + 1} unit ${j + 1}`);
        err = Math.max(err, Math.abs(v - exact[k].data[j]));
      }));
      close(q['dcim.maxerr'], err, 'max error of (2)');
      expect(q['dcim.netdiff']).toBe(0); // the DCIM's recursion is the network's forward pass
    });
  });

  it.skipIf(!haveChromium)(`lesson 5: bottom-up scores equal brute-force max-sum (prob.drmm)${skippedWithoutChromium}`, async () => {
    await lesson('drmm', async (page) => {
      await page.selectOption('[data-control="class"]', '2');
      await page.click('[data-action="draw"]');
      await setSlider(page, 'drmm.sigma', 0.5);
      const q = await shown(page);
      const pixels = JSON.parse(await page.$eval('[data-q="drmm.image"]', (e) => (e as unknown as PageElement).dataset.value!)) as number[];
      const sigma = Number(await page.$eval('[data-slider="drmm.sigma"]', (e) => (e as unknown as PageElement).value));
      const model = drmmModel(DRMM_SEED, sigma);
      const image = new Tensor(Float32Array.from(pixels), [1, 1, 6, 6]);
      const { scores, latents } = noGrad(() => model.infer(image));
      const brute = model.bruteForceMaxSum(image);
      const cHat = [...scores.data].indexOf(Math.max(...scores.data));
      for (let c = 0; c < 3; c++) {
        close(q[`drmm.bottomUp.${c}`], scores.data[c], `bottom-up score ${c + 1}`);
        close(q[`drmm.brute.${c}`], brute.scores[c], `brute-force score ${c + 1}`);
      }
      expect(q['drmm.cHat']).toBe(cHat);
      expect(q['drmm.cBrute']).toBe(brute.c);
      close(q['drmm.dot'], noGrad(() => model.topDown(cHat, latents).mul(image).sum().item()), '⟨Λ_ĝ μ_ĉ, I⟩');
    });
  });
});
