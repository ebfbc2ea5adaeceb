/**
 * Interop with the `ndarray` package. Both directions share memory when the layout allows it:
 * a Tensor is always row-major and contiguous; an ndarray is shared only when it is a row-major
 * contiguous view of a Float32Array, and copied otherwise.
 */
import ndarray, { type NdArray } from 'ndarray';
import { sizeOf, stridesOf } from './shape.js';
import { Tensor } from './tensor.js';

export function toNdarray(t: Tensor): NdArray<Float32Array> {
  return ndarray(t.data, [...t.shape]);
}

export function fromNdarray(a: NdArray): Tensor {
  const shape = [...a.shape];
  const rowMajor = stridesOf(shape);
  const contiguous = a.stride.every((s, i) => s === rowMajor[i] || shape[i] === 1);
  if (a.data instanceof Float32Array && contiguous) {
    return new Tensor(a.data.subarray(a.offset, a.offset + sizeOf(shape)), shape);
  }
  const out = new Float32Array(sizeOf(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    out[o] = a.get(...idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}
