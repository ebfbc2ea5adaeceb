// Issue 22's "API differences that surprise": what a PyTorch user writes does what PyTorch does.
import { describe, expect, it } from 'vitest';
import { randn, Rng, tensor } from '../../src/index.js';

describe('PyTorch habits', () => {
  const x = randn([2, 1, 3], new Rng(5));

  it('squeeze on an axis whose size is not 1 leaves the tensor as it is; on a 0-d tensor, axis 0 and −1 are allowed', () => {
    expect(x.squeeze(0).shape).toEqual([2, 1, 3]);
    expect(x.squeeze(-1).toArray()).toEqual(x.toArray());
    expect(x.squeeze(1).shape).toEqual([2, 3]);
    expect(tensor(4).squeeze(0).shape).toEqual([]);
    expect(tensor(4).squeeze(-1).item()).toBe(4);
    expect(() => x.squeeze(3)).toThrow(/axis 3/);
  });

  it('expand with −1 keeps an existing axis, and refuses −1 for a new leading axis', () => {
    expect(x.expand([-1, 4, -1]).shape).toEqual([2, 4, 3]);
    expect(x.expand([5, -1, 4, 3]).shape).toEqual([5, 2, 4, 3]);
    expect(x.expand([-1, 4, -1]).slice([null, [2, 3]]).squeeze(1).toArray()).toEqual(x.squeeze(1).toArray());
    expect(() => x.expand([-1, 2, 4, 3])).toThrow(/new leading axis/);
  });

  it('softmax and logSoftmax of a 0-d tensor are 1 and 0, with a zero gradient', () => {
    const s = tensor(2.5, { requiresGrad: true });
    expect(s.softmax().item()).toBe(1);
    expect(s.softmax(0).shape).toEqual([]);
    expect(s.logSoftmax(-1).item()).toBe(0);
    s.softmax(0).mul(3).backward();
    expect(s.grad!.item()).toBe(0);
    expect(() => s.softmax(1)).toThrow(/axis 1/);
  });

  it('sum over no axes reduces nothing (PyTorch 1.x reduces everything: a listed difference)', () => {
    expect(x.sum([]).toArray()).toEqual(x.toArray());
  });
});
