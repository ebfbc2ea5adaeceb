/**
 * The softmax family on large and tied logits, checked against float64 computations done here.
 * Logits of magnitude up to 3e38 (near float32's maximum) and ties are where x − logsumexp(x) in
 * float32 loses everything: logsumexp(x) rounds to max(x), so every tied entry gets probability 1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, full, tensor, type Tensor } from '../../src/index.js';
import { useBackend } from '../helpers/backend.js';

/** float32's unit roundoff. */
const U = 2 ** -24;
const F32_MAX = 3.4028234663852886e38;

/** Rows of logits: a scale up to 3e38, and values drawn from a few levels so that ties are common. */
const logitRows = fc
  .record({
    scale: fc.constantFrom(1, 10, 1e3, 1e4, 1e6, 1e8, 1e15, 1e30, 1e38, 3e38),
    rows: fc.integer({ min: 1, max: 3 }),
    cols: fc.integer({ min: 1, max: 12 }),
    levels: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
    // a level plus a small offset (in units, not relative to the scale) keeps near-ties too
    offsets: fc.array(fc.constantFrom(0, 0, 0, -1, 1, -0.5, -20), { minLength: 1, maxLength: 4 }),
    picks: fc.array(fc.nat(), { minLength: 36, maxLength: 36 }),
  })
  .map(({ scale, rows, cols, levels, offsets, picks }) => {
    const values = Array.from({ length: rows * cols }, (_, i) => {
      const k = picks[i] % levels.length;
      return Math.fround(levels[k] * scale + offsets[k % offsets.length]);
    });
    return { rows, cols, values };
  });

/** float64 log-softmax of each row of a row-major [rows, cols] array. */
function logSoftmax64(values: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, c) => values[r * cols + c]);
    const m = Math.max(...row);
    const logZ = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    out.push(...row.map((v) => v - m - logZ));
  }
  return out;
}

const softmax64 = (values: ArrayLike<number>, rows: number, cols: number) => logSoftmax64(values, rows, cols).map(Math.exp);

/** |got − exact| within a few float32 roundings of the result (a sum of n terms adds n of them). */
function expectNear(got: number, exact: number, n: number, what: string): void {
  if (!Number.isFinite(Math.fround(exact)) || !Number.isFinite(got)) {
    // x − max(x) below −3.4e38 overflows float32 to −∞, as it does in PyTorch.
    expect(got, what).toBe(-Infinity);
    expect(exact, what).toBeLessThan(-F32_MAX * (1 - 4 * U));
    return;
  }
  expect(Math.abs(got - exact), `${what}: got ${got}, exact ${exact}`).toBeLessThanOrEqual((n + 8) * U * (1 + Math.abs(exact)));
}

const backends = ['reference', 'wasm'] as const;

describe.each(backends)('softmax family on large and tied logits (%s backend)', (backend) => {
  useBackend(backend);

  it('softmax rows sum to 1 within float32 rounding and match a float64 softmax', () => {
    fc.assert(
      fc.property(logitRows, ({ rows, cols, values }) => {
        const p = tensor(values, { shape: [rows, cols] }).softmax(1);
        const exact = softmax64(values, rows, cols);
        for (let r = 0; r < rows; r++) {
          const s = p.data.subarray(r * cols, (r + 1) * cols).reduce((a, v) => a + v, 0);
          expect(Math.abs(s - 1), `row ${r} of ${values} sums to ${s}`).toBeLessThanOrEqual((cols + 8) * U);
        }
        p.data.forEach((v, i) => expectNear(v, exact[i], cols, `softmax[${i}] of ${values}`));
      }),
    );
  });

  it('logSoftmax matches a float64 computation of (x − m) − log Σ exp(x − m)', () => {
    fc.assert(
      fc.property(logitRows, ({ rows, cols, values }) => {
        const got = tensor(values, { shape: [rows, cols] }).logSoftmax(1).data;
        const exact = logSoftmax64(values, rows, cols);
        got.forEach((v, i) => expectNear(v, exact[i], cols, `logSoftmax[${i}] of ${values}`));
      }),
    );
  });

  it('the gradient of crossEntropy (mean over N) is (softmax − onehot)/N', () => {
    fc.assert(
      fc.property(logitRows, fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), ({ rows, cols, values }, picks) => {
        const labels = Array.from({ length: rows }, (_, r) => picks[r] % cols);
        const z = tensor(values, { shape: [rows, cols], requiresGrad: true });
        F.crossEntropy(z, tensor(labels)).backward();
        const p = softmax64(values, rows, cols);
        z.grad!.data.forEach((v, i) => {
          const onehot = labels[Math.floor(i / cols)] === i % cols ? 1 : 0;
          expectNear(v, (p[i] - onehot) / rows, cols, `∂crossEntropy/∂z[${i}] for ${values}, labels ${labels}`);
        });
      }),
    );
  });

  it('the gradient of logsumexp is softmax', () => {
    fc.assert(
      fc.property(logitRows, ({ rows, cols, values }) => {
        const z = tensor(values, { shape: [rows, cols], requiresGrad: true });
        z.logsumexp(1).sum().backward();
        const p = softmax64(values, rows, cols);
        z.grad!.data.forEach((v, i) => expectNear(v, p[i], cols, `∂logsumexp/∂z[${i}] for ${values}`));
      }),
    );
  });

  it('the cases of the issue: ten tied logits of 1e8, two of 1e30, [1e4, 1e4 − 1], a tied expand', () => {
    const p = full([10], 1e8).softmax(0);
    p.data.forEach((v) => expect(v).toBeCloseTo(0.1, 7));

    const z = full([1, 10], 1e8, { requiresGrad: true });
    const loss = F.crossEntropy(z, tensor([3]));
    expect(loss.item()).toBeCloseTo(Math.log(10), 6);
    loss.backward();
    z.grad!.data.forEach((v, i) => expect(v).toBeCloseTo(i === 3 ? -0.9 : 0.1, 7));

    const w = tensor([[1e30, 1e30]], { requiresGrad: true });
    F.crossEntropy(w, tensor([0])).backward();
    expect([...w.grad!.data]).toEqual([-0.5, 0.5]);

    const v = tensor([1e30, 1e30], { requiresGrad: true });
    v.logsumexp().backward();
    expect([...v.grad!.data]).toEqual([0.5, 0.5]);

    // exact −log(1 + e⁻¹) = −0.31326169; x − logsumexp(x) gave −0.31347656
    expect(tensor([1e4, 1e4 - 1]).logSoftmax(0).data[0]).toBeCloseTo(-Math.log1p(Math.exp(-1)), 7);

    // logSoftmax of four copies of s is −log 4 whatever s is, so the gradient is exactly 0.
    const s = tensor(20, { requiresGrad: true });
    s.expand([4]).logSoftmax(0).square().sum().backward();
    expect(s.grad!.item()).toBe(0);
  });

  it('keeps the −∞ handling: an all −∞ slice has NaN softmax and logSoftmax, and logsumexp −∞ with a zero gradient', () => {
    const x = tensor([[-Infinity, -Infinity], [-Infinity, 0]], { requiresGrad: true });
    expect([...x.softmax(1).data].map(String)).toEqual(['NaN', 'NaN', '0', '1']);
    expect([...x.logSoftmax(1).data].map(String)).toEqual(['NaN', 'NaN', '-Infinity', '0']);
    const y = x.logsumexp(1);
    expect([...y.data]).toEqual([-Infinity, 0]);
    y.sum().backward();
    expect([...x.grad!.data]).toEqual([0, 0, 0, 1]);
  });
});

describe('gradients through softmax stay those of the float64 softmax', () => {
  it('softmax VJP at tied large logits: d Σ softmax(x)·c / dx = s·(c − s·c)', () => {
    const x: Tensor = full([4], 1e30, { requiresGrad: true });
    const c = tensor([1, 2, 3, 4]);
    x.softmax(0).mul(c).sum().backward();
    // s = 1/4 everywhere, s·c summed = 2.5, so the gradient is (c − 2.5)/4.
    expect([...x.grad!.data]).toEqual([-0.375, -0.125, 0.125, 0.375]);
  });
});
