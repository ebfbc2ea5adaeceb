/**
 * Reductions of the fast backend, in JavaScript (like the elementwise loops, see elementwise.ts:
 * a reduction reads each float once, so a round trip through WebAssembly memory would cost more
 * than the sum). The reference walks every axis with an odometer and a fold closure per element;
 * the two patterns that training steps produce get plain loops instead:
 * - over the leading axes, [N, F] → [F]: the gradient of a broadcast bias (sumToShape);
 * - over the trailing axes, [N, F] → [N]: per-sample losses, softmax's max and sum with keepDims.
 * Each accumulates in float64 with the reference's folds (REDUCE) in its order (row-major over the input), so the results
 * are identical bit for bit; any other axes go to the reference.
 */
import type { Kernels, ReduceKernel } from '../../tensor/kernels.js';
import { REDUCE, referenceKernels } from '../reference/index.js';
import { sizeOf, type Shape } from '../../tensor/shape.js';

/** Whether `axes` are exactly 0..k−1 ('leading') or k..rank−1 ('trailing') of a rank-`rank` shape. */
function axesPattern(axes: readonly number[], rank: number): 'leading' | 'trailing' | null {
  const sorted = [...axes].sort((p, q) => p - q);
  if (sorted.length === 0 || sorted.some((a, i) => i > 0 && a === sorted[i - 1])) return null;
  if (sorted.every((a, i) => a === i)) return 'leading';
  if (sorted.every((a, i) => a === rank - sorted.length + i)) return 'trailing';
  return null;
}

/** Σ (or max, min) over the leading rows: out[j] = fold over r of x[r·F + j]. */
function overRows(op: ReduceKernel, x: Float32Array, rows: number, out: Float32Array): void {
  const F = out.length;
  const { start, fold } = REDUCE[op];
  const acc = new Float64Array(F).fill(start);
  // the sum, by far the most common, without the call per element
  if (op === 'sum') for (let r = 0; r < rows; r++) for (let j = 0, i = r * F; j < F; j++, i++) acc[j] += x[i];
  else for (let r = 0; r < rows; r++) for (let j = 0, i = r * F; j < F; j++, i++) acc[j] = fold(acc[j], x[i]);
  out.set(acc);
}

/** Σ (or max, min) within each row of length `inner`: out[o] = fold over j of x[o·inner + j]. */
function withinRows(op: ReduceKernel, x: Float32Array, inner: number, out: Float32Array): void {
  const { start, fold } = REDUCE[op];
  for (let o = 0, i = 0; o < out.length; o++) {
    let acc = start;
    if (op === 'sum') for (let j = 0; j < inner; j++, i++) acc += x[i];
    else for (let j = 0; j < inner; j++, i++) acc = fold(acc, x[i]);
    out[o] = acc;
  }
}

export function reduce(op: ReduceKernel, x: Float32Array, shape: Shape, axes: readonly number[], out: Float32Array): void {
  const pattern = axesPattern(axes, shape.length);
  const reduced = sizeOf(axes.map((a) => shape[a]));
  if (pattern === null || reduced === 0 || out.length === 0) return referenceKernels.reduce(op, x, shape, axes, out);
  if (pattern === 'leading') overRows(op, x, reduced, out);
  else withinRows(op, x, reduced, out);
}

export const reduceKernels: Pick<Kernels, 'reduce'> = { reduce };
