// Algebraic properties of the tensor ops, on random shapes (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, eye, matmul, oneHot, Rng, randn, stack, Tensor, tensor, where } from '../../src/index.js';

const seed = fc.integer({ min: 0, max: 2 ** 30 });
const dims = (maxRank: number, maxDim = 5) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });

function close(a: Tensor, b: Tensor, tol = 1e-5): void {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(Math.abs(v - b.data[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b.data[i]))));
}

describe('broadcasting', () => {
  it('every binary op equals the op on explicitly expanded operands', () => {
    fc.assert(
      fc.property(seed, dims(4), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), (s, shape, ones, drop) => {
        const rng = new Rng(s);
        const other = shape.slice(Math.min(drop, shape.length)).map((d, i) => (ones[i] ? 1 : d));
        const a = randn(shape, rng);
        const b = randn(other, rng).abs().add(0.5);
        for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
          close(a[op](b), a[op](b.expand(shape)));
          close(b[op](a), b.expand(shape)[op](a));
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('reductions', () => {
  it('sum over an axis equals a hand-written loop', () => {
    fc.assert(
      fc.property(seed, dims(4), fc.nat(), (s, shape, k) => {
        const axis = k % shape.length;
        const x = randn(shape, new Rng(s));
        const out = x.sum(axis);
        const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
        const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            let acc = 0;
            for (let j = 0; j < shape[axis]; j++) acc += x.data[(o * shape[axis] + j) * inner + i];
            expect(out.data[o * inner + i]).toBeCloseTo(acc, 4);
          }
        }
      }),
    );
  });

  it('mean, max, min, var and argmax agree with plain JavaScript', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 7 }), (s, r, c) => {
        const x = randn([r, c], new Rng(s));
        const rows = Array.from({ length: r }, (_, i) => [...x.data.subarray(i * c, (i + 1) * c)]);
        rows.forEach((row, i) => {
          const m = row.reduce((p, v) => p + v, 0) / c;
          expect(x.mean(1).data[i]).toBeCloseTo(m, 5);
          expect(x.max(1).data[i]).toBe(Math.max(...row));
          expect(x.min(1).data[i]).toBe(Math.min(...row));
          expect(x.var(1).data[i]).toBeCloseTo(row.reduce((p, v) => p + (v - m) ** 2, 0) / c, 4);
          expect(x.var(1, false, true).data[i]).toBeCloseTo(row.reduce((p, v) => p + (v - m) ** 2, 0) / (c - 1), 4);
          expect(x.argmax(1).data[i]).toBe(row.indexOf(Math.max(...row)));
        });
        expect(x.sum([0, 1]).item()).toBeCloseTo(x.sum().item(), 4);
        expect(x.sum(1, true).shape).toEqual([r, 1]);
      }),
    );
  });

  it('logsumexp(x) = max + log Σ exp(x − max), finite for inputs of ±1e4', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 8 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), (s, n, shift) => {
        const x = randn([n], new Rng(s), { std: 3 }).add(shift);
        const m = Math.max(...x.data);
        const expected = m + Math.log([...x.data].reduce((p, v) => p + Math.exp(v - m), 0));
        const got = x.logsumexp().item();
        expect(Number.isFinite(got)).toBe(true);
        expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)) * 8);
      }),
    );
    expect(tensor([1e4, -1e4]).logsumexp().item()).toBe(1e4);
    expect(tensor([-Infinity, -Infinity]).logsumexp().item()).toBe(-Infinity);
  });

  it('softmax rows sum to 1 and do not change when a constant is added', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), (s, r, c, k) => {
        const x = randn([r, c], new Rng(s), { std: 4 });
        const p = x.softmax(1);
        p.sum(1).data.forEach((v) => expect(v).toBeCloseTo(1, 5));
        close(x.add(k).softmax(1), p, 1e-4);
        close(x.logSoftmax(1).exp(), p, 1e-5);
      }),
    );
  });

  it('sigmoid is finite, in [0, 1] and equal to 1/(1+e⁻ˣ) for |x| up to 1e4, with a finite gradient', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 16 }), (values) => {
        const x = tensor(values, { requiresGrad: true });
        const y = x.sigmoid();
        y.data.forEach((v, i) => {
          expect(v >= 0 && v <= 1).toBe(true); // false for NaN too
          expect(Math.abs(v - 1 / (1 + Math.exp(-x.data[i])))).toBeLessThanOrEqual(1e-6);
        });
        y.sum().backward();
        x.grad!.data.forEach((g) => expect(Number.isFinite(g) && g >= 0 && g <= 0.25).toBe(true));
      }),
    );
    const x = tensor([-1e4, -100, -1, 0, 1, 100, 1e4]);
    const y = x.sigmoid();
    y.data.forEach((v) => expect(v >= 0 && v <= 1).toBe(true));
    expect(y.data[3]).toBe(0.5);
    expect(x.softplus().data[6]).toBe(1e4);
  });
});

describe('linear algebra', () => {
  it('(AB)C ≈ A(BC)', () => {
    fc.assert(
      fc.property(seed, fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 4, maxLength: 4 }), (s, [m, k, n, p]) => {
        const rng = new Rng(s);
        const [a, b, c] = [randn([m, k], rng), randn([k, n], rng), randn([n, p], rng)];
        close(a.matmul(b).matmul(c), a.matmul(b.matmul(c)), 1e-4 * Math.sqrt(k * n));
      }),
    );
  });

  it('batched matmul with broadcast batch dimensions equals a loop of 2-D products', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }), (s, p, q, [m, k, n]) => {
        const rng = new Rng(s);
        const a = randn([p, 1, m, k], rng);
        const b = randn([q, k, n], rng);
        const y = a.matmul(b);
        expect(y.shape).toEqual([p, q, m, n]);
        for (let i = 0; i < p; i++) {
          for (let j = 0; j < q; j++) {
            close(y.slice([[i, i + 1], [j, j + 1]]).reshape([m, n]), a.slice([[i, i + 1]]).reshape([m, k]).matmul(b.slice([[j, j + 1]]).reshape([k, n])), 1e-5);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('matmul of vectors follows NumPy (dot, matrix·vector); the identity is neutral', () => {
    const v = tensor([1, 2, 3]);
    expect(v.matmul(v).item()).toBe(14);
    expect(eye(3).matmul(v).toArray()).toEqual([1, 2, 3]);
    expect(matmul(tensor([[1, 2, 3]]), v).toArray()).toEqual([14]);
  });
});

describe('shape ops', () => {
  it('transpose twice, permute then inverse permute, and reshape round trips are identities', () => {
    fc.assert(
      fc.property(seed, dims(4), (s, shape) => {
        const x = randn(shape, new Rng(s));
        if (shape.length >= 2) expect(x.transpose().transpose().data).toEqual(x.data);
        const perm = new Rng(s).permutation(shape.length);
        const inverse = perm.map((_, i) => perm.indexOf(i));
        expect(x.permute(perm).permute(inverse).data).toEqual(x.data);
        expect(x.reshape([-1]).reshape(shape).data).toEqual(x.data);
      }),
    );
  });

  it('slices concatenate back to the original; pad then slice is the identity', () => {
    fc.assert(
      fc.property(seed, dims(3), fc.nat(), (s, shape, k) => {
        const x = randn(shape, new Rng(s));
        const axis = k % shape.length;
        const cut = k % (shape[axis] + 1);
        const spec = (lo: number, hi: number) => shape.map((d, i) => (i === axis ? ([lo, hi] as const) : null));
        expect(concat([x.slice(spec(0, cut)), x.slice(spec(cut, shape[axis]))], axis).data).toEqual(x.data);
        const pads = shape.map((_, i) => [i % 2, (i + 1) % 3] as [number, number]);
        const padded = x.pad(pads, 7);
        expect(padded.slice(pads.map(([b], i) => [b, b + shape[i]] as const)).data).toEqual(x.data);
        expect(padded.sum().item()).toBeCloseTo(x.sum().item() + 7 * (padded.size - x.size), 2);
      }),
    );
  });

  it('stack adds an axis', () => {
    const a = randn([2, 3], new Rng(5));
    const s = stack([a, a.neg()], 1);
    expect(s.shape).toEqual([2, 2, 3]);
    expect(s.slice([null, [1, 2]]).reshape([2, 3]).data).toEqual(a.neg().data);
  });

  it('gather along the class axis picks what oneHot selects', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), (s, n, classes) => {
        const rng = new Rng(s);
        const logits = randn([n, classes], rng);
        const labels = tensor(Array.from({ length: n }, () => rng.int(classes)));
        const mask = oneHot(labels, classes);
        expect(mask.shape).toEqual([n, classes]);
        mask.sum(1).data.forEach((v) => expect(v).toBe(1));
        const picked = logits.gather(1, labels.reshape([n, 1])).reshape([n]);
        close(picked, logits.mul(mask).sum(1));
        labels.data.forEach((c, i) => expect(picked.data[i]).toBe(logits.data[i * classes + c]));
      }),
    );
  });

  it('where and comparison masks', () => {
    const x = tensor([-2, -1, 0, 1, 2]);
    expect(x.gt(0).toArray()).toEqual([0, 0, 0, 1, 1]);
    expect(x.le(0).toArray()).toEqual([1, 1, 1, 0, 0]);
    expect(x.eq(tensor([-2, 0, 0, 0, 2])).toArray()).toEqual([1, 0, 1, 0, 1]);
    expect(Array.from(where(x.gt(0), x, x.neg().mul(10)).data, (v) => v + 0)).toEqual([20, 10, 0, 1, 2]);
  });
});
