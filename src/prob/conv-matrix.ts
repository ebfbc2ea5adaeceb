/**
 * A convolution as a matrix (LB-hidden App. E, Fig. 16/21; LB-bayes §6.5, Fig. 7): for a filter
 * bank w [K, C, kh, kw] on input [C, H, W], conv(x) = W·vec(x) (+ b), where W [K·H'·W', C·H·W] is a
 * sparse, doubly block Toeplitz matrix whose row (k, i, j) holds the filter w[k] at the input
 * positions of output (i, j). Each row has at most C·kh·kw non-zeros.
 */
import { gatherRaw, reshapeRaw } from '../tensor/compute.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Compressed sparse rows: row r's entries are values[rowPtr[r] .. rowPtr[r+1]) at columns colIdx. */
export class SparseMatrix {
  constructor(
    readonly shape: [number, number],
    readonly rowPtr: Int32Array,
    readonly colIdx: Int32Array,
    readonly values: Float32Array,
  ) {}

  get nnz(): number {
    return this.values.length;
  }

  /** y = A·x for a vector x of length shape[1]. */
  matvec(x: Float32Array | Tensor): Float32Array {
    const v = x instanceof Tensor ? x.data : x;
    if (v.length !== this.shape[1]) throw new Error(`SparseMatrix.matvec: vector of length ${v.length} for a matrix ${fmt(this.shape)}`);
    const y = new Float32Array(this.shape[0]);
    for (let r = 0; r < this.shape[0]; r++) {
      let s = 0;
      for (let e = this.rowPtr[r]; e < this.rowPtr[r + 1]; e++) s += this.values[e] * v[this.colIdx[e]];
      y[r] = s;
    }
    return y;
  }

  toDense(): Tensor {
    const out = new Float32Array(this.shape[0] * this.shape[1]);
    for (let r = 0; r < this.shape[0]; r++) {
      for (let e = this.rowPtr[r]; e < this.rowPtr[r + 1]; e++) out[r * this.shape[1] + this.colIdx[e]] += this.values[e];
    }
    return new Tensor(out, this.shape);
  }
}

export interface ConvMatrixOptions {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  /** Force the representation; by default dense when the matrix has at most 1e6 entries. */
  format?: 'dense' | 'sparse';
}

const pair = (v: number | readonly [number, number]) => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** The matrix W with conv(x) = W·vec(x) for one image of shape inputShape = [C, H, W]. */
export function convAsMatrix(weight: Tensor, inputShape: readonly number[], opts: ConvMatrixOptions = {}): Tensor | SparseMatrix {
  if (weight.ndim !== 4) throw new Error(`convAsMatrix: weight must be [K, C, kh, kw], got ${fmt(weight.shape)}`);
  if (inputShape.length !== 3) throw new Error(`convAsMatrix: inputShape must be [C, H, W], got ${fmt(inputShape)}`);
  const [K, C, kh, kw] = weight.shape;
  const [c, H, W] = inputShape;
  if (c !== C) throw new Error(`convAsMatrix: input has ${c} channels but weight ${fmt(weight.shape)} expects ${C}`);
  const [sH, sW] = pair(opts.stride ?? 1);
  const [pH, pW] = pair(opts.padding ?? 0);
  const oH = Math.floor((H + 2 * pH - kh) / sH) + 1;
  const oW = Math.floor((W + 2 * pW - kw) / sW) + 1;
  if (oH < 1 || oW < 1) throw new Error(`convAsMatrix: kernel ${kh}×${kw} is larger than the padded input ${H + 2 * pH}×${W + 2 * pW}`);
  const rows = K * oH * oW;
  const cols = C * H * W;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  const weightIdx: number[] = []; // the weight each stored entry copies (gathered below)
  for (let k = 0; k < K; k++)
    for (let i = 0; i < oH; i++)
      for (let j = 0; j < oW; j++) {
        for (let ci = 0; ci < C; ci++)
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++) {
              const y = i * sH - pH + u;
              const x = j * sW - pW + v;
              if (y < 0 || x < 0 || y >= H || x >= W) continue; // zero padding contributes nothing
              colIdx.push((ci * H + y) * W + x);
              weightIdx.push(((k * C + ci) * kh + u) * kw + v);
            }
        rowPtr[(k * oH + i) * oW + j + 1] = weightIdx.length;
      }
  const values = gatherRaw(reshapeRaw(weight, [-1]), 0, new Tensor(Float32Array.from(weightIdx), [weightIdx.length])).data;
  const sparse = new SparseMatrix([rows, cols], rowPtr, Int32Array.from(colIdx), values);
  const format = opts.format ?? (rows * cols <= 1e6 ? 'dense' : 'sparse');
  return format === 'dense' ? sparse.toDense() : sparse;
}
