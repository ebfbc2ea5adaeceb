// Conv2d, MaxPool2d and Linear (im2col / GEMM paths) against brute-force nested loops, forward and
// backward. For L = Σ r·layer(x) with a random r, the backward pass is checked along a random
// direction d:  ⟨∂L/∂x, d⟩ = Σ r·(direct(x + d) − direct(x)). Conv and linear are affine in each
// argument, so this difference is exact (no step size, no truncation error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nn, Rng, randn, Tensor } from '../../src/index.js';
import { conv2dDirect, linearDirect, maxPool2dDirect } from '../../src/layers/direct.js';

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
  it('forward, and backward routes each output gradient to its window maximum', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const rng = new Rng(g.seed);
        const [kh, kw] = [g.kh, g.kw];
        const [pH, pW] = [Math.min(g.pH, kh >> 1), Math.min(g.pW, kw >> 1)];
        const [H, W] = [Math.max(1, kh - 2 * pH) + g.extraH, Math.max(1, kw - 2 * pW) + g.extraW];
        const pool = new nn.MaxPool2d([kh, kw], { stride: [g.sH, g.sW], padding: [pH, pW] });
        // distinct values, so every window has one maximum
        const perm = rng.permutation(g.n * g.c * H * W);
        const x = new Tensor(Float32Array.from(perm, (v) => v * 0.5 - 3), [g.n, g.c, H, W]);
        x.requiresGrad = true;
        const y = pool.forward(x);
        const win = { stride: [g.sH, g.sW] as [number, number], padding: [pH, pW] as [number, number] };
        expect(y.data).toEqual(maxPool2dDirect(x, [kh, kw], win).data);
        const r = randn(y.shape, rng);
        y.backward(r);
        // each input's gradient is the sum of r over the outputs whose maximum it is
        const expected = new Float32Array(x.size);
        const flat = [...x.data];
        y.data.forEach((v, o) => (expected[flat.indexOf(v)] += r.data[o]));
        closeArrays(x.grad!.data, expected, 1e-6);
      }),
      { numRuns: 80 },
    );
  });
});

describe('Linear equals the brute-force affine map', () => {
  it('forward and gradients', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), (seed, inF, outF, rows) => {
        const rng = new Rng(seed);
        const lin = new nn.Linear(inF, outF, { rng });
        const x = randn([rows, inF], rng, { requiresGrad: true });
        const y = lin.forward(x);
        const ref = linearDirect(x, lin.weight, lin.bias);
        closeArrays(y.data, ref.data, 1e-5 * inF);
        const r = randn(y.shape, rng);
        y.backward(r);
        const dx = randn(x.shape, rng);
        const dw = randn(lin.weight.shape, rng);
        expect(Math.abs(dot(x.grad!.data, dx.data) - dot(r.data, sub(linearDirect(plus(x, dx), lin.weight, lin.bias), ref)))).toBeLessThanOrEqual(1e-4 * rows * inF);
        expect(Math.abs(dot(lin.weight.grad!.data, dw.data) - dot(r.data, sub(linearDirect(x, plus(lin.weight, dw), lin.bias), ref)))).toBeLessThanOrEqual(1e-4 * rows * inF);
        const db = Float32Array.from({ length: outF }, (_, o) => Array.from({ length: rows }, (_r, i) => r.data[i * outF + o]).reduce((s, v) => s + v, 0));
        closeArrays(lin.bias!.grad!.data, db, 1e-5);
      }),
      { numRuns: 80 },
    );
  });
});
