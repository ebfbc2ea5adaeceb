// Issue 22's reductions, sort family, indexing and shape ops against direct references written
// here as plain loops (values and gradients), their edge cases (size-1 and empty axes, k = 0 and
// k = n, negative axes, ties, zeros in prod) and their errors. The VJPs are also gradchecked by
// registry-gradcheck.test.ts (every registry entry), einsum and the compositions here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { einsum, gradcheck, Rng, Tensor, tensor, zeros } from '../../src/index.js';
import { kernels } from '../../src/tensor/kernels.js';

const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const stridesOf = (s: readonly number[]) => s.map((_, i) => size(s.slice(i + 1)));
const unflat = (i: number, s: readonly number[]) => s.map((d, k) => Math.floor(i / stridesOf(s)[k]) % d);
const flat = (idx: readonly number[], s: readonly number[]) => idx.reduce((o, v, k) => o + v * stridesOf(s)[k], 0);

function randShape(rng: Rng, minRank = 1, maxRank = 3, maxDim = 4): number[] {
  return Array.from({ length: minRank + rng.int(maxRank - minRank + 1) }, () => 1 + rng.int(maxDim));
}
function randT(rng: Rng, shape: number[], lo = -2, hi = 2): Tensor {
  return new Tensor(Float32Array.from({ length: size(shape) }, () => rng.uniformIn(lo, hi)), shape);
}
/** Lines along axis a: for each position of the other axes, the flat indices along a. */
function lines(shape: readonly number[], a: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < size(shape); i++) {
    const idx = unflat(i, shape);
    if (idx[a] !== 0) continue;
    out.push(Array.from({ length: shape[a] }, (_, j) => flat(idx.map((v, k) => (k === a ? j : v)), shape)));
  }
  return out;
}
/** Groups of flat indices reduced together over `axes` (all if undefined), in output order. */
function groups(shape: readonly number[], axes?: number[]): number[][] {
  const ax = axes ?? shape.map((_, i) => i);
  const keptShape = shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const out: number[][] = Array.from({ length: size(keptShape) }, () => []);
  for (let i = 0; i < size(shape); i++) out[flat(unflat(i, shape).map((v, k) => (ax.includes(k) ? 0 : v)), keptShape)].push(i);
  return out;
}
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    if (Number.isNaN(w)) expect(g).toBeNaN();
    else expect(Math.abs(g - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(tol * (1 + Math.abs(w)));
  }
};
const seeds = fc.integer({ min: 0, max: 2 ** 30 });
const runs = { numRuns: 40 };
const leaf = (t: Tensor) => new Tensor(t.data.slice(), t.shape).requiresGrad_();


/**
 * y selects elements of x (with repeats): y[i] = x[src(i)], and the gradient of y adds back into
 * x at src(i). A seeded random output gradient checks the VJP.
 */
function expectSelection(x: Tensor, y: Tensor, outShape: number[], src: (i: number) => number, rng: Rng): void {
  close(y.data, Array.from({ length: y.size }, (_, i) => x.data[src(i)]));
  if (y.size === 0) return;
  const g = randT(rng, outShape);
  y.backward(g);
  const want = new Float64Array(x.size);
  for (let i = 0; i < y.size; i++) want[src(i)] += g.data[i];
  close(x.grad!.data, want);
}

describe('prod', () => {
  it('equals the loop product over random axes; its gradient is the product of the others, zeros included', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const x = leaf(randT(rng, shape, 0.5, 1.5));
      for (let i = 0; i < x.size; i++) if (rng.bernoulli(0.2)) x.data[i] = rng.bernoulli(0.5) ? 0 : -x.data[i];
      const axes = rng.bernoulli(0.3) ? undefined : [rng.int(shape.length)];
      const y = x.prod(axes?.map((a) => (rng.bernoulli(0.5) ? a - shape.length : a)));
      const gs = groups(shape, axes);
      close(y.data, gs.map((g) => g.reduce((p, i) => p * x.data[i], 1)));
      const seedG = randT(rng, [...y.shape]);
      y.backward(seedG);
      const want = new Float64Array(x.size);
      gs.forEach((g, o) => g.forEach((i) => { want[i] = seedG.data[o] * g.reduce((p, j) => (j === i ? p : p * x.data[j]), 1); }));
      close(x.grad!.data, want);
    }), runs);
  });

  it('gives the finite product of the others at one zero and 0 at two, never NaN', () => {
    const x = tensor([2, 0, 3, 4], { requiresGrad: true });
    x.prod().backward();
    expect(x.grad!.toArray()).toEqual([0, 24, 0, 0]);
    const z = tensor([0, 5, 0], { requiresGrad: true });
    z.prod().backward();
    expect(z.grad!.toArray()).toEqual([0, 0, 0]);
  });

  it('is 1 over an empty axis, the element itself over a size-1 axis; keepDims keeps the axis', () => {
    expect(zeros([2, 0]).prod(1).toArray()).toEqual([1, 1]);
    expect(tensor([[3], [4]]).prod(-1).toArray()).toEqual([3, 4]);
    expect(tensor([[1, 2], [3, 4]]).prod(0, true).shape).toEqual([1, 2]);
    expect(tensor(5).prod().item()).toBe(5);
  });
});

describe('std', () => {
  it('equals the loop standard deviation (correction 0 and 1, boolean or number); gradient (x − x̄)/((n − c)σ)', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const x = leaf(randT(rng, shape));
      const axes = rng.bernoulli(0.3) ? undefined : [rng.int(shape.length)];
      const gs = groups(shape, axes);
      const c = gs[0].length > 1 && rng.bernoulli(0.5) ? 1 : 0;
      const y = x.std(axes, rng.bernoulli(0.5), rng.bernoulli(0.5) ? c === 1 : c);
      const stats = gs.map((g) => {
        const m = g.reduce((s, i) => s + x.data[i], 0) / g.length;
        return { m, s: Math.sqrt(g.reduce((s, i) => s + (x.data[i] - m) ** 2, 0) / (g.length - c)) };
      });
      close(y.data, stats.map((s) => s.s), 1e-4);
      y.sum().backward();
      const want = new Float64Array(x.size);
      gs.forEach((g, o) => g.forEach((i) => { want[i] = stats[o].s === 0 ? 0 : (x.data[i] - stats[o].m) / ((g.length - c) * stats[o].s); }));
      close(x.grad!.data, want, 1e-4);
    }), runs);
  });

  it('has gradient 0 (not NaN) where every value is equal; n − 1 = 0 is an error (PyTorch: a silent NaN)', () => {
    const x = tensor([2, 2, 2], { requiresGrad: true });
    x.std().backward();
    expect(x.grad!.toArray()).toEqual([0, 0, 0]);
    expect(() => tensor([3]).std(undefined, false, true)).toThrow(/std: 1 value reduced with correction 1 leaves n − correction = 0/);
  });
});

describe('norm', () => {
  it('p = 1, 2, ∞ equal the loop norms over all or given axes, with their gradients', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const x = leaf(randT(rng, shape));
      const p = [1, 2, Infinity][rng.int(3)];
      const axes = rng.bernoulli(0.3) ? undefined : [rng.int(shape.length)];
      const y = x.norm(p, axes);
      const gs = groups(shape, axes);
      const f = (g: number[]) => (p === 1 ? g.reduce((s, i) => s + Math.abs(x.data[i]), 0)
        : p === 2 ? Math.sqrt(g.reduce((s, i) => s + x.data[i] ** 2, 0)) : Math.max(...g.map((i) => Math.abs(x.data[i]))));
      const n = gs.map(f);
      close(y.data, n, 1e-5);
      y.sum().backward();
      const want = new Float64Array(x.size);
      gs.forEach((g, o) => {
        const ties = g.filter((i) => Math.abs(x.data[i]) === n[o]).length;
        g.forEach((i) => {
          const v = x.data[i];
          want[i] = p === 1 ? Math.sign(v) : p === 2 ? v / n[o] : Math.abs(v) === n[o] ? Math.sign(v) / ties : 0;
        });
      });
      close(x.grad!.data, want, 1e-5);
    }), runs);
  });

  it('defaults to p = 2 over everything; a zero vector has gradient 0; other p are refused', () => {
    expect(tensor([3, 4]).norm().item()).toBe(5);
    const z = tensor([0, 0], { requiresGrad: true });
    z.norm().backward();
    expect(z.grad!.toArray()).toEqual([0, 0]);
    const t = tensor([-3, 3, 1], { requiresGrad: true });
    t.norm(Infinity).backward();
    expect(t.grad!.toArray()).toEqual([-0.5, 0.5, 0]);
    expect(() => tensor([1]).norm(3)).toThrow(/p = 3 is not supported/);
  });
});

describe('cumsum', () => {
  it('equals the loop running sum along any (negative) axis; gradient is the running sum from the end', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const x = leaf(randT(rng, shape));
      const a = rng.int(shape.length);
      const y = x.cumsum(rng.bernoulli(0.5) ? a - shape.length : a);
      const g = randT(rng, shape);
      y.backward(g);
      const want = new Float64Array(x.size);
      const wantG = new Float64Array(x.size);
      for (const line of lines(shape, a)) {
        let s = 0;
        for (const i of line) want[i] = s += x.data[i];
        s = 0;
        for (const i of [...line].reverse()) wantG[i] = s += g.data[i];
      }
      close(y.data, want);
      close(x.grad!.data, wantG);
    }), runs);
  });

  it('handles empty and size-1 axes and 0-d tensors', () => {
    expect(zeros([0, 3]).cumsum(0).shape).toEqual([0, 3]);
    expect(tensor([[1], [2]]).cumsum(1).toArray()).toEqual([[1], [2]]);
    expect(tensor(4).cumsum(0).item()).toBe(4);
  });
});

/** Stable insertion sort of a line's positions (NaN largest), the reference for sort/topk. */
function refOrder(vals: number[], descending: boolean): number[] {
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  const isNaN = (v: number) => Number.isNaN(v);
  const before = (p: number, q: number) => {
    const a = vals[p], b = vals[q];
    if (isNaN(a) || isNaN(b)) return descending ? isNaN(a) && !isNaN(b) : !isNaN(a) && isNaN(b);
    return descending ? key(a) > key(b) : key(a) < key(b);
  };
  const order: number[] = [];
  for (let j = 0; j < vals.length; j++) {
    let k = order.length;
    while (k > 0 && before(j, order[k - 1])) k--;
    order.splice(k, 0, j);
  }
  return order;
}

describe('sort, argsort, topk', () => {
  it('sort matches a stable insertion sort (ties drawn on purpose) along any axis; values route the gradient back', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const x = leaf(new Tensor(Float32Array.from({ length: size(shape) }, () => rng.int(4) - 1.5), shape)); // many ties
      const a = rng.int(shape.length);
      const descending = rng.bernoulli(0.5);
      const { values, indices } = x.sort(rng.bernoulli(0.5) ? a - shape.length : a, descending);
      const g = randT(rng, shape);
      values.backward(g);
      const wantGrad = new Float64Array(x.size);
      for (const line of lines(shape, a)) {
        const order = refOrder(line.map((i) => x.data[i]), descending);
        order.forEach((p, j) => {
          expect(indices.data[line[j]]).toBe(p);
          expect(values.data[line[j]]).toBe(x.data[line[p]]);
          wantGrad[line[p]] += g.data[line[j]];
        });
      }
      close(x.grad!.data, wantGrad);
      expect(x.argsort(a, descending).toArray()).toEqual(indices.toArray());
    }), runs);
  });

  it('topk is the first k of the stable descending (ascending) order, k = 0 … n, gradient at the selected positions', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const x = leaf(new Tensor(Float32Array.from({ length: size(shape) }, () => rng.int(5) - 2), shape));
      const a = rng.int(shape.length);
      const k = rng.int(shape[a] + 1);
      const largest = rng.bernoulli(0.5);
      const { values, indices } = x.topk(k, a - (rng.bernoulli(0.5) ? shape.length : 0), largest);
      const outShape = shape.map((d, i) => (i === a ? k : d));
      expect(values.shape).toEqual(outShape);
      if (k === 0) return;
      const g = randT(rng, outShape);
      values.backward(g);
      const wantGrad = new Float64Array(x.size);
      const outLines = lines(outShape, a);
      lines(shape, a).forEach((line, l) => {
        refOrder(line.map((i) => x.data[i]), largest).slice(0, k).forEach((p, j) => {
          expect(indices.data[outLines[l][j]]).toBe(p);
          expect(values.data[outLines[l][j]]).toBe(x.data[line[p]]);
          wantGrad[line[p]] += g.data[outLines[l][j]];
        });
      });
      close(x.grad!.data, wantGrad);
    }), runs);
  });

  it('puts NaN last ascending and first descending, keeps ties in position order, refuses k > n', () => {
    const x = tensor([2, NaN, 1, 2, -Infinity]);
    expect(x.sort().indices.toArray()).toEqual([4, 2, 0, 3, 1]);
    expect(x.sort(0, true).indices.toArray()).toEqual([1, 0, 3, 2, 4]);
    expect(tensor([1, 3, 3, 0]).topk(2).indices.toArray()).toEqual([1, 2]);
    expect(tensor([1, 3, 3, 0]).topk(4, 0, false).values.toArray()).toEqual([0, 1, 3, 3]);
    expect(() => tensor([1, 2]).topk(3)).toThrow(/k = 3 is out of range \[0, 2\]/);
    expect(zeros([2, 0]).sort(1).values.shape).toEqual([2, 0]);
    expect(tensor([[5], [4]]).topk(1, -1).values.toArray()).toEqual([[5], [4]]);
    const s = tensor(7, { requiresGrad: true }).sort();
    expect([s.values.shape, s.values.item(), s.indices.item()]).toEqual([[], 7, 0]);
    expect(tensor(7).topk(1).values.shape).toEqual([]);
    expect(tensor(7).argsort().shape).toEqual([]);
  });
});

describe('scatter and scatterAdd', () => {
  it('write (add) src at the index along an axis, as loops do; gradients: g masked (g) for x, gather(g) for src', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const a = rng.int(shape.length);
      const add = rng.bernoulli(0.5);
      const ishape = shape.map((d, i) => (i === a ? (add ? 1 + rng.int(4) : 1 + rng.int(d)) : d));
      const index = new Tensor(new Float32Array(size(ishape)), ishape);
      for (const line of lines(ishape, a)) {
        const picks = add ? line.map(() => rng.int(shape[a])) : rng.permutation(shape[a]);
        line.forEach((i, j) => { index.data[i] = picks[j]; });
      }
      const x = leaf(randT(rng, shape));
      const src = leaf(randT(rng, ishape));
      const axis = rng.bernoulli(0.5) ? a : a - shape.length;
      const y = add ? x.scatterAdd(axis, index, src) : x.scatter(axis, index, src);
      const want = Float64Array.from(x.data);
      const target = (i: number) => flat(unflat(i, ishape).map((v, k) => (k === a ? index.data[i] : v)), shape);
      for (let i = 0; i < index.size; i++) want[target(i)] = (add ? want[target(i)] : 0) + src.data[i];
      close(y.data, want);
      const g = randT(rng, shape);
      y.backward(g);
      const gx = Float64Array.from(g.data);
      if (!add) for (let i = 0; i < index.size; i++) gx[target(i)] = 0;
      close(x.grad!.data, gx);
      close(src.grad!.data, Array.from({ length: index.size }, (_, i) => g.data[target(i)]));
    }), runs);
  });

  it('scatter takes a number for src; indices out of range and a src of another shape are refused', () => {
    expect(zeros([2, 3]).scatter(1, tensor([[2], [0]]), 7).toArray()).toEqual([[0, 0, 7], [7, 0, 0]]);
    expect(() => zeros([3]).scatter(0, tensor([3]), 1)).toThrow(/out of range/);
    expect(() => zeros([3]).scatterAdd(0, tensor([0, 1]), tensor([1]))).toThrow(/src of shape \[1\] must have the index's shape \[2\]/);
  });
});

describe('maskedFill, repeat, flip', () => {
  it('maskedFill puts value where the (broadcast) mask is set; x gets the gradient elsewhere, a 0-d value the rest', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const v = tensor(9, { requiresGrad: true });
    const y = x.maskedFill(tensor([1, 0, 1]), v);
    expect(y.toArray()).toEqual([[9, 2, 9], [9, 5, 9]]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 1, 0], [0, 1, 0]]);
    expect(v.grad!.item()).toBe(4);
    expect(x.maskedFill(tensor([[0], [1]]), -Infinity).toArray()).toEqual([[1, 2, 3], [-Infinity, -Infinity, -Infinity]]);
    expect(() => tensor([1, 2]).maskedFill(tensor([[1, 0], [0, 1]]), 0)).toThrow(/does not broadcast to \[2\]/);
  });

  it('repeat tiles as a loop does (extra leading counts, counts of 1 and 0); the gradient sums the tiles', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng, 0, 3, 3);
      const sizes = [...Array.from({ length: rng.int(2) }, () => 1 + rng.int(3)), ...shape.map(() => rng.int(4))];
      const x = leaf(randT(rng, shape));
      const y = rng.bernoulli(0.5) ? x.repeat(...sizes) : x.repeat(sizes);
      const full = [...new Array(sizes.length - shape.length).fill(1), ...shape];
      const outShape = full.map((d, i) => d * sizes[i]);
      expect(y.shape).toEqual(outShape);
      const src = (i: number) => flat(unflat(i, outShape).map((v, k) => v % full[k]), full);
      expectSelection(x, y, outShape, src, rng);
    }), runs);
    expect(() => tensor([[1]]).repeat(2)).toThrow(/1 counts for a tensor of shape \[1, 1\]/);
  });

  it('flip reverses the given axes as a loop does; flipping twice is the identity; the gradient flips back', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng);
      const axes = rng.permutation(shape.length).slice(0, 1 + rng.int(shape.length));
      const x = leaf(randT(rng, shape));
      const y = x.flip(axes.map((a) => (rng.bernoulli(0.5) ? a - shape.length : a)));
      const src = (i: number) => flat(unflat(i, shape).map((v, k) => (axes.includes(k) ? shape[k] - 1 - v : v)), shape);
      close(y.data, Array.from({ length: y.size }, (_, i) => x.data[src(i)]));
      expect(y.flip(axes).toArray()).toEqual(x.toArray());
      const g = randT(rng, shape);
      y.backward(g);
      close(x.grad!.data, Array.from({ length: x.size }, (_, i) => g.data[src(i)]));
    }), runs);
    expect(zeros([0, 2]).flip(0).shape).toEqual([0, 2]);
    expect(() => zeros([2]).flip([0, -1])).toThrow(/repeated axis/);
  });
});

describe('split, chunk, slice with a step', () => {
  it('split by size and by sections, chunk as PyTorch counts pieces; the pieces join back to x and pass gradients', () => {
    const x = new Tensor(Float32Array.from({ length: 14 }, (_, i) => i), [7, 2]).requiresGrad_();
    expect(x.split(3).map((p) => p.shape[0])).toEqual([3, 3, 1]);
    expect(x.split([2, 0, 5]).map((p) => p.shape[0])).toEqual([2, 0, 5]);
    expect(x.chunk(3).map((p) => p.shape[0])).toEqual([3, 3, 1]);
    expect(x.chunk(4).map((p) => p.shape[0])).toEqual([2, 2, 2, 1]);
    expect(new Tensor(new Float32Array(6), [6]).chunk(4).map((p) => p.shape[0])).toEqual([2, 2, 2]); // fewer than n, as torch
    expect(x.split(1, -1).map((p) => p.toArray())).toEqual([[[0], [2], [4], [6], [8], [10], [12]], [[1], [3], [5], [7], [9], [11], [13]]]);
    const pieces = x.chunk(2, 0);
    pieces[0].mul(2).sum().add(pieces[1].sum()).backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]);
    expect(() => x.split([3, 3])).toThrow(/summing to 7/);
    expect(() => x.chunk(0)).toThrow(/positive integer/);
  });

  it('slice with [start, end, step] takes every step-th position as a loop does; the gradient lands there', () => {
    fc.assert(fc.property(seeds, (seed) => {
      const rng = new Rng(seed);
      const shape = randShape(rng, 1, 3, 6);
      const x = leaf(randT(rng, shape));
      const spec = shape.map((d) => {
        const s = rng.int(d + 1);
        const e = s + rng.int(d - s + 1);
        return [rng.bernoulli(0.2) ? null : s - (rng.bernoulli(0.3) && s > 0 ? d : 0), e === d && rng.bernoulli(0.3) ? null : e, 1 + rng.int(3)] as const;
      });
      const y = x.slice(spec);
      const ranges = shape.map((d, i) => {
        const s = spec[i][0] === null ? 0 : (spec[i][0] as number) < 0 ? (spec[i][0] as number) + d : (spec[i][0] as number);
        const e = spec[i][1] ?? d;
        const out: number[] = [];
        for (let p = s; p < e; p += spec[i][2]) out.push(p);
        return out;
      });
      const outShape = ranges.map((r) => r.length);
      expect(y.shape).toEqual(outShape);
      const src = (i: number) => flat(unflat(i, outShape).map((v, k) => ranges[k][v]), shape);
      expectSelection(x, y, outShape, src, rng);
    }), runs);
  });

  it('refuses a step of 0 or a negative step (as PyTorch); flip reverses instead', () => {
    expect(() => tensor([1, 2, 3]).slice([[0, 3, 0]])).toThrow(/step 0 for axis 0 must be a positive integer/);
    expect(() => tensor([1, 2, 3]).slice([[null, null, -1]])).toThrow(/step -1/);
    expect(tensor([1, 2, 3, 4, 5]).slice([[null, null, 2]]).toArray()).toEqual([1, 3, 5]);
    expect(tensor([1, 2, 3, 4, 5]).slice([[-4, null, 2]]).toArray()).toEqual([2, 4]);
  });
});

/** einsum by brute force over every assignment of the letters (the reference). */
function refEinsum(spec: string, ...ts: Tensor[]): { shape: number[]; data: number[] } {
  const [lhs, rhs] = spec.split('->');
  const ins = lhs.split(',');
  const sizes = new Map<string, number>();
  ins.forEach((s, k) => [...s].forEach((c, i) => sizes.set(c, ts[k].shape[i])));
  const letters = [...sizes.keys()];
  const outShape = [...rhs].map((c) => sizes.get(c)!);
  const data = new Array<number>(size(outShape)).fill(0);
  const total = size(letters.map((c) => sizes.get(c)!));
  for (let i = 0; i < total; i++) {
    const v = new Map(letters.map((c, k) => [c, unflat(i, letters.map((l) => sizes.get(l)!))[k]]));
    const term = ins.reduce((p, s, k) => p * ts[k].data[flat([...s].map((c) => v.get(c)!), ts[k].shape)], 1);
    data[flat([...rhs].map((c) => v.get(c)!), outShape)] += term;
  }
  return { shape: outShape, data };
}

describe('einsum', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk->ik', [[2, 3], [3, 4]]],
    ['bij,bjk->bik', [[2, 2, 3], [2, 3, 2]]],
    ['i,i->', [[5], [5]]],
    ['ij->ji', [[2, 3]]],
    ['ij->', [[2, 3]]],
    ['ij->j', [[3, 2]]],
    ['i,j->ij', [[3], [2]]],
    ['bhqd,bhkd->bhqk', [[1, 2, 3, 2], [1, 2, 4, 2]]],
    ['ij,jk,kl->il', [[2, 3], [3, 2], [2, 4]]],
    ['ijk,ik->j', [[2, 3, 2], [2, 2]]],
    ['ij,kj->ikj', [[2, 3], [4, 3]]],
  ];
  it.each(cases)('%s equals the brute-force sum and passes gradcheck', (spec, shapes) => {
    const rng = new Rng(spec.length);
    const ts = shapes.map((s) => randT(rng, s));
    const want = refEinsum(spec, ...ts);
    const y = einsum(spec, ...ts);
    expect(y.shape).toEqual(want.shape);
    close(y.data, want.data, 1e-5);
    expect(gradcheck((...xs) => einsum(spec, ...xs), ts).ok).toBe(true);
  });

  it('takes the implicit output (letters seen once, alphabetical) and spaces', () => {
    const rng = new Rng(3);
    const [a, b] = [randT(rng, [2, 3]), randT(rng, [3, 4])];
    expect(einsum('ij,jk', a, b).toArray()).toEqual(einsum('ij,jk->ik', a, b).toArray());
    expect(einsum('ba', a).shape).toEqual([3, 2]);
    expect(einsum(' ij , jk -> ik ', a, b).toArray()).toEqual(a.matmul(b).toArray());
  });

  it('says what it does not support', () => {
    const m = zeros([2, 2]);
    expect(() => einsum('ii->i', m)).toThrow(/letter 'i' repeats in operand 0 .*not supported/);
    expect(() => einsum('...ij->ij', m)).toThrow(/ellipsis/);
    expect(() => einsum('ij,jk->ik', m, zeros([3, 2]))).toThrow(/letter 'j' has size 2 .* and 3/);
    expect(() => einsum('ij,jk->ik', m)).toThrow(/names 2 operand\(s\) but 1/);
    expect(() => einsum('ij->k', m)).toThrow(/output letter 'k' appears in no operand/);
    expect(() => einsum('ijk->i', m)).toThrow(/names 3 axes/);
  });
});

describe('the new kernels directly (reference backend)', () => {
  it('scan: inclusive, exclusive and reversed sums and products along the middle axis', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]); // [1, 3, 2]
    const out = new Float32Array(6);
    kernels().scan('sum', x, 1, 3, 2, false, false, out);
    expect(Array.from(out)).toEqual([1, 2, 4, 6, 9, 12]);
    kernels().scan('prod', x, 1, 3, 2, true, true, out);
    expect(Array.from(out)).toEqual([15, 24, 5, 6, 1, 1]);
  });

  it('argsort along the last and a middle axis; scatter keeps the last write of a repeated position', () => {
    const out = new Float32Array(4);
    kernels().argsort(Float32Array.from([3, 1, 2, 0]), 2, 2, 1, false, out);
    expect(Array.from(out)).toEqual([1, 0, 1, 0]);
    kernels().argsort(Float32Array.from([3, 1, 2, 0]), 1, 2, 2, true, out);
    expect(Array.from(out)).toEqual([0, 0, 1, 1]); // columns [3, 2] and [1, 0]
    const y = new Float32Array(3);
    kernels().scatter(Float32Array.from([1, 2, 3]), Float32Array.from([2, 2, 0]), [3], 0, [3], y);
    expect(Array.from(y)).toEqual([3, 0, 2]);
  });
});
