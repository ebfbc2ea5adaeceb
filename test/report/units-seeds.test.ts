// Runs split into units and seeds: each (mode, seed, unit) stored as it finishes, the merged
// result.json rebuilt from all of them, and `report --from` rebuilding a report from a folder of runs.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClaimList, errorRate } from '../../src/experiments/claims.js';
import type { Experiment, ExperimentFindings } from '../../src/experiments/types.js';
import { buildReport } from '../../src/report/html.js';
import { loadResult, loadRuns, runExperiment, runFile, writeMergedResult } from '../../src/report/runner.js';

const root = mkdtempSync(join(tmpdir(), 'gg-units-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const figure = (name: string) => ({ name, title: name, spec: { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: [{ x: 1, y: 2 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } } });

/** Unit 'prior' learns a number; unit 'model' needs it; merge compares the two units' error rates. */
const calls: string[] = [];
const split: Experiment = {
  name: 'units-probe',
  title: 'units probe',
  paper: '—',
  units: () => ['prior', 'model'],
  run(ctx) {
    calls.push(`${ctx.seed}/${ctx.unit}`);
    if (ctx.unit === 'prior') return { data: 'd', metrics: { prior: 0.25 + ctx.rng.uniform() * 1e-3 }, claims: [], figures: [] };
    const prior = ctx.readUnit?.('prior');
    if (!prior) throw new Error("units-probe: run unit 'prior' first");
    return { data: 'd', metrics: { error: (prior.metrics.prior as number) - 0.2 }, claims: [], figures: [figure('curve')] };
  },
  merge(parts) {
    const byUnit = Object.fromEntries(parts.map((p) => [p.unit, p.findings])) as Record<string, ExperimentFindings>;
    const claims = new ClaimList('units-probe');
    claims.add({ claim: 'the model beats the prior', paperValue: '—', measured: '', values: { model: errorRate(byUnit.model.metrics.error as number, 10000), prior: errorRate(byUnit.prior.metrics.prior as number, 10000) }, test: [{ left: 'model', op: '<', right: 'prior' }] });
    return { data: 'merged', scale: { ours: '1 / 1', paper: '2 / 2' }, metrics: { prior: byUnit.prior.metrics.prior }, claims: claims.rows, figures: byUnit.model.figures };
  },
};

/** No units; each seed measures a slightly different gap between two error rates. */
const seeded: Experiment = {
  name: 'seeds-probe',
  title: 'seeds probe',
  paper: '—',
  run(ctx) {
    const claims = new ClaimList('seeds-probe');
    const a = 0.1 + 0.01 * ctx.seed;
    claims.add({ claim: 'a < b', paperValue: '—', measured: `seed ${ctx.seed}`, values: { a: errorRate(a, 10000), b: errorRate(a + 0.02, 10000) }, test: [{ left: 'a', op: '<', right: 'b' }] });
    return { data: 'd', metrics: { seed: ctx.seed }, claims: claims.rows, figures: [] };
  },
};

/** Units 'a' and 'b' each decide one claim of their own, so a seed may run one of them only ('a' on 10,000 test images, 'b' on 100). */
const standalone: Experiment = {
  name: 'standalone-probe',
  title: 'standalone units probe',
  paper: '—',
  units: () => ['a', 'b'],
  run(ctx) {
    return { data: 'd', metrics: { gap: 0.02 + 0.001 * ctx.seed }, claims: [], figures: [] };
  },
  unitClaims(unit, findings) {
    const claims = new ClaimList('standalone-probe');
    const gap = findings.metrics.gap as number;
    const n = unit === 'a' ? 10000 : 100;
    claims.add({ claim: `unit ${unit}: x < y`, paperValue: '—', measured: '', values: { x: errorRate(0.1, n), y: errorRate(0.1 + gap, n) }, test: [{ left: 'x', op: '<', right: 'y' }] });
    return claims.rows;
  },
  merge(parts, mode) {
    return { data: 'merged', metrics: {}, claims: parts.flatMap((p) => standalone.unitClaims!(p.unit, p.findings, mode)), figures: [] };
  },
};

describe('units', () => {
  const out = join(root, 'units');

  it('a unit that needs another says so; after it, the merged result appears', async () => {
    await expect(runExperiment(split, { mode: 'quick', seed: 0, unit: 'model', outDir: out })).rejects.toThrow(/run unit 'prior' first/);
    const first = await runExperiment(split, { mode: 'quick', seed: 0, unit: 'prior', outDir: out });
    expect(first.complete).toBe(false);
    expect(existsSync(runFile(out, split.name, { mode: 'quick', seed: 0, unit: 'prior' }))).toBe(true);
    expect(loadResult(out, split.name)).toBeNull();
    // the report names how far the units got
    expect(readFileSync(buildReport(out, [split]).path, 'utf8')).toContain('not run: units-probe (quick, seed 0: 1 of 2 units)');
    const second = await runExperiment(split, { mode: 'quick', seed: 0, unit: 'model', outDir: out });
    expect(second.complete).toBe(true);
    const merged = loadResult(out, split.name)!;
    expect(merged.claims.map((c) => c.verdict)).toEqual(['holds']);
    expect(merged.runs?.map((r) => r.unit)).toEqual(['prior', 'model']);
    expect(merged.scale).toEqual({ ours: '1 / 1', paper: '2 / 2' });
    expect(readFileSync(join(out, split.name, 'curve.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('without --unit every unit runs in order, and a stored unit is kept', async () => {
    calls.length = 0;
    const r = await runExperiment(split, { mode: 'quick', seed: 1, outDir: out });
    expect(calls).toEqual(['1/prior', '1/model']);
    expect(r.complete).toBe(true);
    calls.length = 0;
    const again = await runExperiment(split, { mode: 'quick', seed: 1, outDir: out });
    expect(calls).toEqual([]);
    expect(again.reused).toBe(true);
    expect(again.result.runs).toHaveLength(4); // both seeds' units
    expect(again.result.claims[0].seeds).toBe(2);
  });

  it('an unknown unit, or --unit on an experiment without units, is an error naming the units', async () => {
    await expect(runExperiment(split, { mode: 'quick', seed: 0, unit: 'other', outDir: out })).rejects.toThrow(/no unit 'other'.*prior, model/);
    await expect(runExperiment(seeded, { mode: 'quick', seed: 0, unit: 'x', outDir: out })).rejects.toThrow(/not split into units/);
  });

  it('tiny mode tests no claim', async () => {
    const tinyOut = join(root, 'tiny');
    const r = await runExperiment(split, { mode: 'tiny', seed: 0, outDir: tinyOut });
    expect(r.result.claims.map((c) => c.verdict)).toEqual(['not tested at this scale']);
  });
});

describe('seeds for some units only', () => {
  it("a seed that ran one unit adds that unit's claims when the units decide their own; otherwise it waits", async () => {
    const out = join(root, 'standalone');
    await runExperiment(standalone, { mode: 'full', seed: 0, outDir: out });
    for (const seed of [1, 2]) await runExperiment(standalone, { mode: 'full', seed, unit: 'a', outDir: out });
    const merged = loadResult(out, standalone.name)!;
    expect(merged.claims.map((c) => [c.claim, c.seeds])).toEqual([['unit a: x < y', 3], ['unit b: x < y', 1]]);
    expect(merged.claims[0].verdict).toBe('holds'); // three per-seed gaps of 0.02–0.022, each seed's SE ≈ 0.0044
    expect(merged.claims[1].verdict).toBe('inconclusive'); // one seed on 100 images: binomial SEs ≈ 0.04
    expect(merged.runs?.map((r) => `${r.seed}/${r.unit}`)).toEqual(['0/a', '0/b', '1/a', '2/a']);
    // the same runs of an experiment whose claims may read several units: seed 1 and 2 wait for 'b'
    const { unitClaims: _, ...waiting } = standalone;
    const r = await writeMergedResult({ ...waiting, name: standalone.name }, 'full', out, join(root, 'standalone-waiting'));
    expect(r?.claims.map((c) => c.seeds)).toEqual([1, 1]);
  });
});

describe('seeds', () => {
  const out = join(root, 'seeds');

  it('three seeds merge into mean ± SE per value, judged on the paired differences', async () => {
    for (const seed of [0, 1, 2]) await runExperiment(seeded, { mode: 'full', seed, outDir: out });
    const merged = loadResult(out, seeded.name)!;
    const [claim] = merged.claims;
    expect(claim.seeds).toBe(3);
    expect(claim.values.a.value).toBeCloseTo(0.11, 6);
    expect(claim.values.a.se).toBeCloseTo(0.01 / Math.sqrt(3), 6);
    // the per-seed gaps are all 0.02, each beyond its seed's 2 SE (≈ 0.009 on 10,000 images); paired,
    // the seeds add no spread, and the merged gap's SE is the seeds' own (they share the test set)
    const single = loadRuns(out, seeded.name)[0].claims[0];
    expect(single.verdict).toBe('holds');
    expect(claim.verdict).toBe('holds');
    expect(merged.runs?.map((r) => r.seed)).toEqual([0, 1, 2]);
    expect(merged.provenance?.cores).toBeGreaterThan(0);
    expect(merged.provenance?.commit).toMatch(/^[0-9a-f]{40}$|not a git checkout/);
  });

  it('report --from: the merged result is rebuilt into another folder from the runs', async () => {
    const elsewhere = join(root, 'report');
    const r = await writeMergedResult(seeded, 'full', out, elsewhere);
    expect(r?.claims[0].seeds).toBe(3);
    expect(loadResult(elsewhere, seeded.name)?.claims[0].verdict).toBe('holds');
  });

  it('a run file that is not a result is named, not silently dropped', () => {
    writeFileSync(join(out, seeded.name, 'runs', 'full-seed9.json'), '{"claims": 1}');
    expect(() => loadRuns(out, seeded.name)).toThrow(/full-seed9\.json is not an experiment's result/);
  });
});
