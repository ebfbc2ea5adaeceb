/**
 * The differentiable Tensor methods (PyTorch names). src/tensor defines Tensor without autograd;
 * this module installs the methods on its prototype and declares their types.
 */
import { argReduceRaw, binaryRaw, normSlice, unaryRaw, type SliceSpec } from '../tensor/compute.js';
import { broadcastShapes, describeValue, fmt, normAxis, reducedShape, normAxes, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { backward, type BackwardOptions } from './engine.js';
import * as E from './ops/elementwise.js';
import * as A from './ops/activations.js';
import type { GeluApproximate } from './ops/activations.js';
import { conv2d as conv2dOp, maxPool2d as maxPool2dOp, type Pool2d, type Window2d } from './ops/conv.js';
import { linear as linearOp, matmul as matmulOp } from './ops/linalg.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape.js';
import * as RM from './ops/reduce-more.js';
import * as SO from './ops/sort.js';
import * as IX from './ops/indexing.js';
import { argsortRaw as argsortIndices } from '../tensor/compute.js';

export type Scalar = Tensor | number;
type Axis = number | readonly number[];

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(other: Scalar): Tensor;
    sub(other: Scalar): Tensor;
    mul(other: Scalar): Tensor;
    div(other: Scalar): Tensor;
    pow(other: Scalar): Tensor;
    maximum(other: Scalar): Tensor;
    minimum(other: Scalar): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    softplus(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    erf(): Tensor;
    reciprocal(): Tensor;
    rsqrt(): Tensor;
    /** min(max(x, min), max); either bound may be omitted (undefined or null), not both. */
    clamp(min?: number | null, max?: number | null): Tensor;
    /** x·Φ(x) (exact, erf-based: PyTorch's default), or its 'tanh' approximation. */
    gelu(approximate?: GeluApproximate): Tensor;
    /** x·σ(x). */
    silu(): Tensor;
    /** x for x > 0, α·(eˣ − 1) otherwise (α = 1 by default). */
    elu(alpha?: number): Tensor;
    /** x for x > 0, negativeSlope·x otherwise (0.01 by default). */
    leakyRelu(negativeSlope?: number): Tensor;
    sum(axis?: Axis, keepDims?: boolean): Tensor;
    mean(axis?: Axis, keepDims?: boolean): Tensor;
    max(axis?: Axis, keepDims?: boolean): Tensor;
    min(axis?: Axis, keepDims?: boolean): Tensor;
    logsumexp(axis?: Axis, keepDims?: boolean): Tensor;
    /** Population variance (divides by n; pass unbiased=true for n − 1). */
    var(axis?: Axis, keepDims?: boolean, unbiased?: boolean): Tensor;
    /** Product over the axes; its gradient is exact at zeros (no division). */
    prod(axis?: Axis, keepDims?: boolean): Tensor;
    /** Standard deviation; divides by n − correction (false/0: n, true/1: n − 1), default n as var. */
    std(axis?: Axis, keepDims?: boolean, unbiased?: boolean | number): Tensor;
    /** The p-norm (p = 1, 2 or Infinity) over all axes or the given ones. */
    norm(p?: number, axis?: Axis, keepDims?: boolean): Tensor;
    /** Running sum along an axis. */
    cumsum(axis: number): Tensor;
    /** Sorted values along an axis and the positions they came from (stable: ties keep their order). */
    sort(axis?: number, descending?: boolean): { values: Tensor; indices: Tensor };
    /** The positions that sort the axis (stable; not differentiable). */
    argsort(axis?: number, descending?: boolean): Tensor;
    /** The k largest (or smallest) along an axis, sorted, with their positions (ties: the lower position first). */
    topk(k: number, axis?: number, largest?: boolean): { values: Tensor; indices: Tensor };
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    matmul(other: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    /** Flattens axes startDim..endDim into one. */
    flatten(startDim?: number, endDim?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    /** Swaps two axes (default: the last two). */
    transpose(dim0?: number, dim1?: number): Tensor;
    /** Per-axis [start, end) ranges; a number selects one index and keeps the axis; null = all. */
    slice(spec: SliceSpec): Tensor;
    pad(pads: readonly (readonly [number, number])[], value?: number): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    /** The slices at positions `index` (1-D) along `axis`, as PyTorch's index_select. */
    indexSelect(axis: number, index: Tensor): Tensor;
    /** PyTorch's scatter: a copy with src (shaped like the index, or a number) written at index along axis. */
    scatter(axis: number, index: Tensor, src: Tensor | number): Tensor;
    /** PyTorch's scatter_add: a copy with src (shaped like the index) added at index along axis. */
    scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor;
    /** value where mask ≠ 0 (mask broadcasts to this tensor's shape), this tensor elsewhere. */
    maskedFill(mask: Tensor, value: Scalar): Tensor;
    /** Tiles the tensor: repeat(2, 3) or repeat([2, 3]); extra leading counts add axes. */
    repeat(...sizes: (number | readonly number[])[]): Tensor;
    /** Reverses the order along the given axes. */
    flip(axes: number | readonly number[]): Tensor;
    /** Pieces along an axis: of size n each (the last may be smaller), or of the given sizes. */
    split(sizeOrSections: number | readonly number[], axis?: number): Tensor[];
    /** n pieces (or fewer) of size ⌈d/n⌉ along an axis, as PyTorch's chunk. */
    chunk(n: number, axis?: number): Tensor[];
    expand(shape: readonly number[]): Tensor;
    unsqueeze(axis: number): Tensor;
    squeeze(axis?: number): Tensor;
    conv2d(weight: Tensor, bias?: Tensor, opts?: Window2d): Tensor;
    /** Max-pooling over NCHW: `maxPool2d(2)` (kernel 2, stride 2, as PyTorch's max_pool2d(x, 2)) or `maxPool2d({ kernelSize, stride, padding })`. */
    maxPool2d(opts: Pool2d | number | readonly [number, number]): Tensor;
    // Not differentiable: masks (1/0 as float32), signs and indices.
    eq(other: Scalar): Tensor;
    ne(other: Scalar): Tensor;
    lt(other: Scalar): Tensor;
    le(other: Scalar): Tensor;
    gt(other: Scalar): Tensor;
    ge(other: Scalar): Tensor;
    sign(): Tensor;
    argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    /** Back-propagates from this tensor; a non-scalar needs a seed of its shape. */
    /** Back-propagates (see autograd/engine.ts): a seed gradient, or { seed, retainGraph }. */
    backward(seedOrOptions?: Tensor | BackwardOptions): void;
    /** The same values, cut from the graph (shares data). */
    detach(): Tensor;
    /** A copy of the data, cut from the graph. */
    clone(): Tensor;
    zeroGrad(): void;
    /** Sets requiresGrad (on leaves) and returns this tensor. */
    requiresGrad_(flag?: boolean): Tensor;
  }
}

/** The other operand of a binary method: a Tensor, or a number taken as a 0-d tensor. */
export function asTensor(v: Scalar, op = 'asTensor'): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v === 'number') return new Tensor(new Float32Array([v]), []);
  const hint = Array.isArray(v) ? ' (wrap it: tensor([...]))' : '';
  throw new TypeError(`${op}: expected a Tensor or a number, got ${describeValue(v)}${hint}`);
}

/** A 0-d tensor's sort or topk, computed on its 1-element view: 0-d values and indices, as PyTorch. */
const scalarCase = ({ values, indices }: { values: Tensor; indices: Tensor }) => ({ values: values.reshape([]), indices: indices.reshape([]) });

const reduceOpts = (axis: Axis | undefined, keepDims = false): R.ReduceAttrs => ({ axis, keepDims });

const methods: { [K in keyof Tensor]?: (this: Tensor, ...args: any[]) => unknown } = {
  add(o: Scalar) { return E.add(this, asTensor(o, 'add')); },
  sub(o: Scalar) { return E.sub(this, asTensor(o, 'sub')); },
  mul(o: Scalar) { return E.mul(this, asTensor(o, 'mul')); },
  div(o: Scalar) { return E.div(this, asTensor(o, 'div')); },
  pow(o: Scalar) { return E.pow(this, asTensor(o, 'pow')); },
  maximum(o: Scalar) { return E.maximum(this, asTensor(o, 'maximum')); },
  minimum(o: Scalar) { return E.minimum(this, asTensor(o, 'minimum')); },
  neg() { return E.neg(this); },
  exp() { return E.exp(this); },
  log() { return E.log(this); },
  sqrt() { return E.sqrt(this); },
  abs() { return E.abs(this); },
  square() { return E.square(this); },
  tanh() { return E.tanh(this); },
  sigmoid() { return E.sigmoid(this); },
  relu() { return E.relu(this); },
  softplus() { return E.softplus(this); },
  log1p() { return E.log1p(this); },
  expm1() { return E.expm1(this); },
  sin() { return E.sin(this); },
  cos() { return E.cos(this); },
  erf() { return E.erf(this); },
  reciprocal() { return E.reciprocal(this); },
  rsqrt() { return E.rsqrt(this); },
  clamp(min?: number | null, max?: number | null) { return A.clamp(this, min, max); },
  gelu(approximate?: GeluApproximate) { return A.gelu(this, approximate); },
  silu() { return A.silu(this); },
  elu(alpha?: number) { return A.elu(this, alpha); },
  leakyRelu(negativeSlope?: number) { return A.leakyRelu(this, negativeSlope); },
  sum(axis?: Axis, keepDims?: boolean) { return R.sum([this], reduceOpts(axis, keepDims)); },
  mean(axis?: Axis, keepDims?: boolean) { return R.mean([this], reduceOpts(axis, keepDims)); },
  max(axis?: Axis, keepDims?: boolean) { return R.max([this], reduceOpts(axis, keepDims)); },
  min(axis?: Axis, keepDims?: boolean) { return R.min([this], reduceOpts(axis, keepDims)); },
  logsumexp(axis?: Axis, keepDims?: boolean) { return R.logsumexp([this], reduceOpts(axis, keepDims)); },
  var(axis?: Axis, keepDims = false, unbiased = false) {
    const n = normAxes('var', axis, this.shape).reduce((p, a) => p * this.shape[a], 1);
    const centred = this.sub(this.mean(axis, true));
    return centred.square().sum(axis, keepDims).div(RM.varianceDivisor('var', n, unbiased ? 1 : 0));
  },
  prod(axis?: Axis, keepDims?: boolean) { return RM.prod([this], reduceOpts(axis, keepDims)); },
  std(axis?: Axis, keepDims = false, unbiased: boolean | number = false) {
    const correction = typeof unbiased === 'number' ? unbiased : unbiased ? 1 : 0;
    return RM.std([this], { axis, keepDims, correction });
  },
  norm(p = 2, axis?: Axis, keepDims = false) {
    RM.checkNormOrder(p);
    return RM.norm([this], { p, axis, keepDims });
  },
  cumsum(axis: number) {
    if (this.ndim === 0) return RM.cumsum([this.reshape([1])], { axis: normAxis('cumsum', axis, 1) }).reshape([]);
    return RM.cumsum([this], { axis });
  },
  sort(axis = -1, descending = false) {
    if (this.ndim === 0) return scalarCase(this.reshape([1]).sort(normAxis('sort', axis, 1), descending));
    const indices = argsortIndices(this, axis, descending, 'sort');
    return { values: SO.sort([this, indices], { axis }), indices };
  },
  argsort(axis = -1, descending = false) {
    if (this.ndim === 0) return argsortIndices(this.reshape([1]), normAxis('argsort', axis, 1), descending).reshape([]);
    return argsortIndices(this, axis, descending);
  },
  topk(k: number, axis = -1, largest = true) {
    if (this.ndim === 0 && k === 1) return scalarCase(this.reshape([1]).topk(1, normAxis('topk', axis, 1), largest));
    const indices = SO.topkIndices(this, k, axis, largest);
    return { values: SO.topk([this, indices], { axis }), indices };
  },
  // A 0-d tensor is a distribution over one value, along axis 0 or −1 as in PyTorch: softmax 1, log-softmax 0.
  softmax(axis = -1) { return this.ndim === 0 && (axis === 0 || axis === -1) ? R.softmax([this.reshape([1])], { axis: 0 }).reshape([]) : R.softmax([this], { axis }); },
  logSoftmax(axis = -1) { return this.ndim === 0 && (axis === 0 || axis === -1) ? R.logSoftmax([this.reshape([1])], { axis: 0 }).reshape([]) : R.logSoftmax([this], { axis }); },
  matmul(o: Tensor) {
    if (this.ndim === 0 || o.ndim === 0) throw new Error(`matmul: scalars are not matrices (shapes ${fmt(this.shape)} and ${fmt(o.shape)}); use mul`);
    // 1-D operands become a row (left) or a column (right), and that axis is removed after.
    const a = this.ndim === 1 ? this.reshape([1, this.size]) : this;
    const b = o.ndim === 1 ? o.reshape([o.size, 1]) : o;
    const y = matmulOp([a, b], undefined);
    if (this.ndim > 1 && o.ndim > 1) return y;
    const shape = [...y.shape];
    if (o.ndim === 1) shape.pop();
    if (this.ndim === 1) shape.splice(shape.length - (o.ndim === 1 ? 1 : 2), 1);
    return y.reshape(shape);
  },
  reshape(shape: readonly number[]) { return S.reshape([this], { shape }); },
  flatten(startDim = 0, endDim = -1) {
    if (this.ndim === 0) return this.reshape([1]);
    const s = normAxis('flatten', startDim, this.ndim, this.shape);
    const e = normAxis('flatten', endDim, this.ndim, this.shape);
    if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(this.shape)}`);
    return this.reshape([...this.shape.slice(0, s), -1, ...this.shape.slice(e + 1)]);
  },
  permute(perm: readonly number[]) { return S.permute([this], { perm }); },
  transpose(dim0 = -2, dim1 = -1) {
    const perm = this.shape.map((_, i) => i);
    const [a, b] = [normAxis('transpose', dim0, this.ndim, this.shape), normAxis('transpose', dim1, this.ndim, this.shape)];
    [perm[a], perm[b]] = [perm[b], perm[a]];
    return this.permute(perm);
  },
  slice(spec: SliceSpec) {
    const { starts, ends, steps } = normSlice(this.shape, spec);
    return S.slice([this], steps.every((s) => s === 1) ? { starts, ends } : { starts, ends, steps });
  },
  pad(pads: readonly (readonly [number, number])[], value = 0) { return S.pad([this], { pads, value }); },
  gather(axis: number, index: Tensor) { return S.gather([this, index], { axis }); },
  indexSelect(axis: number, index: Tensor) { return S.indexSelect([this, index], { axis }); },
  scatter(axis: number, index: Tensor, src: Tensor | number) {
    const s = typeof src === 'number' ? new Tensor(new Float32Array(index.size).fill(src), index.shape) : src;
    return IX.scatter([this, index, s], { axis });
  },
  scatterAdd(axis: number, index: Tensor, src: Tensor) { return IX.scatterAdd([this, index, src], { axis }); },
  maskedFill(mask: Tensor, value: Scalar) {
    const shape = broadcastShapes('maskedFill', mask.shape, this.shape);
    if (!sameShape(shape, this.shape)) throw new Error(`maskedFill: mask of shape ${fmt(mask.shape)} does not broadcast to ${fmt(this.shape)}`);
    const v = asTensor(value, 'maskedFill');
    if (v.ndim !== 0) throw new Error(`maskedFill: value must be a number or a 0-d tensor, got shape ${fmt(v.shape)}`);
    return E.where(mask, v, this);
  },
  repeat(...args: (number | readonly number[])[]) {
    const sizes = args.length === 1 && typeof args[0] !== 'number' ? [...args[0]] : (args as number[]);
    if (sizes.length < this.ndim) throw new Error(`repeat: ${sizes.length} counts for a tensor of shape ${fmt(this.shape)} (need at least ${this.ndim})`);
    if (sizes.some((r) => !Number.isInteger(r) || r < 0)) throw new Error(`repeat: counts must be non-negative integers, got [${sizes.join(', ')}]`);
    const shape = [...new Array<number>(sizes.length - this.ndim).fill(1), ...this.shape];
    // [d₀, d₁, …] → [1, d₀, 1, d₁, …] → expand to [r₀, d₀, r₁, d₁, …] → [r₀·d₀, r₁·d₁, …]
    const spread = this.reshape(shape.flatMap((d) => [1, d]));
    return spread.expand(shape.flatMap((d, i) => [sizes[i], d])).reshape(shape.map((d, i) => d * sizes[i]));
  },
  flip(axes: number | readonly number[]) { return IX.flip([this], { axes: typeof axes === 'number' ? [axes] : axes }); },
  split(sizeOrSections: number | readonly number[], axis = 0) {
    const a = normAxis('split', axis, this.ndim, this.shape);
    const d = this.shape[a];
    let sizes: number[];
    if (typeof sizeOrSections === 'number') {
      if (!Number.isInteger(sizeOrSections) || sizeOrSections < 1) throw new Error(`split: size ${sizeOrSections} must be a positive integer`);
      sizes = Array.from({ length: Math.max(1, Math.ceil(d / sizeOrSections)) }, (_, i) => Math.min(sizeOrSections, d - i * sizeOrSections));
    } else {
      sizes = [...sizeOrSections];
      if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((p, s) => p + s, 0) !== d) {
        throw new Error(`split: sizes [${sizes.join(', ')}] must be non-negative integers summing to ${d} (axis ${axis} of shape ${fmt(this.shape)})`);
      }
    }
    let at = 0;
    return sizes.map((s) => {
      const piece = this.slice(this.shape.map((n, i) => (i === a ? [at, at + s] as const : null)));
      at += s;
      return piece;
    });
  },
  chunk(n: number, axis = 0) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`chunk: n = ${n} must be a positive integer`);
    const a = normAxis('chunk', axis, this.ndim, this.shape);
    return this.split(Math.max(1, Math.ceil(this.shape[a] / n)), a);
  },
  expand(shape: readonly number[]) {
    // −1 keeps an existing axis's size (PyTorch); a new leading axis must be given a size
    const lead = shape.length - this.ndim;
    const sizes = shape.map((d, i) => {
      if (d !== -1) return d;
      if (i < lead) throw new Error(`expand: −1 at position ${i} of ${fmt(shape)} names a new leading axis of ${fmt(this.shape)}, which needs a size`);
      return this.shape[i - lead];
    });
    return S.expand([this], { shape: sizes });
  },
  unsqueeze(axis: number) {
    const a = normAxis('unsqueeze', axis, this.ndim + 1, this.shape);
    const shape = [...this.shape];
    shape.splice(a, 0, 1);
    return this.reshape(shape);
  },
  squeeze(axis?: number) {
    if (axis === undefined) return this.reshape(this.shape.filter((d) => d !== 1));
    if (this.ndim === 0 && (axis === 0 || axis === -1)) return this.reshape([]); // as PyTorch: a 0-d tensor has axis 0/−1
    const a = normAxis('squeeze', axis, this.ndim, this.shape);
    // PyTorch: squeezing an axis whose size is not 1 leaves the tensor as it is
    return this.reshape(this.shape[a] === 1 ? reducedShape(this.shape, [a], false) : this.shape);
  },
  conv2d(weight: Tensor, bias?: Tensor, opts: Window2d = {}) {
    return conv2dOp(bias ? [this, weight, bias] : [this, weight], opts);
  },
  maxPool2d(opts: Pool2d | number | readonly [number, number]) {
    return maxPool2dOp([this], typeof opts === 'number' || Array.isArray(opts) ? { kernelSize: opts as number | [number, number] } : (opts as Pool2d));
  },
  eq(o: Scalar) { return binaryRaw('eq', this, asTensor(o, 'eq')); },
  ne(o: Scalar) { return binaryRaw('ne', this, asTensor(o, 'ne')); },
  lt(o: Scalar) { return binaryRaw('lt', this, asTensor(o, 'lt')); },
  le(o: Scalar) { return binaryRaw('le', this, asTensor(o, 'le')); },
  gt(o: Scalar) { return binaryRaw('gt', this, asTensor(o, 'gt')); },
  ge(o: Scalar) { return binaryRaw('ge', this, asTensor(o, 'ge')); },
  sign() { return unaryRaw('sign', this); },
  argmax(axis = -1, keepDims = false) { return argReduceRaw('argmax', this, axis, keepDims); },
  argmin(axis = -1, keepDims = false) { return argReduceRaw('argmin', this, axis, keepDims); },
  backward(seedOrOptions?: Tensor | BackwardOptions) { backward(this, seedOrOptions); },
  detach() { return new Tensor(this.data, this.shape); },
  clone() { return new Tensor(this.data.slice(), this.shape); },
  zeroGrad() { this.grad = null; },
  requiresGrad_(flag = true) {
    if (this.ctx) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad; call detach() first');
    this.requiresGrad = flag;
    return this;
  },
};

Object.assign(Tensor.prototype, methods);

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  return S.concat([...xs], { axis });
}

/** Joins tensors of equal shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  return concat(xs.map((x) => x.unsqueeze(axis)), axis);
}

/** Outer product of two vectors: [m] ⊗ [n] → [m, n]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: expects two vectors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return a.reshape([a.size, 1]).mul(b.reshape([1, b.size]));
}

/** y = x·Wᵀ + b with W of shape [out, in] (PyTorch's F.linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return linearOp(bias ? [x, weight, bias] : [x, weight], undefined);
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}

export { where } from './ops/elementwise.js';
