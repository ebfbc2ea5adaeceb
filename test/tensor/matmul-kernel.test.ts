// The blocked reference GEMM against the textbook triple loop, on the sizes that exercise its
// tails: odd row counts (rows are computed in pairs) and k mod 4 ≠ 0 (k advances by four).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { referenceKernels } from '../../src/backends/reference/index.js';

function textbook(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  }
  return c;
}

const size = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 17, 33);

describe('reference matmul kernel', () => {
  it('equals the triple loop for every tail case, transposes and batch strides', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), size, size, size, fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.boolean(), (seed, m, k, n, transA, transB, batch, shareB) => {
        const rng = new Rng(seed);
        const rand = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
        const a = rand(batch * m * k);
        const b = rand((shareB ? 1 : batch) * k * n);
        const out = new Float32Array(batch * m * n);
        referenceKernels.matmul(a, b, out, { batch, m, k, n, transA, transB, aStride: m * k, bStride: shareB ? 0 : k * n });
        for (let t = 0; t < batch; t++) {
          const bt = shareB ? b : b.subarray(t * k * n, (t + 1) * k * n);
          const expected = textbook(a.subarray(t * m * k, (t + 1) * m * k), bt, m, k, n, transA, transB);
          expected.forEach((v, i) => expect(Math.abs(out[t * m * n + i] - v)).toBeLessThanOrEqual(1e-5 * (1 + Math.sqrt(k)) * (1 + Math.abs(v))));
        }
      }),
      { numRuns: 200 },
    );
  });
});
