// PyTorch's graph-safety errors, and indexing that agrees with PyTorch's (reliability issue items
// 2, 5 and 6): a negative integer index, a second backward through a freed graph, and a tensor
// saved for backward that the library itself modified in place between forward and backward.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nn, optim, randn, Rng, tensor } from '../../src/index.js';

describe('slice with a negative integer index', () => {
  it('takes the last row with -1, as x[-1:] does in PyTorch', () => {
    expect(tensor([[1, 2, 3], [4, 5, 6]]).slice([-1]).toArray()).toEqual([[4, 5, 6]]);
    expect(tensor([[7, 8]]).slice([-1]).toArray()).toEqual([[7, 8]]);
    expect(tensor([[1, 2, 3], [4, 5, 6]]).slice([null, -1]).toArray()).toEqual([[3], [6]]);
  });

  it('slice([i]) equals slice([i + n]) for every negative i, and rejects i < −n', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), (n, m, k) => {
      const x = randn([n, m], new Rng(n * 10 + m));
      const i = -Math.min(k, n);
      expect(x.slice([i]).toArray()).toEqual(x.slice([i + n]).toArray());
      expect(() => x.slice([-n - 1])).toThrow(/out of bounds/);
    }));
  });
});

describe('a second backward through the same graph', () => {
  it('throws, naming the op, instead of doubling the gradients', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
    expect(() => y.backward()).toThrow(/second time.*retainGraph/);
    expect(x.grad!.toArray()).toEqual([2, 4]); // untouched by the refused call
  });

  it('also through a shared part of two graphs, as PyTorch does', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.exp();
    h.sum().backward();
    expect(() => h.mul(2).sum().backward()).toThrow(/second time/);
  });

  it('is allowed with { retainGraph: true }, and then accumulates', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward({ retainGraph: true });
    y.backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
  });

  it('keeps the seed argument', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(3).backward(tensor([1, 10]));
    expect(x.grad!.toArray()).toEqual([3, 30]);
  });
});

describe('a saved tensor modified in place before backward', () => {
  it('is reported when an optimiser step changed a parameter the graph saved', () => {
    const rng = new Rng(0);
    const lin = new nn.Linear(3, 2, { rng });
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const x = randn([4, 3], rng);
    const first = lin.forward(x).square().sum();
    first.backward({ retainGraph: true });
    opt.step(); // changes the weight that `first`'s graph saved for its VJP
    expect(() => first.backward()).toThrow(/input 1 of linear .*modified in place/);
  });

  it('does not fire for the usual step → new forward → backward loop', () => {
    const rng = new Rng(1);
    const lin = new nn.Linear(3, 2, { rng });
    const opt = new optim.Adam(lin.parameters(), { lr: 0.1 });
    const x = randn([4, 3], rng);
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      lin.forward(x).square().sum().backward();
      opt.step();
    }
    expect(lin.parameters()[0].version).toBeGreaterThan(0);
  });
});
