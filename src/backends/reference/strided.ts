/**
 * Strided copies: walk an output of `shape` in row-major order while a source (or destination)
 * index advances by `strides` — the odometer behind permute, expand, slice and pad.
 */
import { sizeOf, type Shape } from '../../tensor/shape.js';

/** out[i] = src[offset + Σ_d idx_d · strides_d] for every index of `shape`, in row-major order. */
export function stridedRead(src: Float32Array, strides: readonly number[], shape: Shape, offset: number, out: Float32Array): Float32Array {
  walk(shape, strides, offset, (o, s) => (out[o] = src[s]));
  return out;
}

/** dst[offset + Σ_d idx_d · strides_d] = src[i]: the scatter that undoes stridedRead. */
export function stridedWrite(src: Float32Array, strides: readonly number[], shape: Shape, offset: number, dst: Float32Array): Float32Array {
  walk(shape, strides, offset, (o, s) => (dst[s] = src[o]));
  return dst;
}

/** Calls visit(i, offset + Σ_d idx_d · strides_d) for every row-major index i of `shape`. */
export function walk(shape: Shape, strides: readonly number[], offset: number, visit: (flat: number, strided: number) => void): void {
  const rank = shape.length;
  const n = sizeOf(shape);
  const idx = new Array<number>(rank).fill(0);
  let at = offset;
  for (let o = 0; o < n; o++) {
    visit(o, at);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      at += strides[d];
      if (idx[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
}
