import { describe, expect, it } from 'vitest';
import { detectAnomaly, explain, noGrad, ones, Rng, randn, tensor } from '../../src/index.js';
import { withBackend } from '../../src/tensor/kernels.js';

describe('backward', () => {
  it('accumulates into .grad across calls until zeroGrad', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('sums the gradients of a tensor used twice (fan-out)', () => {
    const x = tensor([3], { requiresGrad: true });
    const y = x.mul(2);
    y.add(y.mul(y)).sum().backward(); // d/dx (2x + 4x²) = 2 + 8x
    expect(x.grad!.item()).toBe(26);
  });

  it('detach cuts the graph; noGrad records nothing', () => {
    const x = tensor([2], { requiresGrad: true });
    const y = x.mul(x.detach()).sum(); // only the first factor is differentiated
    y.backward();
    expect(x.grad!.item()).toBe(2);
    const z = noGrad(() => x.mul(3));
    expect(z.requiresGrad).toBe(false);
    expect(z.ctx).toBeNull();
  });

  it('back-propagates a chain of 100,000 ops without a stack overflow', () => {
    const x = tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(1.00001);
    y.sum().backward();
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.00001, 100_000), 2);
  });

  it('needs a seed for a non-scalar output, and uses it', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = x.mul(3);
    expect(() => y.backward()).toThrow(/backward: output of shape \[2, 2\] is not a scalar; pass a seed gradient of shape \[2, 2\]/);
    expect(() => y.backward(ones([3]))).toThrow(/seed of shape \[3\] does not match output shape \[2, 2\]/);
    y.backward(tensor([[1, 0], [0, 2]]));
    expect(x.grad!.toArray()).toEqual([[3, 0], [0, 6]]);
  });

  it('refuses to back-propagate through a tensor that does not require grad', () => {
    expect(() => tensor([1]).exp().sum().backward()).toThrow(/does not require grad/);
  });
});

describe('anomaly mode', () => {
  it('names the first op that produced a non-finite value in the forward pass', () => {
    const x = tensor([1, -1], { requiresGrad: true });
    expect(() => detectAnomaly(() => x.mul(2).log().exp())).toThrow(/anomaly: log produced NaN in its forward at flat index 1/);
    // off by default: the NaN flows silently, as in PyTorch
    expect(Number.isNaN(x.log().data[1])).toBe(true);
  });

  it('names the op whose gradient became non-finite in the backward pass', () => {
    const x = tensor([0, 4], { requiresGrad: true });
    expect(() => detectAnomaly(() => x.sqrt().sum().backward())).toThrow(/anomaly: sqrt produced Infinity in its backward/);
  });
});

describe('explain', () => {
  it('lists ops and shapes, then gradient norms after backward', () => {
    const rng = new Rng(0);
    const w = randn([3, 2], rng, { requiresGrad: true });
    w.name = 'w';
    const x = randn([4, 3], rng);
    const loss = x.matmul(w).relu().sum();
    const before = explain(loss);
    expect(before).toMatch(/w\s+leaf \[3, 2\]/);
    expect(before).toMatch(/matmul\(const\[4, 3\], w\) → \[4, 2\]/);
    expect(before).toMatch(/relu\(t\d+\) → \[4, 2\]/);
    expect(before).not.toMatch(/‖/);
    loss.backward();
    expect(explain(loss)).toMatch(/sum\(t\d+\) → \[\]  ‖∂L\/∂out‖ = 1\.000/);
    expect(explain(loss)).toMatch(/w\s+leaf \[3, 2\]  ‖grad‖ = /);
  });
});

describe('edge cases of stable ops', () => {
  it('logsumexp of an all −∞ slice is −∞ with a zero (not NaN) gradient', () => {
    const x = tensor([[-Infinity, -Infinity], [0, 1]], { requiresGrad: true });
    const y = x.logsumexp(1);
    expect(y.data[0]).toBe(-Infinity);
    y.backward(tensor([1, 1]));
    expect([...x.grad!.data.subarray(0, 2)]).toEqual([0, 0]);
    expect(x.grad!.data[2] + x.grad!.data[3]).toBeCloseTo(1, 6);
  });

  it('relu keeps NaN (as PyTorch does) on every backend, so that a NaN channel cannot pass for a dead one', () => {
    for (const backend of ['reference', 'wasm'] as const) {
      withBackend(backend, () => {
        expect([...tensor([NaN, -1, -0, 0, 2]).relu().data].map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(['NaN', 0, 0, 0, 2]);
        // a long array: the wasm backend's loop, not a scalar path
        const y = tensor(Array.from({ length: 1000 }, (_, i) => (i === 777 ? NaN : i - 500))).relu();
        expect(Number.isNaN(y.data[777])).toBe(true);
        expect(y.data[10]).toBe(0);
      });
    }
  });

  it('max and min let NaN win over any axis, on every backend (the reduction both backends fold with)', () => {
    for (const backend of ['reference', 'wasm'] as const) {
      withBackend(backend, () => {
        // rows [3, -Inf, NaN, 1] and [NaN, 5, Inf, -2] contain NaN; columns 1 and 3 do not
        const x = tensor([[3, -Infinity, NaN, 1], [NaN, 5, Infinity, -2]]);
        const show = (t: { data: Float32Array }) => [...t.data].map((v) => (Number.isNaN(v) ? 'NaN' : v));
        for (const op of ['max', 'min'] as const) {
          expect(show(x[op](1)), `${backend} ${op} over rows`).toEqual(['NaN', 'NaN']);
          expect(show(x[op](0)), `${backend} ${op} over columns`).toEqual(op === 'max' ? ['NaN', 5, 'NaN', 1] : ['NaN', -Infinity, 'NaN', -2]);
          expect(show(x[op]()), `${backend} ${op} of all`).toEqual(['NaN']);
        }
      });
    }
  });
});
