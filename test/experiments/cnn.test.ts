// The Lan & Barner CNNs and the prior-KL measurement shared by prior-kl, capacity and random-labels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/engine.js';
import {
  averagePriorKlF1,
  buildCnn,
  COARSE_EDGES,
  energyF1,
  imageKlStats,
  imageSlice,
  LB_HIDDEN_TABLE9_CNN,
  LB_REPR_CNN1,
  LB_REPR_CNN2,
  lbBayesCnn,
  lbHiddenCnn,
  PAPER_KL_X,
  pearson,
  PRIOR_EDGES,
  priorBinProbs,
  priorEdges,
  priorKl,
  priorKlByBins,
  quantileOfSorted,
  readLayers,
  readTestImage,
  scaleMatch,
} from '../../src/experiments/cnn.js';
import { meanWithSe } from '../../src/experiments/claims.js';
import { histogram } from '../../src/prob/histogram.js';
import { mrfEnergy } from '../../src/prob/mrf.js';
import { activeF4Fraction, randomLabels } from '../../src/experiments/random-labels.js';
import { classificationError } from '../../src/layers/evaluate.js';
import { evaluate } from '../../src/layers/train.js';
import { sliceRows } from '../../src/tensor/rows.js';
import { Rng, Tensor } from '../../src/index.js';

const images = (n: number, rng: Rng) => new Tensor(Float32Array.from({ length: n * 1024 }, () => rng.normal(0, 32)), [n, 1, 32, 32]);
const count = (params: Iterable<Tensor>) => [...params].reduce((s, p) => s + p.size, 0);
const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0) / v.length;
const variance = (v: ArrayLike<number>) => mean(Array.from(v, (x) => (x - mean(v)) ** 2));

describe('the papers’ CNNs', () => {
  it('have the shapes of LB-repr Table 1 and LB-bayes Table 1', () => {
    const x = images(2, new Rng(1));
    const cnn1 = buildCnn(LB_REPR_CNN1, new Rng(2));
    const shapes = noGrad(() => cnn1.net.forwardAll(x).map((t) => t.shape));
    // x, f1 conv, f2 maxpool, ReLU, f3 conv, f4 maxpool, ReLU, flatten, f5 → 10
    expect(shapes).toEqual([[2, 1, 32, 32], [2, 20, 30, 30], [2, 20, 15, 15], [2, 20, 15, 15], [2, 60, 11, 11], [2, 60, 5, 5], [2, 60, 5, 5], [2, 1500], [2, 10]]);
    expect(count(cnn1.net.parameters())).toBe(20 * 9 + 20 + 60 * 20 * 25 + 60 + 1500 * 10 + 10);
    expect(count(buildCnn(LB_REPR_CNN2, new Rng(2)).net.parameters())).toBe(20 * 9 + 20 + 36 * 20 * 25 + 36 + 900 * 10 + 10);
    const bayes = buildCnn(lbBayesCnn(12), new Rng(3));
    expect(bayes.spec.name).toBe('CNN2');
    expect(noGrad(() => bayes.net.forwardAll(x).map((t) => t.shape.slice(1)))).toEqual([[1, 32, 32], [12, 30, 30], [12, 30, 30], [12, 15, 15], [20, 11, 11], [20, 11, 11], [20, 5, 5], [500], [20], [20], [10]]);
    expect(count(bayes.net.parameters())).toBe(12 * 9 + 12 + 20 * 12 * 25 + 20 + 500 * 20 + 20 + 20 * 10 + 10);
    expect(() => buildCnn({ ...LB_REPR_CNN1, f3: 0 }, new Rng(0))).toThrow(/buildCnn: f3 channels/);
  });

  it('include LB-hidden Table 10’s CNN3 (36 channels in f1, otherwise LB-bayes’ layers) and Table 9’s CNN', () => {
    const x = images(2, new Rng(1));
    const cnn3 = buildCnn(lbHiddenCnn(36), new Rng(3));
    expect([cnn3.spec.name, cnn3.spec.paper]).toEqual(['CNN3', 'LB-hidden Table 10']);
    expect(lbHiddenCnn(4).name).toBe('CNN1');
    expect(noGrad(() => cnn3.net.forwardAll(x).map((t) => t.shape.slice(1)))).toEqual([[1, 32, 32], [36, 30, 30], [36, 30, 30], [36, 15, 15], [20, 11, 11], [20, 11, 11], [20, 5, 5], [500], [20], [20], [10]]);
    expect(count(cnn3.net.parameters())).toBe(36 * 9 + 36 + 20 * 36 * 25 + 20 + 500 * 20 + 20 + 20 * 10 + 10);
    const table9 = buildCnn(LB_HIDDEN_TABLE9_CNN, new Rng(4));
    // conv → ReLU → pool, twice, then 1500 → 10 (Table 9 has no fully connected hidden layer)
    expect(noGrad(() => table9.net.forwardAll(x).map((t) => t.shape.slice(1)))).toEqual([[1, 32, 32], [20, 30, 30], [20, 30, 30], [20, 15, 15], [60, 11, 11], [60, 11, 11], [60, 5, 5], [1500], [10]]);
  });

  it('initialise f1 for inputs of standard deviation 32: the default bound 1/√9 divided by 32', () => {
    const maxAbs = (t: Tensor) => Math.max(...Array.from(t.data, Math.abs));
    const scaled = buildCnn(LB_REPR_CNN1, new Rng(1));
    const unscaled = buildCnn(LB_REPR_CNN1, new Rng(1), { inputScale: 1 });
    expect(maxAbs(unscaled.conv1.weight)).toBeLessThanOrEqual(1 / 3);
    expect(maxAbs(unscaled.conv1.weight)).toBeGreaterThan(0.3);
    scaled.conv1.weight.data.forEach((v, i) => expect(v).toBeCloseTo(unscaled.conv1.weight.data[i] / 32, 7));
    expect(scaled.conv3.weight.data).toEqual(unscaled.conv3.weight.data); // only f1 changes
    expect(() => buildCnn(LB_REPR_CNN1, new Rng(1), { inputScale: 0 })).toThrow(/buildCnn: inputScale must be a positive number, got 0/);
  });

  it('compute the same function with ReLU before or after max-pooling (so either table order is exact)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const a = buildCnn({ ...lbBayesCnn(4), reluBeforePool: true }, new Rng(seed));
        const b = buildCnn({ ...lbBayesCnn(4), reluBeforePool: false }, new Rng(seed));
        const x = images(1, new Rng(seed + 1));
        const [ya, yb] = noGrad(() => [a.net.forward(x), b.net.forward(x)]);
        ya.data.forEach((v, i) => expect(v).toBeCloseTo(yb.data[i], 4));
      }),
      { numRuns: 5 },
    );
  });

  it('read E_F1 from f1’s linear channels and E_F2 from f3’s linear channels on f2 (LB-repr eq 14)', () => {
    const cnn = buildCnn(LB_REPR_CNN2, new Rng(4));
    const x = images(2, new Rng(5));
    const { energyF1, energyF2, probs } = readLayers(cnn, x);
    noGrad(() => {
      const f1 = cnn.conv1.forward(x);
      const f2 = f1.maxPool2d({ kernelSize: 2, stride: 2, padding: 0 }).relu();
      const byHand1 = f1.sum(1).neg();
      const byHand2 = cnn.conv3.forward(f2).sum(1).neg();
      expect(energyF1.shape).toEqual([2, 30, 30]);
      expect(energyF2.shape).toEqual([2, 11, 11]);
      energyF1.data.forEach((v, i) => expect(v).toBeCloseTo(byHand1.data[i], 3));
      energyF2.data.forEach((v, i) => expect(v).toBeCloseTo(byHand2.data[i], 3));
    });
    for (let n = 0; n < 2; n++) expect(mean(imageSlice(probs, n)) * 10).toBeCloseTo(1, 5);
    expect(() => readLayers(cnn, new Tensor(new Float32Array(784), [1, 1, 28, 28]))).toThrow(/readLayers: expected images \[N, 1, 32, 32\], got \[1, 1, 28, 28\]/);
  });
});

describe('prior KL (raw and scale-matched)', () => {
  it('scaleMatch gives the prior’s mean and variance and ignores a positive affine map of the values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 200 }), fc.double({ min: 0.01, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }), (v, a, b) => {
        fc.pre(variance(v) > 1e-6);
        const s = scaleMatch(v);
        expect(mean(s)).toBeCloseTo(0, 6);
        expect(variance(s)).toBeCloseTo(1024, 4);
        const t = scaleMatch(v.map((x) => a * x + b));
        t.forEach((x, i) => expect(x).toBeCloseTo(s[i], 3));
      }),
      { numRuns: 50 },
    );
    expect([...scaleMatch([3, 3, 3], 5, 4)]).toEqual([5, 5, 5]);
    expect(() => scaleMatch([1, Number.NaN])).toThrow(/scaleMatch: value NaN at position 1/);
  });

  it('the raw KL sees the scale, the scale-matched KL only the shape', () => {
    const rng = new Rng(9);
    const sample = Array.from({ length: 900 }, () => rng.normal(0, 32));
    const base = priorKl(sample);
    // a Gaussian sample of the prior itself: 900 values on 256 bins give ≈ 0.54 (the floor of empty tail bins)
    expect(base.raw).toBeLessThan(0.8);
    expect(base.scaled).toBeLessThan(0.8);
    expect(priorKl(sample, COARSE_EDGES).raw).toBeLessThan(0.15);
    const stretched = priorKl(sample.map((v) => 5 * v + 40));
    expect(stretched.raw).toBeGreaterThan(base.raw + 1);
    expect(stretched.scaled).toBeCloseTo(base.scaled, 6);
    // a far-from-Gaussian shape (uniform) keeps a large KL after scale matching
    const uniform = priorKl(Array.from({ length: 900 }, () => rng.uniformIn(-1, 1)));
    expect(uniform.scaled).toBeGreaterThan(base.scaled + 0.1);
    expect(base.rawHistogram.edges).toEqual(PRIOR_EDGES);
    expect(PRIOR_EDGES.length).toBe(257); // 256 bins: the main claims'
    expect(PRIOR_EDGES[0]).toBe(-128);
    expect(PRIOR_EDGES[256]).toBe(128);
    expect(COARSE_EDGES.length).toBe(65);
    expect(priorEdges(256)).toBe(PRIOR_EDGES);
  });

  it('priorBinProbs bins exactly as histogram() does, edges and outside values included', () => {
    const edgeValues = fc.oneof(fc.integer({ min: -132, max: 132 }), fc.double({ min: -140, max: 140, noNaN: true }), fc.constantFrom(-128, 128, -124, 0, 127.99999999999999, -5e-324, 5e-324, -1e-300, 4 - 1e-15));
    fc.assert(
      fc.property(fc.array(edgeValues, { minLength: 1, maxLength: 300 }), fc.constantFrom(64, 256, 100), (v, bins) => {
        expect(priorBinProbs(v, bins)).toEqual(histogram(v, priorEdges(bins)).probs);
      }),
      { numRuns: 200 },
    );
  });

  it('on the main bins exact N(0, 1024) images have the papers’ KL[P(X)‖P̂(x)]; on 64 bins they cannot', () => {
    // the papers print 0.53–0.81 for exact Gaussian test images (LB-repr Fig. 3, 5; LB-bayes Fig. 2, 4)
    const x = images(400, new Rng(11));
    const stats = imageKlStats(x, [256, 64]);
    const smallest = Math.min(...PAPER_KL_X.map((p) => p.value));
    expect(stats['256'].p1).toBeLessThan(smallest);
    expect(stats['256'].p99).toBeGreaterThan(smallest);
    expect(stats['256'].mean.value).toBeGreaterThan(0.4);
    expect(stats['256'].mean.value).toBeLessThan(0.55);
    expect(stats['64'].p99).toBeLessThan(smallest);
    expect(stats['64'].mean.value).toBeCloseTo(0.1, 1);
    // the default bins are the main ones
    expect(priorKl(imageSlice(x, 0)).raw).toBeCloseTo(priorKlByBins(imageSlice(x, 0), [256])['256'].raw, 12);
  });

  it('quantileOfSorted interpolates between order statistics', () => {
    expect(quantileOfSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantileOfSorted([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
    expect(quantileOfSorted([7], 0.99)).toBe(7);
    expect(() => quantileOfSorted([], 0.5)).toThrow(/no values/);
    expect(() => quantileOfSorted([1], 2)).toThrow(/q must be in \[0, 1\]/);
  });

  it('energyF1 (one convolution with the summed filter) equals mrfEnergy (K channels summed)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(4, 20, 36), (seed, k) => {
        const cnn = buildCnn(lbBayesCnn(k), new Rng(seed));
        const x = images(2, new Rng(seed + 1));
        const fast = energyF1(cnn.conv1, x);
        const slow = noGrad(() => mrfEnergy(cnn.conv1, x));
        expect(fast.shape).toEqual([2, 30, 30]);
        fast.data.forEach((v, i) => expect(Math.abs(v - slow.data[i])).toBeLessThan(1e-4 * (1 + Math.abs(slow.data[i]))));
      }),
      { numRuns: 6 },
    );
  });

  it('averagePriorKlF1 is the mean over images of the per-image KL with its SE over images, per bin count, whatever the batch size', () => {
    const cnn = buildCnn(lbBayesCnn(4), new Rng(6));
    const x = images(5, new Rng(7));
    const perImage = [0, 1, 2, 3, 4].map((n) => priorKlByBins(imageSlice(readLayers(cnn, sliceRows(x, n, 1)).energyF1, 0), [256, 64]));
    for (const batch of [1, 2, 3, 250]) {
      const avg = averagePriorKlF1(cnn, x, { batchSize: batch, binCounts: [256, 64] });
      for (const bins of ['256', '64']) {
        for (const field of ['raw', 'scaled'] as const) {
          const expected = meanWithSe(perImage.map((k) => k[bins][field]));
          expect(avg[bins][field].value).toBeCloseTo(expected.value, 4);
          expect(avg[bins][field].se).toBeCloseTo(expected.se!, 4);
        }
      }
    }
    const readout = readTestImage(cnn, sliceRows(x, 2, 1));
    expect(readout.klF1.scaled).toBeCloseTo(perImage[2]['256'].scaled, 4);
    expect(readout.byBins.klF1['64'].scaled).toBeCloseTo(perImage[2]['64'].scaled, 4);
    expect(readout.panels.map((p) => p.name.split(':')[0])).toEqual(['x', 'E_F1 raw', 'E_F1 scale-matched', 'E_F2 scale-matched']);
    expect(readout.panels[0].edges).toBe(PRIOR_EDGES);
    expect(() => readTestImage(cnn, x)).toThrow(/readTestImage: expected one image/);
  });
});

describe('helpers', () => {
  it('classificationError is 1 − evaluate’s accuracy', () => {
    const cnn = buildCnn(lbBayesCnn(4), new Rng(8));
    const x = images(7, new Rng(9));
    const y = randomLabels(7, new Rng(10));
    expect(classificationError(cnn.net, x, y, 3)).toBeCloseTo(1 - evaluate(cnn.net, x, y).accuracy, 10);
  });

  it('pearson: ±1 for affine relations, symmetric, errors on bad lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 30 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (a, k) => {
        fc.pre(variance(a) > 1e-3);
        expect(pearson(a, a.map((v) => k * v + 1))).toBeCloseTo(1, 6);
        expect(pearson(a, a.map((v) => -k * v))).toBeCloseTo(-1, 6);
        const b = a.map((v, i) => v * v + i);
        expect(pearson(a, b)).toBeCloseTo(pearson(b, a), 10);
      }),
      { numRuns: 30 },
    );
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 10);
    expect(() => pearson([1], [1])).toThrow(/pearson/);
  });

  it('randomLabels draws every class, deterministically per seed', () => {
    const a = randomLabels(500, new Rng(3));
    expect(new Set(a.data).size).toBe(10);
    expect([...a.data].every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    expect(randomLabels(500, new Rng(3)).data).toEqual(a.data);
  });

  it('activeF4Fraction counts f4 units above zero, and is 0 for a network whose f3 biases killed every unit', () => {
    const cnn = buildCnn(LB_REPR_CNN1, new Rng(4));
    const x = images(6, new Rng(5));
    const f4 = noGrad(() => cnn.net.forwardAll(x)[cnn.conv3Index + 3].data);
    expect(f4.length).toBe(6 * 60 * 5 * 5);
    expect(activeF4Fraction(cnn, x)).toBeCloseTo([...f4].filter((v) => v > 0).length / f4.length, 12);
    expect(activeF4Fraction(cnn, x)).toBeGreaterThan(0.2);
    cnn.conv3.bias!.data.fill(-1e6);
    expect(activeF4Fraction(cnn, x)).toBe(0);
  });
});
