// The pieces of the bayes-prior experiment that its tiny run does not pin down: Table 11's
// geometry, the image preparation, and the stratified data.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bayesPrior } from '../../src/experiments/bayes-prior.js';
import { runExperiment } from '../../src/report/runner.js';
import { fashionMnistAvailable } from '../../src/data/fashion-mnist.js';
import { BP_SCALED, CONFIGS, initConvFromFilters, loadImages, prepare, SCALES, table11Cnn, UNITS, type FoeMetrics } from '../../src/experiments/bayes-prior.js';
import type { Claim } from '../../src/experiments/claims.js';
import { Dropout } from '../../src/layers/layers.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

describe('bayes-prior (LB-hidden App. L)', () => {
  it("full mode's CNN has Table 11's layer outputs (32×32×1 → 30×30×12 → 26×26×32 → 13×13×32 → 9×9×128 → 4×4×128 → 512 → 32 → 10)", () => {
    const { net, conv1 } = table11Cnn(SCALES.full, new Rng(0), null);
    expect(conv1.weight.shape).toEqual([12, 1, 3, 3]);
    const shapes = net.forwardAll(randn([1, 1, 32, 32], new Rng(1))).map((t) => t.shape.slice(1).join('×'));
    const conv = (i: number) => shapes[i]; // output of layer i-1
    expect([conv(1), conv(3), conv(5), conv(6), conv(8), shapes[9], shapes[10], shapes[13], shapes.at(-1)]).toEqual(['12×30×30', '32×26×26', '32×13×13', '128×9×9', '128×4×4', '2048', '512', '32', '10']);
    expect(net.layers.some((m) => m instanceof Dropout)).toBe(false);
    const withDropout = table11Cnn(SCALES.full, new Rng(0), new Rng(2)).net;
    expect(withDropout.layers.filter((m) => m instanceof Dropout).length).toBe(2);
    // the same init stream gives the same weights with or without dropout: configurations differ only in the regulariser
    const bytes = (ps: { data: Float32Array }[]) => Buffer.concat(ps.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)));
    expect(bytes(withDropout.parameters()).equals(bytes(net.parameters()))).toBe(true);
    expect(() => table11Cnn({ ...SCALES.tiny, side: 16 }, new Rng(0), null)).toThrow(/bayes-prior: a 16×16 input is too small/);
  });

  it('prepare averages 2×2 blocks and zero-pads to the input side', () => {
    const img = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 784) / 784);
    const x = prepare(img, [1], SCALES.tiny); // 28 → 14, padded by 2 to 18
    expect(x.shape).toEqual([1, 1, 18, 18]);
    const at = (r: number, c: number) => x.data[r * 18 + c];
    expect(at(0, 0)).toBe(0);
    expect(at(1, 17)).toBe(0);
    expect(at(2, 2)).toBeCloseTo((0 + 1 + 28 + 29) / 4 / 784, 6);
    expect(at(15, 15)).toBeCloseTo((13 * 2 * 28 + 13 * 2 + (13 * 2 * 28 + 13 * 2 + 1) + (13 * 2 * 28 + 28 + 13 * 2) + (13 * 2 * 28 + 28 + 13 * 2 + 1)) / 4 / 784, 6);
    expect(at(16, 16)).toBe(0);
    const full = prepare(img, [0], SCALES.full);
    expect(full.shape).toEqual([1, 1, 32, 32]);
    expect(full.data[2 * 32 + 2 + 5]).toBeCloseTo(5 / 784, 6);
  });

  it.skipIf(!fashionMnistAvailable())('draws the same number of images from every class (Fashion-MNIST)', () => {
    const data = loadImages(SCALES.tiny, new Rng(3));
    const counts = (y: Float32Array) => Array.from({ length: 10 }, (_, c) => y.filter((v) => v === c).length);
    expect(counts(data.yTrain.data)).toEqual(Array(10).fill(SCALES.tiny.trainPerClass));
    expect(counts(data.yTest.data)).toEqual(Array(10).fill(SCALES.tiny.testPerClass));
    expect(data.description).toMatch(/Fashion-MNIST/);
  });

  it.skipIf(!fashionMnistAvailable())('trains the FoE again, and says why, when its checkpoint is corrupted', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gg-foe-'));
    try {
      const progress = join(out, 'bayes-prior', '.progress');
      mkdirSync(progress, { recursive: true });
      writeFileSync(join(progress, 'run.json'), JSON.stringify({ mode: 'tiny', seed: 1, unit: 'foe' }));
      writeFileSync(join(progress, 'foe.ckpt'), 'GIBBSGRAD-CKPT2\n not a checkpoint');
      const stages: string[] = [];
      const { result, complete } = await runExperiment(bayesPrior, { mode: 'tiny', seed: 1, unit: 'foe', outDir: out, onEvent: (_n, e) => { if (e.kind === 'stage') stages.push(e.label); } });
      expect(stages.some((l) => /^FoE: the checkpoint cannot be used \(loadCheckpoint: .*foe\.ckpt.*\); training from the start$/.test(l))).toBe(true);
      expect(complete).toBe(false); // the eight configurations have not run
      expect(result.unit).toBe('foe');
      expect((result.metrics.foe as FoeMetrics).filters.length).toBe(12 * 9);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('bayes-prior units (foe, then one per configuration) and their merge', () => {
  it("a BP configuration run before 'foe' stops with an error that names the unit to run first", async () => {
    const out = mkdtempSync(join(tmpdir(), 'gg-bp-'));
    try {
      await expect(runExperiment(bayesPrior, { mode: 'tiny', seed: 2, unit: 'BP+L2', outDir: out })).rejects.toThrow(/unit 'BP\+L2' initialises f1 with the Field of Experts of unit 'foe', which has not run for tiny mode, seed 2; run it first \(gibbsgrad run bayes-prior --tiny --seed 2 --unit foe\)/);
      expect(UNITS).toEqual(['foe', ...CONFIGS.map((c) => c.key), 'BP-scaled']);
      expect(bayesPrior.units!('full')).toEqual(UNITS);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.skipIf(!fashionMnistAvailable())('a unit gives the same numbers alone as in the full sequence, and a direct run() (no unit) merges the same claims', async () => {
    const [all, alone] = [mkdtempSync(join(tmpdir(), 'gg-bp-all-')), mkdtempSync(join(tmpdir(), 'gg-bp-alone-'))];
    try {
      const { result, complete } = await runExperiment(bayesPrior, { mode: 'tiny', seed: 4, outDir: all });
      expect(complete).toBe(true);
      await runExperiment(bayesPrior, { mode: 'tiny', seed: 4, unit: 'foe', outDir: alone });
      const bp = await runExperiment(bayesPrior, { mode: 'tiny', seed: 4, unit: 'BP+both', outDir: alone });
      const fromSequence = JSON.parse(readFileSync(join(all, 'bayes-prior', 'runs', 'tiny-seed4-BP+both.json'), 'utf8'));
      expect(bp.result.metrics.testErrors).toEqual(fromSequence.metrics.testErrors);
      const direct = await bayesPrior.run({ mode: 'tiny', seed: 4, rng: new Rng(4), report: () => {} });
      expect(direct.metrics.testError).toEqual(result.metrics.testError);
      expect(direct.claims.map((c) => c.claim)).toEqual(result.claims.map((c) => c.claim));
      expect(result.claims.length).toBe(8 + 1 + 1 + 1 + 3 + 1 + 1 + 2);
    } finally {
      for (const d of [all, alone]) rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);

  /** Unit findings as the runner stores them, with each configuration's last-epochs test error. */
  const parts = (errors: Record<string, number>, nTest = 10000) => [
    { unit: 'foe', findings: { data: 'grey Fashion-MNIST (synthetic)', metrics: { foe: { filters: Array(108).fill(0.5), randomFilters: Array.from({ length: 108 }, (_, i) => i / 108), mixtureWeights: Array(132).fill(1 / 11), finalDataEnergy: 1, finalSampleEnergy: 2 }, pixelMean: 0.3, pixelStd: 0.35 }, claims: [], figures: [] } },
    ...[...CONFIGS, BP_SCALED].map((c) => ({ unit: c.key, findings: { data: 'x', metrics: { config: c.key, epochs: 30, trainImages: 20000, testImages: nTest, testErrors: Array(30).fill(errors[c.key]), trainErrors: Array(30).fill(0.05), lastEpochsTestError: errors[c.key] }, claims: [], figures: [] } })),
  ];
  // BP-scaled at BP's error unless a test says otherwise
  const paperErrors = { ...Object.fromEntries(CONFIGS.map((c) => [c.key, c.paper / 100])), 'BP-scaled': 0.299 };
  const verdicts = (claims: Claim[]) => Object.fromEntries(claims.filter((c) => c.test.length > 0).map((c) => [c.claim, c.verdict]));

  it("merge: Table 11's own numbers on 10,000 test images support only 'BP beats none' and 'BP beats dropout' at 2 binomial SE", () => {
    const merged = bayesPrior.merge!(parts(paperErrors), 'full');
    expect(merged.scale).toEqual({ ours: '20,000 / 10,000', paper: '20,000 / 10,000 (grey CIFAR-10)' });
    const bp = merged.claims.find((c) => c.claim === 'test error with BP (mean of the last 5 epochs)')!;
    expect(bp.values.BP.se).toBeCloseTo(Math.sqrt((0.299 * 0.701) / 10000), 10); // one epoch's binomial SE
    expect(verdicts(merged.claims)).toEqual({
      'the Bayes prior (FoE-initialised f1) lowers the test error of the unregularised CNN': 'holds',
      'the Bayes prior outperforms dropout': 'holds',
      'the Bayes prior performs about as well as L2 (within 1 point either way)': 'inconclusive',
      'dropout+L2 beats every single regulariser (dropout, L2 and BP alone)': 'inconclusive',
      'BP+dropout beats every single regulariser (dropout, L2 and BP alone)': 'inconclusive',
      'BP+L2 beats every single regulariser (dropout, L2 and BP alone)': 'inconclusive',
      'BP+L2 has the lowest test error of the pairs': 'inconclusive',
      'all three together (BP+both) give the lowest test error of the eight configurations': 'inconclusive',
      "Sensitivity (FoE filters scaled to f1's initial norm): the Bayes prior lowers the test error of the unregularised CNN": 'holds',
      "Sensitivity (FoE filters scaled to f1's initial norm): the Bayes prior outperforms dropout": 'holds',
    });
    // the synthetic filters (all 0.5) against random ones i/108: the note gives the ratio of their norms
    const ratio = Math.sqrt(108 * 0.25) / Math.sqrt(Array.from({ length: 108 }, (_, i) => (i / 108) ** 2).reduce((a, b) => a + b));
    expect(merged.claims.find((c) => c.claim.startsWith('Sensitivity'))!.note).toContain(`have ${ratio.toFixed(1)}× the norm of the random f1 weights`);
    expect((merged.metrics.foe as { normOverInitialNorm: number }).normOverInitialNorm).toBeCloseTo(ratio, 12);
    // each pair is compared with all three single regularisers, as Fig. 29's sentence says
    expect(merged.claims.find((c) => c.claim.startsWith('BP+L2 beats'))!.test.map((t) => t.right)).toEqual(['dropout', 'L2', 'BP']);
  });

  it('merge: the same gaps on a million test images hold, and reversed gaps do not hold', () => {
    const merged = bayesPrior.merge!(parts(paperErrors, 1_000_000), 'full');
    expect(Object.values(verdicts(merged.claims)).every((v) => v === 'holds')).toBe(true);
    const reversed = bayesPrior.merge!(parts({ ...paperErrors, BP: 0.36, 'BP+both': 0.40 }, 1_000_000), 'full');
    const v = verdicts(reversed.claims);
    expect(v['the Bayes prior (FoE-initialised f1) lowers the test error of the unregularised CNN']).toBe('does not hold');
    expect(v['the Bayes prior performs about as well as L2 (within 1 point either way)']).toBe('does not hold');
    expect(v['all three together (BP+both) give the lowest test error of the eight configurations']).toBe('does not hold');
    expect(() => bayesPrior.merge!(parts(paperErrors).filter((p) => p.unit !== 'L2'), 'full')).toThrow(/merge needs unit 'L2'/);
  });

  it("merge: the bar figure has a measured bar per trained configuration (BP-scaled included), the paper's for the eight, each with ±2 binomial SE", () => {
    const errors = { ...paperErrors, none: 0.11, 'BP-scaled': 0.12 };
    const merged = bayesPrior.merge!(parts(errors, 2500), 'full');
    const spec = merged.figures.find((f) => f.name === 'test-error-last-epochs')!.spec as { data: { values: { config: string; source: string; testError: number; lo: number; hi: number }[] } };
    const rows = spec.data.values;
    const measured = rows.filter((r) => r.source.startsWith('measured'));
    const paper = rows.filter((r) => r.source.startsWith('paper'));
    expect(measured.map((r) => r.config)).toEqual([...CONFIGS, BP_SCALED].map((c) => c.key));
    expect(paper.map((r) => r.config)).toEqual(CONFIGS.map((c) => c.key));
    const scaled = measured.find((r) => r.config === 'BP-scaled')!;
    expect(scaled.testError).toBe(0.12);
    expect(scaled.hi - scaled.testError).toBeCloseTo(2 * Math.sqrt((0.12 * 0.88) / 2500), 12);
    expect(scaled.testError - scaled.lo).toBeCloseTo(2 * Math.sqrt((0.12 * 0.88) / 2500), 12);
    const paperNone = paper.find((r) => r.config === 'none')!; // Table 11's 10,000 CIFAR-10 test images
    expect(paperNone.hi - paperNone.testError).toBeCloseTo(2 * Math.sqrt((0.3395 * 0.6605) / 10000), 12);
  });

  it('initConvFromFilters puts the stored filters into f1 and zeroes its bias (Alg. 2, step 6)', () => {
    const { conv1 } = table11Cnn(SCALES.tiny, new Rng(0), null);
    const filters = Array.from({ length: 108 }, (_, i) => i / 100);
    initConvFromFilters(conv1, filters);
    expect([...conv1.weight.data]).toEqual([...Float32Array.from(filters)]);
    expect([...conv1.bias!.data].every((b) => b === 0)).toBe(true);
    expect(() => initConvFromFilters(conv1, [1, 2, 3])).toThrow(/3 stored FoE filter taps do not fit f1's 12×1×3×3 weights/);
  });

  it("initConvFromFilters with matchInitialNorm (BP-scaled) scales every filter by one factor to f1's initial norm", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 108, maxLength: 108 }).filter((f) => f.some((v) => Math.abs(v) > 1e-3)), (seed, filters) => {
        const { conv1 } = table11Cnn(SCALES.tiny, new Rng(seed), null);
        const initialNorm = Math.hypot(...conv1.weight.data);
        initConvFromFilters(conv1, filters, { matchInitialNorm: true });
        const w = conv1.weight.data;
        expect(Math.hypot(...w)).toBeCloseTo(initialNorm, 4);
        // one common factor: each tap's share of the total is kept, so filters keep their relative strengths
        const factor = initialNorm / Math.hypot(...filters);
        filters.forEach((f, i) => expect(w[i]).toBeCloseTo(Math.fround(f * factor), 5));
        expect([...conv1.bias!.data].every((b) => b === 0)).toBe(true);
      }),
      { numRuns: 50 },
    );
    const { conv1 } = table11Cnn(SCALES.tiny, new Rng(0), null);
    expect(() => initConvFromFilters(conv1, Array(108).fill(0), { matchInitialNorm: true })).toThrow(/FoE filters of norm 0 cannot be scaled to f1's initial norm/);
  });
});
