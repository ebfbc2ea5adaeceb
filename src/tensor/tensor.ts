/**
 * Tensor: a Float32Array in row-major (C-contiguous) order plus a shape. This layer knows nothing
 * of autograd: `requiresGrad`, `grad` and `ctx` are slots that the autograd layer fills, and the
 * differentiable methods (add, matmul, …) are installed on the prototype by src/autograd.
 */
import { Rng } from './rng.js';
import { allocate, assertShape, describeValue, fmt, sizeOf, type Shape } from './shape.js';

export type NestedArray = number | readonly NestedArray[];

export class Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Whether gradients flow to (and accumulate in) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient after backward(); same shape as this tensor. */
  grad: Tensor | null = null;
  /** Set by the autograd layer: the recorded op that produced this tensor (null for leaves). */
  ctx: object | null = null;
  /** Optional label shown by explain(). */
  name?: string;
  /**
   * Bumped by every write the library makes in place (an optimiser step, loadStateDict): a graph
   * records its inputs' versions, and backward() refuses to use one that changed since. Direct
   * writes to `.data` are not counted; they are the caller's responsibility.
   */
  version = 0;

  constructor(data: Float32Array, shape: Shape) {
    assertShape('Tensor', shape);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${fmt(shape)} needs ${sizeOf(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, expected 1`);
    return this.data[0];
  }

  /** Nested plain arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const step = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * step));
    };
    return build(0, 0);
  }

  toString(): string {
    const head = `Tensor(shape=${fmt(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
    return this.size <= 64 ? `${head} ${JSON.stringify(this.toArray())}` : head;
  }
}

export interface TensorOptions {
  shape?: Shape;
  requiresGrad?: boolean;
}

function inferShape(x: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly NestedArray[])[0];
    if (cur === undefined) break;
  }
  return shape;
}

function flatten(x: NestedArray, shape: number[], op: string): Float32Array {
  const out = allocate(op, sizeOf(shape), shape);
  let k = 0;
  const index: number[] = [];
  const walk = (v: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new Error(`${op}: ragged nested array: expected a number at depth ${dim}, got an array`);
      if (typeof v !== 'number') throw new TypeError(`${op}: expected a number at [${index.join(', ')}], got ${describeValue(v)}`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      const got = Array.isArray(v) ? `length ${v.length}` : typeof v;
      throw new Error(`${op}: ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${got}`);
    }
    v.forEach((e, i) => {
      index[dim] = i;
      walk(e, dim + 1);
    });
    index.length = dim;
  };
  walk(x, 0);
  return out;
}

function finish(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * Creates a tensor from nested arrays, a number, or a typed/plain flat array with `shape`.
 * A Float32Array is used without copying.
 */
export function tensor(values: NestedArray | Float32Array | ArrayLike<number>, opts?: TensorOptions): Tensor {
  if (values instanceof Float32Array || (ArrayBuffer.isView(values) && !(values instanceof DataView))) {
    const flat = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    const shape = opts?.shape ?? [flat.length];
    assertShape('tensor', shape);
    if (flat.length !== sizeOf(shape)) {
      throw new Error(`tensor: data has ${flat.length} elements but shape ${fmt(shape)} needs ${sizeOf(shape)}`);
    }
    return finish(new Tensor(flat, shape), opts);
  }
  const nested = values as NestedArray;
  if (typeof nested !== 'number' && !Array.isArray(nested)) {
    throw new TypeError(`tensor: expected nested arrays of numbers, a number or a typed array, got ${describeValue(nested)}`);
  }
  const natural = inferShape(nested, 'tensor');
  const data = flatten(nested, natural, 'tensor');
  const shape = opts?.shape ?? natural;
  if (data.length !== sizeOf(shape)) {
    throw new Error(`tensor: data has ${data.length} elements (shape ${fmt(natural)}) but shape ${fmt(shape)} needs ${sizeOf(shape)}`);
  }
  return finish(new Tensor(data, shape), opts);
}

function filled(op: string, shape: Shape, value: number, opts?: Omit<TensorOptions, 'shape'>): Tensor {
  assertShape(op, shape);
  if (typeof value !== 'number') throw new TypeError(`${op}: value must be a number, got ${describeValue(value)}`);
  return finish(new Tensor(allocate(op, sizeOf(shape), shape).fill(value), shape), opts);
}

export function full(shape: Shape, value: number, opts?: Omit<TensorOptions, 'shape'>): Tensor {
  return filled('full', shape, value, opts);
}

export function zeros(shape: Shape, opts?: Omit<TensorOptions, 'shape'>): Tensor {
  return filled('zeros', shape, 0, opts);
}

export function ones(shape: Shape, opts?: Omit<TensorOptions, 'shape'>): Tensor {
  return filled('ones', shape, 1, opts);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape);
}

/** Values start, start+step, … below end (PyTorch's arange); `arange(n)` is 0..n-1. */
export function arange(start: number, end?: number, step = 1): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be finite and non-zero, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError(`arange: start and end must be finite numbers, got ${start} and ${end}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate('arange', n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n]);
}

/** n×m identity (m defaults to n). */
export function eye(n: number, m = n): Tensor {
  assertShape('eye', [n, m]);
  const t = zeros([n, m]);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

export interface RandomOptions extends Omit<TensorOptions, 'shape'> {
  low?: number;
  high?: number;
  mean?: number;
  std?: number;
}

function needRng(op: string, rng: unknown): asserts rng is Rng {
  if (!(rng instanceof Rng)) throw new Error(`${op}: pass an Rng (e.g. new Rng(0)); gibbsgrad has no hidden global random state`);
}

/** Uniform in [low, high) (default [0, 1)) from an explicit Rng. */
export function rand(shape: Shape, rng: Rng, opts: RandomOptions = {}): Tensor {
  needRng('rand', rng);
  assertShape('rand', shape);
  const { low = 0, high = 1 } = opts;
  const data = allocate('rand', sizeOf(shape), shape);
  if (!(low < high) || !Number.isFinite(high - low)) throw new Error(`rand: need finite low < high, got [${low}, ${high})`);
  for (let i = 0; i < data.length; i++) {
    // Rounding to float32 can turn a draw just below `high` into `high`; redraw to keep [low, high).
    do data[i] = rng.uniformIn(low, high);
    while (data[i] >= high);
  }
  return finish(new Tensor(data, shape), opts);
}

/** Normal(mean, std²) (default standard normal) from an explicit Rng. */
export function randn(shape: Shape, rng: Rng, opts: RandomOptions = {}): Tensor {
  needRng('randn', rng);
  assertShape('randn', shape);
  const { mean = 0, std = 1 } = opts;
  if (typeof mean !== 'number' || !Number.isFinite(mean)) throw new RangeError(`randn: mean must be a finite number, got ${describeValue(mean)}`);
  if (typeof std !== 'number' || !(std >= 0) || !Number.isFinite(std)) throw new RangeError(`randn: std must be a finite number ≥ 0, got ${std}`);
  const data = allocate('randn', sizeOf(shape), shape);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(mean, std);
  return finish(new Tensor(data, shape), opts);
}
