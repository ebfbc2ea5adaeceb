import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prob, Rng, randn, tensor, Tensor } from '../../src/index.js';

describe('histograms and KL (LB-bayes eq 8)', () => {
  it('histogram counts agree with a linear scan; bins are [B_i, B_{i+1}) and the last is closed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 20 }), (s, bins) => {
        const x = randn([300], new Rng(s), { std: 2 });
        const edges = prob.linearEdges(-3, 3, bins);
        const h = prob.histogram(x, edges);
        const expected = edges.slice(0, -1).map((lo, i) => [...x.data].filter((v) => v >= lo && (i === bins - 1 ? v <= edges[i + 1] : v < edges[i + 1])).length);
        expect(h.counts).toEqual(expected);
        expect(h.outside + h.counts.reduce((a, c) => a + c, 0)).toBe(300);
      }),
    );
    expect(prob.histogram([0, 1, 1, 2], [0, 1, 2]).counts).toEqual([1, 3]);
  });

  it('Gaussian bin masses match the erf of mathjs and sum to the covered mass', () => {
    const p = prob.gaussianBinProbs([-Infinity, 0, Infinity].map((v) => (Number.isFinite(v) ? v : v > 0 ? 1e9 : -1e9)), 0, 1024);
    expect(p[0]).toBeCloseTo(0.5, 10);
    const q = prob.gaussianBinProbs(prob.linearEdges(-32, 32, 8), 0, 1024);
    expect(q.reduce((a, v) => a + v, 0)).toBeCloseTo(0.682689, 5); // ±1σ
  });

  it('KL ≥ 0, KL(p, p) = 0, empty bins follow the documented rule', () => {
    fc.assert(
      // integer weights, normalised: probabilities without denormal artefacts
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 10, maxLength: 10 }), (a, b) => {
        const total = a.reduce((s, v) => s + v, 0);
        fc.pre(total > 0);
        const p = a.map((v) => v / total);
        const qRaw = b.slice(0, p.length);
        const qt = qRaw.reduce((s, v) => s + v, 0);
        const q = qRaw.map((v) => v / qt);
        expect(prob.kl(p, q)).toBeGreaterThanOrEqual(-1e-12);
        expect(prob.kl(p, p)).toBeCloseTo(0, 12);
      }),
    );
    expect(prob.kl([0.5, 0.5], [1, 0])).toBeCloseTo(0.5 * Math.log(0.5 / 1e-10) + 0.5 * Math.log(0.5), 8);
    expect(prob.kl([0, 1], [0, 1])).toBe(0);
  });

  it('KL between N(0, 1024) and the histogram of n samples from it decreases towards 0 as n grows', () => {
    const rng = new Rng(11);
    const klAt = (n: number) => {
      const runs = Array.from({ length: 5 }, () => prob.klToGaussian(randn([n], rng, { std: 32 }), { mean: 0, variance: 1024, edges: prob.linearEdges(-128, 128, 32) }).kl);
      return runs.reduce((s, v) => s + v, 0) / runs.length;
    };
    const [k1, k2, k3] = [klAt(200), klAt(2000), klAt(20000)];
    expect(k2).toBeLessThan(k1);
    expect(k3).toBeLessThan(k2);
    expect(k3).toBeLessThan(0.01);
    expect(k3).toBeGreaterThanOrEqual(0);
  });
});

describe('weight correlations (LB-hidden eq 2)', () => {
  it('|r| ≤ 1, r = 1 on the diagonal, symmetric, and ±1 for affinely related rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 3, max: 20 }), (s, n, m) => {
        const w = randn([n, m], new Rng(s));
        const r = prob.correlationMatrix(w);
        for (let a = 0; a < n; a++) {
          expect(r.data[a * n + a]).toBe(1);
          for (let b = 0; b < n; b++) {
            expect(Math.abs(r.data[a * n + b])).toBeLessThanOrEqual(1);
            expect(r.data[a * n + b]).toBe(r.data[b * n + a]);
          }
        }
        // rows 2 and 3 are affine copies of rows 0 and 1 (one flipped): r = +1 and −1
        const rows = [...w.data.subarray(0, m), ...w.data.subarray(m, 2 * m), ...w.data.subarray(0, m).map((v) => 3 * v + 1), ...w.data.subarray(m, 2 * m).map((v) => -2 * v)];
        const r4 = prob.correlationMatrix(tensor(rows).reshape([4, m]));
        expect(r4.data[0 * 4 + 2]).toBeCloseTo(1, 5);
        expect(r4.data[1 * 4 + 3]).toBeCloseTo(-1, 5);
        expect(r4.data[0 * 4 + 1]).toBeCloseTo(r4.data[2 * 4 + 3] * -1, 5);
      }),
    );
  });

  it('the correlation of a matrix with its rows permuted is the permuted correlation; mean |r| is unchanged', () => {
    const w = randn([5, 12], new Rng(3));
    const perm = [3, 0, 4, 1, 2];
    const wp = new Tensor(Float32Array.from(perm.flatMap((p) => [...w.data.subarray(p * 12, (p + 1) * 12)])), [5, 12]);
    const [r, rp] = [prob.correlationMatrix(w), prob.correlationMatrix(wp)];
    perm.forEach((pa, a) => perm.forEach((pb, b) => expect(rp.data[a * 5 + b]).toBeCloseTo(r.data[pa * 5 + pb], 6)));
    expect(prob.meanAbsCorrelation(rp)).toBeCloseTo(prob.meanAbsCorrelation(r), 6);
  });

  it('a constant row has correlation 0, not NaN', () => {
    const r = prob.correlationMatrix(tensor([[1, 1, 1], [1, 2, 3]]));
    expect([...r.data]).toEqual([1, 0, 0, 1]);
  });
});

describe('i.i.d. necessary conditions (LB-hidden eq 3–4)', () => {
  it('match direct sample moments across retrainings', () => {
    const rng = new Rng(5);
    const T = 6;
    const weights = Array.from({ length: T }, () => randn([3, 4], rng));
    const biases = Array.from({ length: T }, () => randn([3], rng));
    const ef1 = 0.436;
    const s = prob.iidStatistics(weights, biases, ef1);
    const W = weights.map((w) => [0, 1, 2].map((k) => w.data.subarray(k * 4, k * 4 + 4).reduce((a, v) => a + v, 0)));
    const B = biases.map((b) => [...b.data]);
    // Cov(G_k, G_k') equals the sample covariance of G_k = E(F1)·W_k + B_k across retrainings
    const G = W.map((row, t) => row.map((w, k) => ef1 * w + B[t][k]));
    const mean = (k: number) => G.reduce((a, row) => a + row[k], 0) / T;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const c = G.reduce((acc, row) => acc + (row[a] - mean(a)) * (row[b] - mean(b)), 0) / (T - 1);
        expect(s.covG.data[a * 3 + b]).toBeCloseTo(c, 4);
      }
      expect(s.meanG.data[a]).toBeCloseTo(mean(a), 5);
    }
    expect(() => prob.iidStatistics(weights.slice(0, 1), biases.slice(0, 1), ef1)).toThrow(/at least 2 retrainings/);
  });
});
