// Conv2d, MaxPool2d and Linear (im2col / GEMM paths) against brute-force nested loops, forward and
// backward. For conv and linear, L = Σ r·layer(x) with a random r is checked along a random
// direction d:  ⟨∂L/∂x, d⟩ = Σ r·(direct(x + d) − direct(x)). Both are affine in each argument, so
// this difference is exact (no step size, no truncation error). Max-pooling is not affine, so its
// gradient is compared with a direct backward loop instead (route to the window's first maximum).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nn, Rng, randn, Tensor } from '../../src/index.js';
import { conv2dDirect, linearDirect, maxPool2dDirect, maxPool2dDirectBackward } from '../../src/layers/direct.js';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const sub = (a: Tensor, b: Tensor) => a.data.map((v, i) => v - b.data[i]);
const plus = (a: Tensor, d: Tensor) => new Tensor(a.data.map((v, i) => v + d.data[i]), a.shape);

function closeArrays(a: Float32Array, b: Float32Array, tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]))));
}

const geometry = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  n: fc.integer({ min: 1, max: 3 }),
  c: fc.integer({ min: 1, max: 4 }),
  k: fc.integer({ min: 1, max: 4 }),
  kh: fc.integer({ min: 1, max: 4 }),
  kw: fc.integer({ min: 1, max: 4 }),
  sH: fc.integer({ min: 1, max: 3 }),
  sW: fc.integer({ min: 1, max: 3 }),
  pH: fc.integer({ min: 0, max: 2 }),
  pW: fc.integer({ min: 0, max: 2 }),
  extraH: fc.integer({ min: 0, max: 6 }),
  extraW: fc.integer({ min: 0, max: 6 }),
  bias: fc.boolean(),
});

describe('Conv2d equals the brute-force convolution', () => {
  it('forward and the gradients of input, weight and bias', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const rng = new Rng(g.seed);
        const [H, W] = [Math.max(1, g.kh - 2 * g.pH) + g.extraH, Math.max(1, g.kw - 2 * g.pW) + g.extraW];
        const conv = new nn.Conv2d(g.c, g.k, [g.kh, g.kw], { rng, stride: [g.sH, g.sW], padding: [g.pH, g.pW], bias: g.bias });
        const win = { stride: [g.sH, g.sW] as [number, number], padding: [g.pH, g.pW] as [number, number] };
        const x = randn([g.n, g.c, H, W], rng, { requiresGrad: true });
        const y = conv.forward(x);
        const ref = conv2dDirect(x, conv.weight, conv.bias, win);
        closeArrays(y.data, ref.data, 1e-5 * (g.c * g.kh * g.kw));
        const r = randn(y.shape, rng);
        y.backward(r);
        // directional derivatives, exact because conv is affine in each argument
        const dx = randn(x.shape, rng);
        const dw = randn(conv.weight.shape, rng);
        const tol = 1e-4 * Math.sqrt(y.size * g.c * g.kh * g.kw);
        expect(Math.abs(dot(x.grad!.data, dx.data) - dot(r.data, sub(conv2dDirect(plus(x, dx), conv.weight, conv.bias, win), ref)))).toBeLessThanOrEqual(tol);
        expect(Math.abs(dot(conv.weight.grad!.data, dw.data) - dot(r.data, sub(conv2dDirect(x, plus(conv.weight, dw), conv.bias, win), ref)))).toBeLessThanOrEqual(tol);
        if (conv.bias) {
          const db = randn(conv.bias.shape, rng);
          expect(Math.abs(dot(conv.bias.grad!.data, db.data) - dot(r.data, sub(conv2dDirect(x, conv.weight, plus(conv.bias, db), win), ref)))).toBeLessThanOrEqual(tol);
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe('MaxPool2d equals the brute-force max', () => {
  // Two regimes: distinct values (one maximum per window), and values drawn from {0, 1, 2} so that
  // most windows hold tied maxima, as after a ReLU; ties must go to the first maximum, once.
  it.each([['distinct values', false], ['many ties', true]] as const)('forward and backward, %s', (_name, ties) => {
    fc.assert(
      fc.property(geometry, (g) => {
        const rng = new Rng(g.seed);
        const [kh, kw] = [g.kh, g.kw];
        const [pH, pW] = [Math.min(g.pH, kh >> 1), Math.min(g.pW, kw >> 1)];
        const [H, W] = [Math.max(1, kh - 2 * pH) + g.extraH, Math.max(1, kw - 2 * pW) + g.extraW];
        const pool = new nn.MaxPool2d([kh, kw], { stride: [g.sH, g.sW], padding: [pH, pW] });
        const size = g.n * g.c * H * W;
        const values = ties ? Float32Array.from({ length: size }, () => rng.int(3)) : Float32Array.from(rng.permutation(size), (v) => v * 0.5 - 3);
        const x = new Tensor(values, [g.n, g.c, H, W]);
        x.requiresGrad = true;
        const y = pool.forward(x);
        const win = { stride: [g.sH, g.sW] as [number, number], padding: [pH, pW] as [number, number] };
        expect(y.data).toEqual(maxPool2dDirect(x, [kh, kw], win).data);
        const r = randn(y.shape, rng);
        y.backward(r);
        closeArrays(x.grad!.data, maxPool2dDirectBackward(x, r, [kh, kw], win).data, 1e-6);
      }),
      { numRuns: 60 },
    );
  });
});

describe('Linear equals the brute-force affine map', () => {
  it('forward and gradients, with any leading dimensions and with or without bias', () => {
    const linearCase = fc.record({
      seed: fc.integer({ min: 0, max: 1e6 }),
      inF: fc.integer({ min: 1, max: 9 }),
      outF: fc.integer({ min: 1, max: 9 }),
      lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      bias: fc.boolean(),
    });
    fc.assert(
      fc.property(linearCase, ({ seed, inF, outF, lead, bias }) => {
        const rng = new Rng(seed);
        const lin = new nn.Linear(inF, outF, { rng, bias });
        const x = randn([...lead, inF], rng, { requiresGrad: true });
        const rows = x.size / inF;
        const y = lin.forward(x);
        expect(y.shape).toEqual([...lead, outF]);
        const ref = linearDirect(x, lin.weight, lin.bias);
        closeArrays(y.data, ref.data, 1e-5 * inF);
        const r = randn(y.shape, rng);
        y.backward(r);
        // exact directional derivatives (linear is affine in x and in W)
        const dx = randn(x.shape, rng);
        const dw = randn(lin.weight.shape, rng);
        const tol = 1e-4 * rows * inF;
        expect(Math.abs(dot(x.grad!.data, dx.data) - dot(r.data, sub(linearDirect(plus(x, dx), lin.weight, lin.bias), ref)))).toBeLessThanOrEqual(tol);
        expect(Math.abs(dot(lin.weight.grad!.data, dw.data) - dot(r.data, sub(linearDirect(x, plus(lin.weight, dw), lin.bias), ref)))).toBeLessThanOrEqual(tol);
        if (lin.bias) {
          const db = Float32Array.from({ length: outF }, (_, o) => Array.from({ length: rows }, (_r, i) => r.data[i * outF + o]).reduce((s, v) => s + v, 0));
          closeArrays(lin.bias.grad!.data, db, 1e-5 * rows);
        }
      }),
      { numRuns: 80 },
    );
  });
});
