// Each experiment's tiny run, the runner's keep-finished-results path, and the HTML report.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { experiments, findExperiment } from '../../src/experiments/index.js';
import { linears, sigmoidMlp } from '../../src/experiments/common.js';
import { VERDICTS } from '../../src/experiments/claims.js';
import { buildReport } from '../../src/report/html.js';
import { Rng } from '../../src/tensor/rng.js';
import { haveChromium, launchChromium, skippedWithoutChromium, watchedPage, CHROMIUM } from '../chromium.js';
import { runExperiment } from '../../src/report/runner.js';

const out = mkdtempSync(join(tmpdir(), 'gg-results-'));

describe('experiments (tiny runs)', () => {
  it.each(experiments.map((e) => e.name))('%s runs, writes result.json and its SVG figures', async (name) => {
    const { result, reused } = await runExperiment(findExperiment(name), { mode: 'tiny', seed: 1, outDir: out });
    expect(reused).toBe(false);
    expect(result.claims.length).toBeGreaterThan(0);
    for (const c of result.claims) expect(typeof c.measured).toBe('string');
    const stored = JSON.parse(readFileSync(join(out, name, 'result.json'), 'utf8'));
    expect(stored.name).toBe(name);
    for (const f of result.figures) expect(readFileSync(join(out, name, `${f.name}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('keeps a finished result for the same mode and seed, and reruns for another seed', async () => {
    const exp = findExperiment('energy-min');
    const again = await runExperiment(exp, { mode: 'tiny', seed: 1, outDir: out });
    expect(again.reused).toBe(true);
    const other = await runExperiment(exp, { mode: 'tiny', seed: 2, outDir: out });
    expect(other.reused).toBe(false);
  });

  it('gives the same numbers for the same seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-repeat-'));
    const a = await runExperiment(findExperiment('diagonal-gibbs'), { mode: 'tiny', seed: 5, outDir: dir });
    const b = await runExperiment(findExperiment('diagonal-gibbs'), { mode: 'tiny', seed: 5, outDir: dir, force: true });
    expect(b.reused).toBe(false);
    const differing = Object.keys(a.result.metrics).filter((k) => JSON.stringify(a.result.metrics[k]) !== JSON.stringify(b.result.metrics[k]));
    expect(differing).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it('sigmoidMlp with gaussianStd starts from N(0, σ²) weights and zero biases (LB-hidden K.2)', () => {
    for (const layer of linears(sigmoidMlp([400, 300, 10], new Rng(7), { gaussianStd: 0.1 }))) {
      const w = layer.weight.data;
      const mean = w.reduce((s, v) => s + v, 0) / w.length;
      const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
      expect(Math.abs(mean)).toBeLessThan(4 * 0.1 / Math.sqrt(w.length));
      expect(std).toBeGreaterThan(0.097);
      expect(std).toBeLessThan(0.103);
      expect([...layer.bias!.data].every((b) => b === 0)).toBe(true);
    }
  });

  it('rejects unknown experiment names with the list of known ones', () => {
    expect(() => findExperiment('nope')).toThrow(/unknown experiment 'nope' \(available: diagonal-gibbs/);
  });
});

describe('report', () => {
  it('puts the claims table first and inlines every figure', () => {
    const { path, results } = buildReport(out, experiments);
    expect(existsSync(path)).toBe(true);
    const html = readFileSync(path, 'utf8');
    expect(html.indexOf('<h2>Claims</h2>')).toBeLessThan(html.indexOf('<section'));
    const figures = results.reduce((n, r) => n + r.figures.length, 0);
    expect((html.match(/<figure data-figure=/g) ?? []).length).toBe(figures);
    expect((html.match(/<svg/g) ?? []).length).toBe(figures);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // offline: no scripts, no remote resources
  });

  it('opens the claims with one bar per experiment whose parts count its claims by verdict and link to its section', () => {
    const { path, results } = buildReport(out, experiments);
    const html = readFileSync(path, 'utf8');
    expect(results.length).toBeGreaterThan(0); // the tiny runs above filled the report
    const rows = [...html.matchAll(/<tr><td><a href="#([^"]+)">[^<]*<\/a><\/td><td><div class="bar"[^>]*>(.*?)<\/div>/g)];
    expect(rows.map((m) => m[1])).toEqual(results.map((r) => r.name));
    for (const [i, r] of results.entries()) {
      const parts = [...rows[i][2].matchAll(/title="(\d+) ([^"]+)"/g)].map((m) => [m[2], Number(m[1])]);
      const expected = VERDICTS.map((v): [string, number] => [v, r.claims.filter((c) => c.verdict === v).length]).filter(([, n]) => n > 0);
      expect(parts).toEqual(expected);
      expect(html).toContain(`<section id="${r.name}">`);
    }
  });
});

// The report as a person sees it: Debian's chromium (CI installs it, see .ci/run) opens index.html.
if (!haveChromium) console.warn(`report-in-Chromium test skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

describe('report in headless Chromium', () => {
  it.skipIf(!haveChromium)(`renders every figure with no console errors${skippedWithoutChromium}`, async () => {
    const { path, results } = buildReport(out, experiments);
    const browser = await launchChromium();
    try {
      const { page, problems } = await watchedPage(browser);
      await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
      const figures = await page.$$eval('figure', (fs) =>
        fs.map((f) => {
          const box = f.querySelector('svg')?.getBoundingClientRect();
          return { name: f.getAttribute('data-figure'), width: box?.width ?? 0, height: box?.height ?? 0 };
        }),
      );
      expect(figures.length).toBeGreaterThan(0); // the tiny runs above filled the report
      expect(figures.length).toBe(results.reduce((n, r) => n + r.figures.length, 0));
      expect(figures.filter((f) => !(f.width > 0 && f.height > 0))).toEqual([]);
      expect(await page.locator('h2', { hasText: 'Claims' }).count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
