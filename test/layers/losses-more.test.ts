// l1Loss, smoothL1Loss, klDiv and crossEntropy's weight / ignoreIndex / labelSmoothing against
// plain loops written from PyTorch's documented formulas, on random shapes; gradchecks of each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, gradcheck, Rng, randn, Tensor } from '../../src/index.js';

type Reduction = 'mean' | 'sum' | 'none';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) expect(a[i]).toBeNaN();
    else expect(Math.abs(a[i] - b[i]), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
  }
}

function reduceDirect(l: number[], reduction: Reduction): number[] {
  const s = l.reduce((a, b) => a + b, 0);
  return reduction === 'none' ? l : reduction === 'sum' ? [s] : [s / l.length];
}

/**
 * PyTorch's cross_entropy for class indices: lossₙ = (1 − ε)·(−w[yₙ]·logp[n, yₙ]) + (ε/C)·(−Σ_c w_c·logp[n, c]),
 * 0 for ignored rows; mean = (1 − ε)·Σ nllₙ / Σ w[yₙ] + (ε/C)·Σ smoothₙ / Σ w[yₙ] over kept rows.
 */
function crossEntropyDirect(z: Tensor, y: number[], w: number[] | null, ignore: number, eps: number, reduction: Reduction): number[] {
  const [N, C] = z.shape;
  const W = (k: number) => (w ? w[k] : 1);
  const losses: number[] = [];
  let denominator = 0;
  for (let n = 0; n < N; n++) {
    if (y[n] === ignore) { losses.push(0); continue; }
    let m = -Infinity;
    for (let k = 0; k < C; k++) m = Math.max(m, z.data[n * C + k]);
    let s = 0;
    for (let k = 0; k < C; k++) s += Math.exp(z.data[n * C + k] - m);
    const logp = (k: number) => z.data[n * C + k] - m - Math.log(s);
    let smooth = 0;
    for (let k = 0; k < C; k++) smooth -= W(k) * logp(k);
    losses.push((1 - eps) * -W(y[n]) * logp(y[n]) + (eps / C) * smooth);
    denominator += W(y[n]);
  }
  if (reduction === 'mean') return [losses.reduce((a, b) => a + b, 0) / denominator];
  return reduceDirect(losses, reduction);
}

const reductions = fc.constantFrom<Reduction>('mean', 'sum', 'none');

describe('crossEntropy with weight, ignoreIndex and labelSmoothing equals the direct formula', () => {
  it('class indices', () => {
    const cases = fc.record({
      seed: fc.nat(1e6), n: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 5 }), weighted: fc.boolean(),
      eps: fc.constantFrom(0, 0.1, 0.5, 1), ignore: fc.constantFrom(-100, 0, 2), ignoreRate: fc.constantFrom(0, 0.3), reduction: reductions,
    });
    fc.assert(fc.property(cases, (g) => {
      const rng = new Rng(g.seed);
      const z = randn([g.n, g.c], rng).mul(2);
      const y = Array.from({ length: g.n }, () => (rng.uniform() < g.ignoreRate ? g.ignore : rng.int(g.c)));
      if (y.every((v) => v === g.ignore)) y[0] = g.ignore === 0 ? (g.c > 1 ? 1 : -5) : 0;
      if (y[0] === -5) return; // one class and every row ignored: nothing to compare
      const w = g.weighted ? Array.from({ length: g.c }, () => rng.uniformIn(0.2, 2)) : null;
      const got = F.crossEntropy(z, new Tensor(Float32Array.from(y), [g.n]), { reduction: g.reduction, weight: w ? new Tensor(Float32Array.from(w), [g.c]) : null, ignoreIndex: g.ignore, labelSmoothing: g.eps });
      close(got.data, crossEntropyDirect(z, y, w, g.ignore, g.eps, g.reduction), 1e-5);
    }), { numRuns: 150 });
  });

  it('probabilities: −Σ_c w_c·((1 − ε)·t + ε/C)·logp, mean over N', () => {
    const rng = new Rng(5);
    const z = randn([3, 4], rng);
    const t = randn([3, 4], rng).softmax(1);
    const w = [0.5, 1, 2, 1.5];
    const logp = z.logSoftmax(1).data;
    const want = [0, 1, 2].map((n) => -[0, 1, 2, 3].reduce((s, k) => s + w[k] * (0.8 * t.data[n * 4 + k] + 0.2 / 4) * logp[n * 4 + k], 0));
    close(F.crossEntropy(z, t, { weight: new Tensor(Float32Array.from(w), [4]), labelSmoothing: 0.2, reduction: 'none' }).data, want, 1e-5);
    close(F.crossEntropy(z, t, { weight: new Tensor(Float32Array.from(w), [4]), labelSmoothing: 0.2 }).data, [want.reduce((a, b) => a + b) / 3], 1e-5);
  });

  it('all rows ignored: the mean is NaN (0/0), as in PyTorch; nll takes weight and ignoreIndex too', () => {
    const z = randn([2, 3], new Rng(1));
    expect(F.crossEntropy(z, new Tensor(Float32Array.of(-100, -100), [2])).item()).toBeNaN();
    const w = new Tensor(Float32Array.of(1, 2, 3), [3]);
    const y = new Tensor(Float32Array.of(2, -1), [2]);
    close(F.nll(z.logSoftmax(1), y, { weight: w, ignoreIndex: -1 }).data, F.crossEntropy(z, y, { weight: w, ignoreIndex: -1 }).data, 1e-6);
    expect(() => F.crossEntropy(z, new Tensor(Float32Array.of(0, 3), [2]))).toThrow(/out of range/);
    expect(() => F.crossEntropy(z, y, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => F.crossEntropy(z, z.softmax(1), { ignoreIndex: 0 })).toThrow(/class indices only/);
  });
});

describe('l1Loss, smoothL1Loss and klDiv equal the direct formulas', () => {
  const shapes = fc.record({ seed: fc.nat(1e6), shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), reduction: reductions, beta: fc.constantFrom(0, 0.5, 1, 2) });
  it('l1Loss and smoothL1Loss', () => {
    fc.assert(fc.property(shapes, (g) => {
      const rng = new Rng(g.seed);
      const [x, y] = [randn(g.shape, rng).mul(2), randn(g.shape, rng)];
      const d = Array.from(x.data, (v, i) => v - y.data[i]);
      close(F.l1Loss(x, y, { reduction: g.reduction }).data, reduceDirect(d.map(Math.abs), g.reduction), 1e-5);
      const huber = d.map((v) => (Math.abs(v) < g.beta ? (0.5 * v * v) / g.beta : Math.abs(v) - 0.5 * g.beta));
      close(F.smoothL1Loss(x, y, { reduction: g.reduction, beta: g.beta }).data, reduceDirect(huber, g.reduction), 1e-5);
    }), { numRuns: 100 });
  });

  it('klDiv: Σ p·(log p − input), 0·log 0 = 0; logTarget; batchmean', () => {
    fc.assert(fc.property(shapes, (g) => {
      const rng = new Rng(g.seed);
      const input = randn(g.shape, rng).logSoftmax(-1);
      const p = randn(g.shape, rng).mul(3).softmax(-1);
      p.data.forEach((v, i) => { if (i % 3 === 0) p.data[i] = 0; });
      const point = Array.from(p.data, (v, i) => (v > 0 ? v * (Math.log(v) - input.data[i]) : 0));
      close(F.klDiv(input, p, { reduction: g.reduction }).data, reduceDirect(point, g.reduction), 1e-5);
      const logp = randn(g.shape, rng).logSoftmax(-1);
      const pointLog = Array.from(logp.data, (v, i) => Math.exp(v) * (v - input.data[i]));
      close(F.klDiv(input, logp, { reduction: g.reduction, logTarget: true }).data, reduceDirect(pointLog, g.reduction), 1e-5);
      close(F.klDiv(input, p, { reduction: 'batchmean' }).data, [point.reduce((a, b) => a + b, 0) / g.shape[0]], 1e-5);
    }), { numRuns: 100 });
  });
});

describe('gradchecks of the losses', () => {
  const ok = (r: { ok: boolean; worst: unknown }) => expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  const rng = new Rng(11);
  it('crossEntropy (weight, ignoreIndex, labelSmoothing; indices and probabilities), nll', () => {
    const y = new Tensor(Float32Array.of(0, -100, 2, 1, 2), [5]);
    const weight = new Tensor(Float32Array.of(0.5, 2, 1.5), [3]);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      ok(gradcheck((z) => F.crossEntropy(z, y, { weight, labelSmoothing: 0.1, reduction }), [randn([5, 3], rng)]));
      ok(gradcheck((z) => F.nll(z, y, { weight, reduction }), [randn([5, 3], rng)]));
    }
    ok(gradcheck((z, t) => F.crossEntropy(z, t.softmax(1), { weight, labelSmoothing: 0.3 }), [randn([4, 3], rng), randn([4, 3], rng)]));
  });
  it('l1Loss, smoothL1Loss, klDiv (input and target)', () => {
    // away from the kinks |d| = 0 and |d| = β
    const x = new Tensor(Float32Array.of(0.3, -1.7, 2.4, -0.2, 0.9, -3), [2, 3]);
    const t = new Tensor(Float32Array.of(0, 0.4, -0.5, 0.6, 0, -1.2), [2, 3]);
    ok(gradcheck((a, b) => F.l1Loss(a, b), [x, t]));
    ok(gradcheck((a, b) => F.smoothL1Loss(a, b, { beta: 1, reduction: 'sum' }), [x, t]));
    ok(gradcheck((a, b) => F.smoothL1Loss(a, b, { beta: 0.5, reduction: 'none' }), [x, t]));
    const input = randn([3, 4], rng);
    ok(gradcheck((a, b) => F.klDiv(a.logSoftmax(1), b.softmax(1), { reduction: 'batchmean' }), [input, randn([3, 4], rng)]));
    ok(gradcheck((a, b) => F.klDiv(a.logSoftmax(1), b.logSoftmax(1), { logTarget: true }), [input, randn([3, 4], rng)]));
  });
});
