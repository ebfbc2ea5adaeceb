/**
 * Tensor-level computations without autograd: they check shapes (errors name the op), allocate
 * the output and call the active kernels. The autograd ops are thin wrappers around these.
 */
import { kernels, type BinaryKernel, type ReduceKernel, type UnaryKernel } from './kernels.js';
import '../backends/reference/index.js'; // the reference backend is always registered, whoever imports the core
import {
  broadcastShapes, broadcastStrides, fmt, normAxes, normAxis, normPerm, reducedShape, resolveReshape,
  sameShape, sizeOf, stridesOf, type Shape,
} from './shape.js';
import { Tensor } from './tensor.js';

/** f(x) elementwise; a and b are the parameters of clamp, elu and leakyRelu (Kernels.unary). */
export function unaryRaw(op: UnaryKernel, x: Tensor, a = 0, b = 0): Tensor {
  const out = new Float32Array(x.size);
  kernels().unary(op, x.data, out, a, b);
  return new Tensor(out, x.shape);
}

export function binaryRaw(op: BinaryKernel, a: Tensor, b: Tensor, name: string = op): Tensor {
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = new Float32Array(sizeOf(shape));
  kernels().binary(op, a.data, a.shape, b.data, b.shape, out, shape);
  return new Tensor(out, shape);
}

export function reduceRaw(op: ReduceKernel, x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean, name: string = op): Tensor {
  const axes = normAxes(name, axis, x.shape);
  if (op !== 'sum' && axes.some((a) => x.shape[a] === 0)) {
    throw new Error(`${name}: cannot reduce an empty axis of shape ${fmt(x.shape)}`);
  }
  const out = new Float32Array(sizeOf(reducedShape(x.shape, axes, true)));
  kernels().reduce(op, x.data, x.shape, axes, out);
  return new Tensor(out, reducedShape(x.shape, axes, keepDims));
}

/** Indices (as float32 integers) of the max/min along `axis`; the first index wins ties. */
export function argReduceRaw(op: 'argmax' | 'argmin', x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = normAxis(op, axis, x.ndim, x.shape);
  if (x.shape[a] === 0) throw new Error(`${op}: axis ${axis} of shape ${fmt(x.shape)} is empty`);
  const out = new Float32Array(x.size / x.shape[a]);
  kernels().argReduce(op, x.data, x.shape, a, out);
  return new Tensor(out, reducedShape(x.shape, [a], keepDims));
}

/** A tensor with the same data and a new shape (one dimension may be −1). */
export function reshapeRaw(x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(x.data, resolveReshape('reshape', x.shape, shape));
}

export function permuteRaw(x: Tensor, perm: readonly number[]): Tensor {
  const p = normPerm('permute', perm, x.shape);
  const out = new Float32Array(x.size);
  kernels().permute(x.data, x.shape, p, out);
  return new Tensor(out, p.map((i) => x.shape[i]));
}

/** Copies x, read through `strides`, into a fresh row-major tensor of `shape`. */
function stridedCopy(x: Float32Array, strides: readonly number[], shape: Shape, offset = 0): Float32Array {
  const out = new Float32Array(sizeOf(shape));
  kernels().stridedRead(x, strides, shape, offset, out);
  return out;
}

/** Materialises x broadcast to `shape`. */
export function expandRaw(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes('expand', x.shape, shape);
  if (!sameShape(target, shape)) throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)}`);
  if (sameShape(x.shape, shape)) return new Tensor(x.data, shape);
  return new Tensor(stridedCopy(x.data, broadcastStrides(x.shape, shape), shape), shape);
}

/** Sums a broadcast gradient back to `shape` (the adjoint of expand). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = reduceRaw('sum', g, axes, true);
  return new Tensor(summed.data, shape);
}

/** Batched matrix product with NumPy broadcasting of the batch dimensions. */
export function matmulRaw(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.ndim < 1 || b.ndim < 1) throw new Error(`matmul: both operands need at least 1 dimension, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  // 1-D operands are promoted to matrices (as in NumPy) and the added axis is dropped afterwards.
  const A = a.ndim === 1 ? reshapeRaw(a, transA ? [a.size, 1] : [1, a.size]) : a;
  const B = b.ndim === 1 ? reshapeRaw(b, transB ? [1, b.size] : [b.size, 1]) : b;
  const [ar, ac] = A.shape.slice(-2);
  const [br, bc] = B.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2) {
    const what = `${fmt(a.shape)}${transA ? 'ᵀ' : ''} and ${fmt(b.shape)}${transB ? 'ᵀ' : ''}`;
    throw new Error(`matmul: inner dimensions differ for ${what}: ${k} vs ${k2}`);
  }
  const aBatch = A.shape.slice(0, -2);
  const bBatch = B.shape.slice(0, -2);
  const batchShape = broadcastShapes('matmul (batch dimensions)', aBatch, bBatch);
  const batch = sizeOf(batchShape);
  // A batch operand is read with stride 0 when it is shared by all entries; otherwise it is
  // materialised to the full batch shape so that one stride walks it.
  const prep = (t: Tensor, tb: number[], r: number, c: number): [Float32Array, number] => {
    if (sizeOf(tb) === 1) return [t.data, 0];
    if (sameShape(tb, batchShape)) return [t.data, r * c];
    return [expandRaw(t, [...batchShape, r, c]).data, r * c];
  };
  const [ad, aStride] = prep(A, aBatch, ar, ac);
  const [bd, bStride] = prep(B, bBatch, br, bc);
  const out = new Float32Array(batch * m * n);
  kernels().matmul(ad, bd, out, { batch, m, k, n, transA, transB, aStride, bStride });
  const shape = [...batchShape, m, n];
  if (a.ndim === 1) shape.splice(shape.length - 2, 1);
  if (b.ndim === 1) shape.splice(shape.length - 1, 1);
  return new Tensor(out, shape);
}

/**
 * Per axis: null (the whole axis), an index (kept as an axis of length 1), [start, end), or
 * [start, end, step] with step ≥ 1 (start or end null: from the beginning, to the end).
 */
export type SliceSpec = readonly (readonly [number, number] | readonly [number | null, number | null, number] | number | null)[];

/** Normalises a per-axis [start, end[, step]) spec (null = whole axis, negative = from the end). */
export function normSlice(x: Shape, spec: SliceSpec): { starts: number[]; ends: number[]; steps: number[] } {
  if (spec.length > x.length) throw new Error(`slice: ${spec.length} ranges given for a tensor of shape ${fmt(x)}`);
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  x.forEach((d, i) => {
    const r = spec[i] ?? null;
    // An integer index i (kept as an axis of length 1) wraps before its end i + 1 is formed, so
    // −1 is the last position, as in PyTorch; a range wraps each of its ends.
    const index = typeof r === 'number' && r < 0 ? r + d : r;
    let step = 1;
    let s: number, e: number;
    if (index === null) [s, e] = [0, d];
    else if (typeof index === 'number') [s, e] = [index, index + 1];
    else {
      s = index[0] ?? 0;
      e = index[1] ?? d;
      if (index.length > 2) step = index[2] as number;
      if (s < 0) s += d;
      if (e < 0) e += d;
    }
    if (!Number.isInteger(step) || step < 1) {
      throw new Error(`slice: step ${step} for axis ${i} must be a positive integer (as in PyTorch; flip reverses an axis)`);
    }
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > d || s > e) {
      throw new Error(`slice: range ${JSON.stringify(r)} is out of bounds for axis ${i} of shape ${fmt(x)}`);
    }
    starts.push(s);
    ends.push(e);
    steps.push(step);
  });
  return { starts, ends, steps };
}

/** Positions start, start + step, … below end along each axis (steps default to 1). */
export function sliceRaw(x: Tensor, starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Tensor {
  const step = (i: number) => steps?.[i] ?? 1;
  const shape = ends.map((e, i) => Math.ceil((e - starts[i]) / step(i)));
  const strides = stridesOf(x.shape);
  const offset = starts.reduce((o, s, i) => o + s * strides[i], 0);
  return new Tensor(stridedCopy(x.data, strides.map((st, i) => st * step(i)), shape, offset), shape);
}

/** Zero tensor of `shape` with `g` written at offset `starts`, every steps[i]-th position (the adjoint of slice). */
export function embedRaw(g: Tensor, shape: Shape, starts: readonly number[], fill = 0, steps?: readonly number[]): Tensor {
  const out = new Float32Array(sizeOf(shape)).fill(fill);
  const strides = stridesOf(shape);
  const offset = starts.reduce((o, s, i) => o + s * strides[i], 0);
  kernels().stridedWrite(g.data, strides.map((st, i) => st * (steps?.[i] ?? 1)), g.shape, offset, out);
  return new Tensor(out, shape);
}

export function concatRaw(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0].shape;
  const a = normAxis('concat', axis, first.length, first);
  for (const t of xs) {
    if (t.ndim !== first.length || t.shape.some((d, i) => i !== a && d !== first[i])) {
      throw new Error(`concat: shapes ${xs.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const shape = [...first];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = new Float32Array(sizeOf(shape));
  const outer = sizeOf(first.slice(0, a));
  const inner = sizeOf(first.slice(a + 1));
  kernels().concat(xs.map((t) => t.data), xs.map((t) => t.shape[a] * inner), outer, out);
  return new Tensor(out, shape);
}

/** Constant padding: `pads[i] = [before, after]` for axis i (missing leading axes get none). */
export function padRaw(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length > x.ndim) throw new Error(`pad: ${pads.length} pad pairs for a tensor of shape ${fmt(x.shape)}`);
  const full = [...new Array(x.ndim - pads.length).fill([0, 0]), ...pads] as [number, number][];
  for (const [b, e] of full) {
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < 0) throw new Error(`pad: pads must be non-negative integers, got ${JSON.stringify(pads)}`);
  }
  const shape = x.shape.map((d, i) => d + full[i][0] + full[i][1]);
  return embedRaw(x, shape, full.map((p) => p[0]), value);
}

function checkIndex(op: string, x: Tensor, axis: number, index: Tensor): number {
  const a = normAxis(op, axis, x.ndim, x.shape);
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new Error(`${op}: index of shape ${fmt(index.shape)} must match input ${fmt(x.shape)} except along axis ${axis}`);
  }
  for (const v of index.data) {
    if (!Number.isInteger(v) || v < 0 || v >= x.shape[a]) {
      throw new Error(`${op}: index value ${v} is out of range [0, ${x.shape[a] - 1}] for axis ${axis} of shape ${fmt(x.shape)}`);
    }
  }
  return a;
}

/** PyTorch's gather: out[…, i, …] = x[…, index[…, i, …], …] along `axis`. */
export function gatherRaw(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = checkIndex('gather', x, axis, index);
  const out = new Float32Array(index.size);
  kernels().gather(x.data, x.shape, a, index.data, index.shape, out);
  return new Tensor(out, index.shape);
}

/** The adjoint of gather: adds g into zeros of `shape` at the gathered positions. */
export function scatterAddRaw(g: Tensor, axis: number, index: Tensor, shape: Shape): Tensor {
  const out = new Float32Array(sizeOf(shape));
  const a = normAxis('scatterAdd', axis, shape.length, shape);
  kernels().scatterAdd(g.data, index.data, index.shape, a, shape, out);
  return new Tensor(out, shape);
}

/** [outer, len, inner] around `axis` of `shape`. */
function around(shape: Shape, a: number): [number, number, number] {
  return [sizeOf(shape.slice(0, a)), shape[a], sizeOf(shape.slice(a + 1))];
}

/** PyTorch's index_select: the slices of x at positions `index` (1-D, integers) along `axis`. */
export function indexSelectRaw(x: Tensor, axis: number, index: Tensor): Tensor {
  if (index.ndim !== 1) throw new Error(`indexSelect: the index must be 1-D, got shape ${fmt(index.shape)}`);
  const a = normAxis('indexSelect', axis, x.ndim, x.shape);
  for (const v of index.data) {
    if (!Number.isInteger(v) || v < 0 || v >= x.shape[a]) throw new Error(`indexSelect: index value ${v} is out of range [0, ${x.shape[a] - 1}] for axis ${axis} of shape ${fmt(x.shape)}`);
  }
  const [outer, len, inner] = around(x.shape, a);
  const shape = x.shape.map((d, i) => (i === a ? index.size : d));
  const out = new Float32Array(sizeOf(shape));
  kernels().indexSelect(x.data, outer, len, inner, index.data, out);
  return new Tensor(out, shape);
}

/** The adjoint of indexSelect: g's slices added into zeros of `shape` at positions `index` along `axis`. */
export function indexAddRaw(g: Tensor, axis: number, index: Tensor, shape: Shape): Tensor {
  const a = normAxis('indexAdd', axis, shape.length, shape);
  const [outer, len, inner] = around(shape, a);
  const out = new Float32Array(sizeOf(shape));
  kernels().indexAdd(g.data, outer, len, inner, index.data, out);
  return new Tensor(out, shape);
}

/** out = cond ≠ 0 ? a : b, all three broadcast together. */
export function whereRaw(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const [c, x, y] = [cond, a, b].map((t) => expandRaw(t, shape).data);
  const out = new Float32Array(sizeOf(shape));
  kernels().where(c, x, y, out);
  return new Tensor(out, shape);
}

/** x reversed along the given (normalised, distinct) axes: a strided read with negative strides. */
export function flipRaw(x: Tensor, axes: readonly number[]): Tensor {
  const strides = stridesOf(x.shape);
  let offset = 0;
  const flipped = strides.map((st, i) => {
    if (!axes.includes(i)) return st;
    offset += Math.max(x.shape[i] - 1, 0) * st;
    return -st;
  });
  if (x.size === 0) return new Tensor(new Float32Array(0), x.shape);
  return new Tensor(stridedCopy(x.data, flipped, x.shape, offset), x.shape);
}

/** Stable argsort along `axis` (positions as float32 integers, shaped like x). */
export function argsortRaw(x: Tensor, axis: number, descending: boolean, op = 'argsort'): Tensor {
  const a = normAxis(op, axis, x.ndim, x.shape);
  const out = new Float32Array(x.size);
  const [outer, len, inner] = x.ndim === 0 ? [1, 1, 1] : around(x.shape, a);
  kernels().argsort(x.data, outer, len, inner, descending, out);
  return new Tensor(out, x.shape);
}

/** Running sums or products along `axis` (see Kernels.scan). */
export function scanRaw(op: 'sum' | 'prod', x: Tensor, axis: number, exclusive = false, reverse = false, name: string = op): Tensor {
  const a = normAxis(name, axis, x.ndim, x.shape);
  const out = new Float32Array(x.size);
  const [outer, len, inner] = x.ndim === 0 ? [1, 1, 1] : around(x.shape, a);
  kernels().scan(op, x.data, outer, len, inner, exclusive, reverse, out);
  return new Tensor(out, x.shape);
}

/** PyTorch's scatter (add = false) and scatter_add (add = true): a copy of x with src written (or added) at index along `axis`. */
export function scatterIntoRaw(x: Tensor, axis: number, index: Tensor, src: Tensor, add: boolean, op: string): Tensor {
  const a = checkIndex(op, x, axis, index);
  if (!sameShape(src.shape, index.shape)) throw new Error(`${op}: src of shape ${fmt(src.shape)} must have the index's shape ${fmt(index.shape)}`);
  const out = x.data.slice();
  if (add) kernels().scatterAdd(src.data, index.data, index.shape, a, x.shape, out);
  else kernels().scatter(src.data, index.data, index.shape, a, x.shape, out);
  return new Tensor(out, x.shape);
}

/** One-hot rows: indices of shape S give a tensor of shape [...S, numClasses]. */
export function oneHot(indices: Tensor | readonly number[], numClasses: number): Tensor {
  const idx = indices instanceof Tensor ? indices : new Tensor(Float32Array.from(indices), [indices.length]);
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new Error(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  idx.data.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(`oneHot: label ${v} at position ${i} is out of range [0, ${numClasses - 1}]`);
    }
  });
  // A 1 scattered into each row of zeros [size, C] at column index[row].
  const out = new Float32Array(idx.size * numClasses);
  kernels().scatterAdd(new Float32Array(idx.size).fill(1), idx.data, [idx.size, 1], 1, [idx.size, numClasses], out);
  return new Tensor(out, [...idx.shape, numClasses]);
}
