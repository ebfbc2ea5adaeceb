import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { arange, eye, fromNdarray, full, ones, rand, randn, Rng, setBackend, tensor, toNdarray, zeros, listBackends, getBackend, withBackend } from '../../src/index.js';

describe('creation', () => {
  it('builds tensors from nested arrays, typed arrays and shapes', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const data = new Float32Array([1, 2, 3, 4]);
    const u = tensor(data, { shape: [2, 2] });
    expect(u.data).toBe(data); // a Float32Array is used without copying
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).item()).toBe(5);
    expect(zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 7).toArray()).toEqual([7, 7]);
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  it('same seed ⇒ same numbers; different seeds differ', () => {
    expect(randn([100], new Rng(7)).data).toEqual(randn([100], new Rng(7)).data);
    expect(rand([100], new Rng(7)).data).toEqual(rand([100], new Rng(7)).data);
    expect(randn([100], new Rng(7)).data).not.toEqual(randn([100], new Rng(8)).data);
  });

  it('small consecutive seeds start uncorrelated (the first draw is uniform across seeds)', () => {
    const first = Array.from({ length: 2000 }, (_, s) => new Rng(s).uniform());
    const mean = first.reduce((p, v) => p + v, 0) / first.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
    expect(first.filter((u) => u > 0.99).length).toBeLessThan(60);
  });

  it('randn and rand have the requested moments', () => {
    const x = randn([20000], new Rng(1), { mean: 2, std: 3 });
    expect(x.mean().item()).toBeCloseTo(2, 1);
    expect(Math.sqrt(x.var().item())).toBeCloseTo(3, 1);
    const u = rand([20000], new Rng(2), { low: -1, high: 3 });
    expect(u.min().item()).toBeGreaterThanOrEqual(-1);
    expect(u.max().item()).toBeLessThan(3);
    expect(u.mean().item()).toBeCloseTo(1, 1);
  });

  it('random creation without an Rng is an error, not hidden global state', () => {
    expect(() => randn([2], undefined as unknown as Rng)).toThrow(/randn: pass an Rng/);
  });
});

describe('ndarray interop', () => {
  it('shares memory both ways for contiguous arrays', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const nd = toNdarray(t);
    nd.set(1, 0, 30);
    expect(t.data[2]).toBe(30);
    const back = fromNdarray(nd);
    back.data[0] = 10;
    expect(t.data[0]).toBe(10);
  });

  it('copies a transposed view with the right values', () => {
    const nd = ndarray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(1, 0);
    const t = fromNdarray(nd);
    expect(t.shape).toEqual([3, 2]);
    expect(t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
});

describe('backends', () => {
  it('setBackend and withBackend choose among registered backends and reject unknown names', () => {
    withBackend('reference', () => expect(getBackend()).toBe('reference'));
    expect(() => setBackend('nope')).toThrow(/unknown backend 'nope' \(available: .*reference/);
    expect(() => withBackend('nope', () => 0)).toThrow(/unknown backend 'nope' \(available: .*reference/);
    expect(listBackends()).toContain('reference');
  });
});
