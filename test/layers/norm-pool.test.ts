// BatchNorm1d/2d, LayerNorm, Embedding, AvgPool2d, AdaptiveAvgPool2d, Conv2d with dilation and
// groups, MaxPool2d in ceil mode and Conv1d against plain loops written here from PyTorch's
// definitions (no shared code with src/layers/functional.ts), on random shapes; gradients by
// gradcheck, and for the layers that are linear in their input by exact directional derivatives.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, gradcheckParams, listBackends, nn, Rng, randn, Tensor, withBackend } from '../../src/index.js';
import { loadCheckpoint, readCheckpoint, saveCheckpoint } from '../../src/node.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
const plus = (a: Tensor, d: Tensor) => new Tensor(a.data.map((v, i) => v + d.data[i]), a.shape);

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
}

/** For f linear in x: ⟨∂(r·f(x))/∂x, d⟩ = r·(f(x + d) − f(x)) exactly. */
function directional(grad: Tensor, x: Tensor, ref: (x: Tensor) => Float64Array | Float32Array, r: Tensor, rng: Rng, tol: number): void {
  const d = randn(x.shape, rng);
  const y0 = ref(x);
  const y1 = ref(plus(x, d));
  const exact = dot(r.data, Array.from(y1, (v, i) => v - y0[i]));
  expect(Math.abs(dot(grad.data, d.data) - exact)).toBeLessThanOrEqual(tol * (1 + Math.abs(exact)));
}

// ---- direct references ----

/** PyTorch's conv2d with stride, padding, dilation and groups, by its definition. */
function convDirect(x: Tensor, w: Tensor, b: Tensor | null, [sH, sW]: number[], [pH, pW]: number[], [dH, dW]: number[], groups: number): Float64Array {
  const [N, C, H, W] = x.shape;
  const [K, cg, kh, kw] = w.shape;
  const oH = Math.floor((H + 2 * pH - dH * (kh - 1) - 1) / sH) + 1;
  const oW = Math.floor((W + 2 * pW - dW * (kw - 1) - 1) / sW) + 1;
  const kg = K / groups;
  const y = new Float64Array(N * K * oH * oW);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      for (let i = 0; i < oH; i++)
        for (let j = 0; j < oW; j++) {
          let s = b ? b.data[k] : 0;
          const g = Math.floor(k / kg);
          for (let c = 0; c < cg; c++)
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) {
                const r = i * sH - pH + u * dH;
                const q = j * sW - pW + v * dW;
                if (r >= 0 && q >= 0 && r < H && q < W) s += w.data[((k * cg + c) * kh + u) * kw + v] * x.data[((n * C + g * cg + c) * H + r) * W + q];
              }
          y[((n * K + k) * oH + i) * oW + j] = s;
        }
  return y;
}

/** Output length of a pooling window, PyTorch's formula (ceil mode: the last window starts inside input or left padding). */
function outLen(len: number, k: number, s: number, p: number, ceil: boolean): number {
  let o = (ceil ? Math.ceil((len + 2 * p - k) / s) : Math.floor((len + 2 * p - k) / s)) + 1;
  if (ceil && (o - 1) * s >= len + p) o--;
  return o;
}

function poolDirect(x: Tensor, [kh, kw]: number[], [sH, sW]: number[], [pH, pW]: number[], ceil: boolean, kind: 'max' | 'avg' | 'avgExcl'): Float64Array {
  const [N, C, H, W] = x.shape;
  const oH = outLen(H, kh, sH, pH, ceil);
  const oW = outLen(W, kw, sW, pW, ceil);
  const y = new Float64Array(N * C * oH * oW);
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < oH; i++)
      for (let j = 0; j < oW; j++) {
        let m = -Infinity;
        let s = 0;
        let inside = 0;
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const r = i * sH - pH + u;
            const q = j * sW - pW + v;
            if (r >= 0 && q >= 0 && r < H && q < W) {
              const val = x.data[(p * H + r) * W + q];
              m = Math.max(m, val);
              s += val;
              inside++;
            }
          }
        y[(p * oH + i) * oW + j] = kind === 'max' ? m : kind === 'avg' ? s / (kh * kw) : s / inside;
      }
  return y;
}

function adaptiveDirect(x: Tensor, oH: number, oW: number): Float64Array {
  const [N, C, H, W] = x.shape;
  const y = new Float64Array(N * C * oH * oW);
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < oH; i++)
      for (let j = 0; j < oW; j++) {
        const [r0, r1] = [Math.floor((i * H) / oH), Math.ceil(((i + 1) * H) / oH)];
        const [q0, q1] = [Math.floor((j * W) / oW), Math.ceil(((j + 1) * W) / oW)];
        let s = 0;
        for (let r = r0; r < r1; r++) for (let q = q0; q < q1; q++) s += x.data[(p * H + r) * W + q];
        y[(p * oH + i) * oW + j] = s / ((r1 - r0) * (q1 - q0));
      }
  return y;
}

/** Batch norm over axis 1 of [N, C, S] (S = the flattened trailing axes): output, batch mean, unbiased variance. */
function batchNormDirect(x: Tensor, w: Tensor | null, b: Tensor | null, eps: number, stats?: { mean: Float32Array; var: Float32Array }) {
  const [N, C] = x.shape;
  const S = x.size / (N * C);
  const y = new Float64Array(x.size);
  const means: number[] = [];
  const unbiased: number[] = [];
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) s += x.data[(n * C + c) * S + k];
    const mean = s / (N * S);
    let q = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) q += (x.data[(n * C + c) * S + k] - mean) ** 2;
    means.push(mean);
    unbiased.push(q / (N * S - 1));
    const [m, v] = stats ? [stats.mean[c], stats.var[c]] : [mean, q / (N * S)];
    for (let n = 0; n < N; n++)
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        y[i] = ((x.data[i] - m) / Math.sqrt(v + eps)) * (w ? w.data[c] : 1) + (b ? b.data[c] : 0);
      }
  }
  return { y, means, unbiased };
}

function layerNormDirect(x: Tensor, inner: number, w: Tensor | null, b: Tensor | null, eps: number): Float64Array {
  const y = new Float64Array(x.size);
  for (let o = 0; o < x.size / inner; o++) {
    let s = 0;
    for (let k = 0; k < inner; k++) s += x.data[o * inner + k];
    const mean = s / inner;
    let q = 0;
    for (let k = 0; k < inner; k++) q += (x.data[o * inner + k] - mean) ** 2;
    for (let k = 0; k < inner; k++) y[o * inner + k] = ((x.data[o * inner + k] - mean) / Math.sqrt(q / inner + eps)) * (w ? w.data[k] : 1) + (b ? b.data[k] : 0);
  }
  return y;
}

const randomize = (t: Tensor, rng: Rng, lo = -1, hi = 1) => { for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformIn(lo, hi); };

// ---- property tests ----

describe('Conv2d with dilation and groups, and Conv1d, equal the direct convolution', () => {
  it('forward and exact directional derivatives in x and weight', () => {
    const shape = fc.record({
      seed: fc.nat(1e6), n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 2 }), kg: fc.integer({ min: 1, max: 2 }),
      kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }), dH: fc.integer({ min: 1, max: 3 }), dW: fc.integer({ min: 1, max: 3 }),
      sH: fc.integer({ min: 1, max: 2 }), sW: fc.integer({ min: 1, max: 2 }), pH: fc.integer({ min: 0, max: 2 }), pW: fc.integer({ min: 0, max: 2 }),
      extraH: fc.integer({ min: 0, max: 4 }), extraW: fc.integer({ min: 0, max: 4 }), bias: fc.boolean(),
    });
    fc.assert(fc.property(shape, (g) => {
      const rng = new Rng(g.seed);
      const [C, K] = [g.cg * g.groups, g.kg * g.groups];
      const [ekh, ekw] = [g.dH * (g.kh - 1) + 1, g.dW * (g.kw - 1) + 1];
      const [H, W] = [Math.max(1, ekh - 2 * g.pH) + g.extraH, Math.max(1, ekw - 2 * g.pW) + g.extraW];
      const conv = new nn.Conv2d(C, K, [g.kh, g.kw], { rng, stride: [g.sH, g.sW], padding: [g.pH, g.pW], dilation: [g.dH, g.dW], groups: g.groups, bias: g.bias });
      expect(conv.weight.shape).toEqual([K, g.cg, g.kh, g.kw]);
      const x = randn([g.n, C, H, W], rng, { requiresGrad: true });
      const ref = (xx: Tensor, ww = conv.weight) => convDirect(xx, ww, conv.bias, [g.sH, g.sW], [g.pH, g.pW], [g.dH, g.dW], g.groups);
      const y = conv.forward(x);
      close(y.data, ref(x), 1e-5 * g.cg * g.kh * g.kw);
      const r = randn(y.shape, rng);
      y.backward(r);
      directional(x.grad!, x, (xx) => ref(xx), r, rng, 1e-4 * Math.sqrt(y.size));
      directional(conv.weight.grad!, conv.weight, (ww) => ref(x, ww), r, rng, 1e-4 * Math.sqrt(y.size));
      // Conv1d is the same convolution with height 1.
      const c1 = new nn.Conv1d(C, K, g.kw, { rng, stride: g.sW, padding: g.pW, dilation: g.dW, groups: g.groups, bias: g.bias });
      const x1 = randn([g.n, C, W], rng);
      const y1 = c1.forward(x1);
      const w4 = c1.weight.reshape([K, g.cg, 1, g.kw]);
      close(y1.data, convDirect(x1.reshape([g.n, C, 1, W]), w4, c1.bias, [1, g.sW], [0, g.pW], [1, g.dW], g.groups), 1e-5 * g.cg * g.kw);
      expect(y1.shape).toEqual([g.n, K, outLen(W, ekw, g.sW, g.pW, false)]);
    }), { numRuns: 50 });
  });
});

describe('dilated grouped Conv2d on every backend, at a size the fast kernels take', () => {
  it.each(listBackends().filter((b) => b === 'reference' || b === 'wasm'))('%s', (backend) => withBackend(backend, () => {
    const rng = new Rng(5);
    const conv = new nn.Conv2d(8, 12, 3, { rng, dilation: [2, 3], groups: 4, padding: [2, 3], stride: [1, 2] });
    const x = randn([2, 8, 24, 24], rng, { requiresGrad: true });
    const ref = (xx: Tensor) => convDirect(xx, conv.weight, conv.bias, [1, 2], [2, 3], [2, 3], 4);
    const y = conv.forward(x);
    close(y.data, ref(x), 1e-4);
    const r = randn(y.shape, rng);
    y.backward(r);
    directional(x.grad!, x, ref, r, rng, 1e-4 * Math.sqrt(y.size));
  }));
});

describe('pooling layers equal direct loops', () => {
  const pool = fc.record({
    seed: fc.nat(1e6), n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
    sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }), pH: fc.nat(2), pW: fc.nat(2), extraH: fc.nat(5), extraW: fc.nat(5),
  });
  const setup = (g: { kh: number; kw: number; pH: number; pW: number; extraH: number; extraW: number }) => {
    const [pH, pW] = [Math.min(g.pH, g.kh >> 1), Math.min(g.pW, g.kw >> 1)];
    const [H, W] = [Math.max(1, g.kh - 2 * pH) + g.extraH, Math.max(1, g.kw - 2 * pW) + g.extraW];
    return { pH, pW, H, W };
  };

  it('MaxPool2d with ceilMode: forward and the gradient (to each window\'s maximum)', () => {
    fc.assert(fc.property(pool, (g) => {
      const { pH, pW, H, W } = setup(g);
      const rng = new Rng(g.seed);
      const size = g.n * g.c * H * W;
      const x = new Tensor(Float32Array.from(rng.permutation(size), (v) => v * 0.25 - 2), [g.n, g.c, H, W]);
      x.requiresGrad = true;
      const y = new nn.MaxPool2d([g.kh, g.kw], { stride: [g.sH, g.sW], padding: [pH, pW], ceilMode: true }).forward(x);
      const ref = poolDirect(x, [g.kh, g.kw], [g.sH, g.sW], [pH, pW], true, 'max');
      expect(y.shape).toEqual([g.n, g.c, outLen(H, g.kh, g.sH, pH, true), outLen(W, g.kw, g.sW, pW, true)]);
      close(y.data, ref, 0);
      // distinct values: each output's gradient goes to the unique element holding its value
      const r = randn(y.shape, rng);
      y.backward(r);
      const dx = new Float64Array(size);
      y.data.forEach((v, i) => { dx[x.data.indexOf(v)] += r.data[i]; });
      close(x.grad!.data, dx, 1e-6);
    }), { numRuns: 60 });
  });

  it.each([[true], [false]])('AvgPool2d (countIncludePad %s): forward and exact directional derivative', (include) => {
    fc.assert(fc.property(pool, (g) => {
      const { pH, pW, H, W } = setup(g);
      const rng = new Rng(g.seed);
      const x = randn([g.n, g.c, H, W], rng, { requiresGrad: true });
      const layer = new nn.AvgPool2d([g.kh, g.kw], { stride: [g.sH, g.sW], padding: [pH, pW], countIncludePad: include });
      const ref = (xx: Tensor) => poolDirect(xx, [g.kh, g.kw], [g.sH, g.sW], [pH, pW], false, include ? 'avg' : 'avgExcl');
      const y = layer.forward(x);
      expect(y.shape).toEqual([g.n, g.c, outLen(H, g.kh, g.sH, pH, false), outLen(W, g.kw, g.sW, pW, false)]);
      close(y.data, ref(x), 1e-5);
      const r = randn(y.shape, rng);
      y.backward(r);
      directional(x.grad!, x, ref, r, rng, 1e-4 * Math.sqrt(y.size));
    }), { numRuns: 40 });
  });

  it('AdaptiveAvgPool2d: forward (PyTorch\'s windows) and exact directional derivative', () => {
    const adaptive = fc.record({ seed: fc.nat(1e6), n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 9 }), W: fc.integer({ min: 1, max: 9 }), oH: fc.integer({ min: 1, max: 6 }), oW: fc.integer({ min: 1, max: 6 }) });
    fc.assert(fc.property(adaptive, (g) => {
      const rng = new Rng(g.seed);
      const x = randn([g.n, g.c, g.H, g.W], rng, { requiresGrad: true });
      const y = new nn.AdaptiveAvgPool2d([g.oH, g.oW]).forward(x);
      expect(y.shape).toEqual([g.n, g.c, g.oH, g.oW]);
      close(y.data, adaptiveDirect(x, g.oH, g.oW), 1e-5);
      const r = randn(y.shape, rng);
      y.backward(r);
      directional(x.grad!, x, (xx) => adaptiveDirect(xx, g.oH, g.oW), r, rng, 1e-4 * Math.sqrt(y.size));
    }), { numRuns: 60 });
    expect(new nn.AdaptiveAvgPool2d([null, 2]).forward(randn([1, 1, 3, 5], new Rng(1))).shape).toEqual([1, 1, 3, 2]);
  });
});

describe('normalisation and embedding layers equal direct loops', () => {
  it('BatchNorm1d/2d in training: output, running statistics (unbiased variance, momentum); in eval: the running statistics', () => {
    const bn = fc.record({ seed: fc.nat(1e6), n: fc.integer({ min: 2, max: 4 }), c: fc.integer({ min: 1, max: 4 }), spatial: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), affine: fc.boolean(), momentum: fc.double({ min: 0, max: 1, noNaN: true }) });
    fc.assert(fc.property(bn, (g) => {
      const rng = new Rng(g.seed);
      const layer = g.spatial.length === 2 ? new nn.BatchNorm2d(g.c, { affine: g.affine, momentum: g.momentum }) : new nn.BatchNorm1d(g.c, { affine: g.affine, momentum: g.momentum });
      if (layer.weight) { randomize(layer.weight, rng, 0.5, 2); randomize(layer.bias!, rng); }
      randomize(layer.runningMean!, rng);
      randomize(layer.runningVar!, rng, 0.5, 2);
      const [m0, v0] = [layer.runningMean!.data.slice(), layer.runningVar!.data.slice()];
      const x = randn([g.n, g.c, ...g.spatial], rng).mul(2).add(0.5);
      const ref = batchNormDirect(x, layer.weight, layer.bias, 1e-5);
      close(layer.forward(x).data, ref.y, 1e-4);
      close(layer.runningMean!.data, Array.from(m0, (m, c) => (1 - g.momentum) * m + g.momentum * ref.means[c]), 1e-5);
      close(layer.runningVar!.data, Array.from(v0, (v, c) => (1 - g.momentum) * v + g.momentum * ref.unbiased[c]), 1e-5);
      layer.eval();
      const stats = { mean: layer.runningMean!.data.slice(), var: layer.runningVar!.data.slice() };
      close(layer.forward(x).data, batchNormDirect(x, layer.weight, layer.bias, 1e-5, stats).y, 1e-4);
      expect(layer.runningMean!.data).toEqual(stats.mean); // eval leaves them alone
    }), { numRuns: 60 });
  });

  it('LayerNorm over the trailing axes', () => {
    const ln = fc.record({ seed: fc.nat(1e6), lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }), norm: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }), affine: fc.boolean() });
    fc.assert(fc.property(ln, (g) => {
      const rng = new Rng(g.seed);
      const layer = new nn.LayerNorm(g.norm, { elementwiseAffine: g.affine });
      if (layer.weight) { randomize(layer.weight, rng, 0.5, 2); randomize(layer.bias!, rng); }
      const x = randn([...g.lead, ...g.norm], rng);
      close(layer.forward(x).data, layerNormDirect(x, g.norm.reduce((p, d) => p * d, 1), layer.weight, layer.bias, 1e-5), 1e-4);
    }), { numRuns: 60 });
  });

  it('Embedding: the rows used, and their gradient (repeats add up, unused rows get 0)', () => {
    const em = fc.record({ seed: fc.nat(1e6), num: fc.integer({ min: 1, max: 6 }), dim: fc.integer({ min: 1, max: 4 }), shape: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }) });
    fc.assert(fc.property(em, (g) => {
      const rng = new Rng(g.seed);
      const layer = new nn.Embedding(g.num, g.dim, { rng });
      const size = g.shape.reduce((p, d) => p * d, 1);
      const idx = new Tensor(Float32Array.from({ length: size }, () => rng.int(g.num)), g.shape);
      const y = layer.forward(idx);
      expect(y.shape).toEqual([...g.shape, g.dim]);
      const want = new Float64Array(size * g.dim);
      const dw = new Float64Array(g.num * g.dim);
      const r = randn(y.shape, rng);
      for (let i = 0; i < size; i++) for (let d = 0; d < g.dim; d++) {
        want[i * g.dim + d] = layer.weight.data[idx.data[i] * g.dim + d];
        dw[idx.data[i] * g.dim + d] += r.data[i * g.dim + d];
      }
      close(y.data, want, 0);
      y.backward(r);
      close(layer.weight.grad!.data, dw, 1e-6);
    }), { numRuns: 60 });
    expect(() => new nn.Embedding(3, 2, { rng: new Rng(0) }).forward(new Tensor(Float32Array.of(3), [1]))).toThrow(/out of range/);
  });
});

describe('gradchecks of the layers', () => {
  const rng = new Rng(7);
  const ok = (r: { ok: boolean; worst: unknown }) => expect(r.ok, JSON.stringify(r.worst)).toBe(true);

  it('BatchNorm2d and BatchNorm1d in training (input, weight, bias) and eval', () => {
    for (const layer of [new nn.BatchNorm2d(3), new nn.BatchNorm1d(2)]) {
      randomize(layer.weight!, rng, 0.5, 2);
      randomize(layer.bias!, rng);
      const x = layer instanceof nn.BatchNorm2d ? randn([2, 3, 2, 2], rng) : randn([4, 2, 3], rng);
      ok(gradcheck((t) => layer.forward(t), [x]));
      ok(gradcheckParams(layer.parameters(), () => layer.forward(x)));
      layer.eval();
      ok(gradcheck((t) => layer.forward(t), [x]));
      ok(gradcheckParams(layer.parameters(), () => layer.forward(x)));
    }
  });

  it('LayerNorm, Embedding, AvgPool2d, AdaptiveAvgPool2d, MaxPool2d (ceil mode), dilated grouped Conv2d, Conv1d', () => {
    const ln = new nn.LayerNorm([2, 3]);
    randomize(ln.weight!, rng, 0.5, 2);
    ok(gradcheck((t) => ln.forward(t), [randn([2, 2, 3], rng)]));
    ok(gradcheckParams(ln.parameters(), () => ln.forward(randn([2, 2, 3], new Rng(1)))));
    const em = new nn.Embedding(5, 3, { rng });
    ok(gradcheckParams(em.parameters(), () => em.forward(new Tensor(Float32Array.of(1, 4, 1, 0), [2, 2]))));
    ok(gradcheck((t) => new nn.AvgPool2d(3, { stride: 2, padding: 1 }).forward(t), [randn([1, 2, 5, 4], rng)]));
    ok(gradcheck((t) => new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }).forward(t), [randn([1, 2, 3, 4], rng)]));
    ok(gradcheck((t) => new nn.AdaptiveAvgPool2d([2, 3]).forward(t), [randn([2, 1, 5, 4], rng)]));
    const distinct = new Tensor(Float32Array.from(rng.permutation(2 * 5 * 6), (v) => v * 0.1), [1, 2, 5, 6]);
    ok(gradcheck((t) => new nn.MaxPool2d(2, { stride: 2, ceilMode: true }).forward(t), [distinct]));
    const conv = new nn.Conv2d(4, 6, [2, 3], { rng, dilation: [2, 1], groups: 2, padding: 1, stride: [1, 2] });
    const x = randn([2, 4, 5, 5], rng);
    ok(gradcheck((t) => conv.forward(t), [x]));
    ok(gradcheckParams(conv.parameters(), () => conv.forward(x)));
    const c1 = new nn.Conv1d(2, 4, 3, { rng, dilation: 2, groups: 2, padding: 2 });
    const x1 = randn([2, 2, 6], rng);
    ok(gradcheck((t) => c1.forward(t), [x1]));
    ok(gradcheckParams(c1.parameters(), () => c1.forward(x1)));
  });
});

describe('BatchNorm2d running statistics are buffers', () => {
  it('eval mode uses them; they round-trip through stateDict and a checkpoint; they are not parameters', () => {
    const rng = new Rng(3);
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3, { rng, padding: 1 }), new nn.BatchNorm2d(2, { momentum: 0.5 }));
    const bn = net.layers[1] as nn.BatchNorm2d;
    expect(net.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['1.runningMean', '1.runningVar']);
    expect([...net.stateDict().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.runningMean', '1.runningVar']);
    for (let i = 0; i < 3; i++) net.forward(randn([4, 1, 3, 3], rng).mul(3).add(2));
    expect(bn.runningMean!.data.every((m) => m !== 0)).toBe(true);

    // eval: normalised by the running statistics, so a batch of one is fine and no statistic moves
    const x = randn([1, 1, 3, 3], rng);
    net.eval();
    const h = net.layers[0].forward(x);
    const y = net.forward(x);
    const [m, v] = [bn.runningMean!.data, bn.runningVar!.data];
    close(y.data, Array.from(h.data, (hv, i) => { const c = Math.floor(i / 9); return (hv - m[c]) / Math.sqrt(v[c] + 1e-5); }), 1e-5);
    const trained = net.forward(x).data.slice();

    // stateDict round trip into a fresh net
    const fresh = () => new nn.Sequential(new nn.Conv2d(1, 2, 3, { rng: new Rng(99), padding: 1 }), new nn.BatchNorm2d(2)).eval();
    const a = fresh();
    expect(a.forward(x).data).not.toEqual(trained);
    a.loadStateDict(net.stateDict());
    expect(a.forward(x).data).toEqual(trained);
    expect(() => fresh().loadStateDict(new Map([...net.stateDict()].filter(([k]) => k !== '1.runningVar')))).toThrow(/missing \[1\.runningVar\]/);

    // checkpoint round trip
    const path = join(mkdtempSync(join(tmpdir(), 'bn-')), 'bn.ckpt');
    saveCheckpoint(net, path);
    expect([...readCheckpoint(path).state.keys()]).toContain('1.runningVar');
    const b = fresh();
    loadCheckpoint(b, path);
    expect(b.forward(x).data).toEqual(trained);
    expect(b.layers[1] instanceof nn.BatchNorm2d && [...(b.layers[1] as nn.BatchNorm2d).runningVar!.data]).toEqual([...v]);

    // training mode normalises by the batch instead, which needs more than one value per channel
    net.train();
    expect(net.forward(x).data).not.toEqual(trained);
    expect(() => net.forward(randn([1, 1, 1, 1], rng))).toThrow(/more than 1 value per channel/);
  });
});
