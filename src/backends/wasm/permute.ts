/**
 * permute for the fast backend, in JavaScript: a permutation moves every float once, so the
 * copy into and out of WebAssembly memory would cost as much as the work itself. What makes the
 * reference slow is its per-element callback; this version first merges input axes that stay
 * adjacent (and drops size-1 axes), then copies whole runs when the last axis stays last — the
 * [K, N, H·W] ↔ [N, K, H·W] swaps of conv2d are a few hundred runs of H·W floats — and otherwise
 * walks an odometer with a plain strided inner loop.
 */
import type { Shape } from '../../tensor/shape.js';

/** The permutation with size-1 axes dropped and runs of consecutive input axes merged. */
function simplify(shape: Shape, perm: readonly number[]): { dims: number[]; strides: number[] } {
  const inStrides: number[] = new Array(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) { inStrides[d] = s; s *= shape[d]; }
  const dims: number[] = [];
  const strides: number[] = [];
  let prev = -2;
  for (const p of perm) {
    if (shape[p] === 1) continue;
    if (p === prev + 1 && dims.length > 0) {
      // input axis p directly follows the previous output axis in memory: merge them
      dims[dims.length - 1] *= shape[p];
      strides[strides.length - 1] = inStrides[p];
    } else {
      dims.push(shape[p]);
      strides.push(inStrides[p]);
    }
    prev = p;
  }
  return { dims, strides };
}

export function permute(x: Float32Array, shape: Shape, perm: readonly number[], out: Float32Array): void {
  const { dims, strides } = simplify(shape, perm);
  const rank = dims.length;
  if (rank <= 1) {
    out.set(x.subarray(0, out.length));
    return;
  }
  const inner = dims[rank - 1];
  const innerStride = strides[rank - 1];
  const idx = new Array<number>(rank - 1).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o += inner) {
    if (innerStride === 1) out.set(x.subarray(src, src + inner), o);
    else for (let j = 0, s = src; j < inner; j++, s += innerStride) out[o + j] = x[s];
    for (let d = rank - 2; d >= 0; d--) { // odometer over the outer output axes
      idx[d]++;
      src += strides[d];
      if (idx[d] < dims[d]) break;
      src -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}
