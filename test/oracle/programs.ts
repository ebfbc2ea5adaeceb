/**
 * Random straight-line programs over gibbsgrad's differentiable methods, as JSON that
 * torch_oracle.py runs too: the generator, gibbsgrad's interpreter, and a readable listing.
 *
 * A program has 1–3 inputs and a chain of 2–5 ops, each taking the previous result (plus an input,
 * an earlier value or a constant for binary ops and matmul). Every value carries conservative
 * bounds so that each op is kept inside its domain and away from overflow: when an op needs it,
 * guard steps are inserted before it (log, sqrt, a divisor and a pow base get square(x) + 0.5,
 * exp and a pow exponent get 3·tanh(x)). Guards are ordinary steps, visible in the listing.
 */
import { asTensor, tensor, type Tensor } from '../../src/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { applyShapeStep } from './shape-programs.js';
import { erf } from '../../src/tensor/erf.js';

export interface Step {
  op: string;
  /** The operands: inputs are x0, x1, …; step j's result is v{j}. */
  args: string[];
  /** The other operand of a binary op when it is a constant (float32-representable). */
  scalar?: number;
  /** The constant is the left operand (e.g. 2 − x, 0.5 ** x). */
  scalarLeft?: boolean;
  /** null = every axis. */
  axis?: number | number[] | null;
  keepDims?: boolean;
  shape?: number[];
  perm?: number[];
  dim0?: number;
  dim1?: number;
  kernelSize?: [number, number];
  stride?: [number, number];
  padding?: [number, number];
  /** The other arguments of the shape-programs.ts ops (k, p, sizes, a constant index or mask, an einsum spec …). */
  params?: Record<string, any>;
  /** clamp's bounds (absent: unbounded on that side). */
  min?: number;
  max?: number;
  /** elu's α, leakyRelu's slope, gelu's form. */
  alpha?: number;
  negativeSlope?: number;
  approximate?: 'none' | 'tanh';
}

export interface Program {
  inputs: { shape: number[]; values: number[] }[];
  steps: Step[];
  /** The output is contracted with this direction: the gradients are those of sum(output · D). */
  direction: number[];
}

export const UNARY = [
  'neg', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'softplus', 'square',
  'log1p', 'expm1', 'sin', 'cos', 'erf', 'reciprocal', 'rsqrt', 'silu',
] as const;
/** Unary ops with a parameter, drawn with the unary ones. */
export const ACTIVATIONS = ['clamp', 'gelu', 'elu', 'leakyRelu'] as const;
export const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
export const REDUCTIONS = ['sum', 'mean', 'max', 'min', 'logsumexp', 'var'] as const;

const MAX_INPUTS = 3;
/** Elements per value: small enough for a few hundred programs in a few seconds. */
const MAX_SIZE = 96;
/** Values whose bound exceeds this are squashed by 3·tanh before the next op. */
const MAX_MAGNITUDE = 1e3;

interface Value {
  shape: number[];
  lo: number;
  hi: number;
}

export const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;
const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
const mag = (v: { lo: number; hi: number }) => Math.max(Math.abs(v.lo), Math.abs(v.hi));
const hull = (xs: number[]) => ({ lo: Math.min(...xs), hi: Math.max(...xs) });

/** NumPy broadcasting of two shapes, or null when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The shape of a @ b (torch.matmul's rules, which gibbsgrad follows), or null. */
export function matmulShape(a: readonly number[], b: readonly number[]): number[] | null {
  if (a.length === 0 || b.length === 0) return null;
  const a2 = a.length === 1 ? [1, a[0]] : [...a];
  const b2 = b.length === 1 ? [b[0], 1] : [...b];
  if (a2[a2.length - 1] !== b2[b2.length - 2]) return null;
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch) return null;
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]);
  if (b.length > 1) out.push(b2[b2.length - 1]);
  return out;
}

class Builder {
  readonly inputs: Program['inputs'] = [];
  readonly steps: Step[] = [];
  /** Every value by name, in the order made (inputs are made as the chain needs them). */
  readonly vals = new Map<string, Value>();

  constructor(readonly rng: Rng) {}

  /** Uniform in ±2, or now and then in ±0.1 or ±40, so that magnitudes vary too. */
  addInput(shape: number[]): string {
    const m = this.pick([2, 2, 2, 2, 0.1, 40]);
    const values = Array.from({ length: sizeOf(shape) }, () => Math.fround(this.rng.uniformIn(-m, m)));
    const name = `x${this.inputs.length}`;
    this.inputs.push({ shape, values });
    this.vals.set(name, { shape, lo: -m, hi: m });
    return name;
  }

  push(step: Step, v: Value): string {
    const name = `v${this.steps.length}`;
    this.steps.push(step);
    this.vals.set(name, v);
    return name;
  }

  v(name: string): Value {
    return this.vals.get(name)!;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)];
  }

  coin(p = 0.5): boolean {
    return this.rng.bernoulli(p);
  }

  // ---- guards -------------------------------------------------------------------------------

  /** ≥ 0.5: square(x) + 0.5 (log, sqrt, a divisor, a pow base). */
  positive(i: string): string {
    if (this.v(i).lo >= 0.5) return i;
    const s = this.unary('square', this.bounded(i, 30));
    return this.push({ op: 'add', args: [s], scalar: 0.5 }, { ...this.v(s), lo: this.v(s).lo + 0.5, hi: this.v(s).hi + 0.5 });
  }

  /** |x| ≤ m, else 3·tanh(x) (exp, a pow exponent, anything that has grown past MAX_MAGNITUDE). */
  bounded(i: string, m: number): string {
    if (mag(this.v(i)) <= m) return i;
    const t = this.unary('tanh', i);
    return this.push({ op: 'mul', args: [t], scalar: 3 }, { ...this.v(t), lo: -3, hi: 3 });
  }

  // ---- ops ----------------------------------------------------------------------------------

  unary(op: (typeof UNARY)[number], i: string): string {
    if (op === 'log' || op === 'sqrt' || op === 'log1p' || op === 'reciprocal' || op === 'rsqrt') i = this.positive(i);
    if (op === 'exp' || op === 'expm1') i = this.bounded(i, 8);
    const { shape, lo, hi } = this.v(i);
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const f: Record<string, (x: number) => number> = {
      neg: (x) => -x, exp: Math.exp, log: Math.log, sqrt: Math.sqrt, tanh: Math.tanh,
      sigmoid, relu: (x) => Math.max(x, 0), softplus: (x) => Math.log1p(Math.exp(x)),
      log1p: Math.log1p, expm1: Math.expm1, erf,
      reciprocal: (x) => 1 / x, rsqrt: (x) => 1 / Math.sqrt(x), silu: (x) => x * sigmoid(x),
    };
    let b: { lo: number; hi: number };
    if (op === 'abs' || op === 'square') {
      const m = mag({ lo, hi });
      const inner = lo <= 0 && hi >= 0 ? 0 : Math.min(Math.abs(lo), Math.abs(hi));
      b = op === 'abs' ? { lo: inner, hi: m } : { lo: inner * inner, hi: m * m };
    } else if (op === 'sin' || op === 'cos') {
      b = { lo: -1, hi: 1 }; // not monotone
    } else if (op === 'silu') {
      b = hull([f.silu(lo), f.silu(hi), -0.2785]); // not monotone: its minimum is −0.27846 at −1.2785
    } else {
      b = hull([f[op](lo), f[op](hi)]); // monotone (neg, reciprocal flip, hull takes care)
    }
    return this.push({ op, args: [i] }, { shape, ...b });
  }

  /** clamp, gelu, elu, leakyRelu with a drawn parameter. */
  activation(op: (typeof ACTIVATIONS)[number], i: string): string {
    const { shape, lo, hi } = this.v(i);
    switch (op) {
      case 'clamp': {
        // bounds inside the value's range, so that both sides are exercised; one may be absent
        const [a, b] = [this.rng.uniformIn(lo, hi), this.rng.uniformIn(lo, hi)].map(Math.fround).sort((p, q) => p - q);
        const which = this.rng.int(3);
        const step: Step = { op, args: [i] };
        if (which !== 2) step.min = a;
        if (which !== 1) step.max = b;
        return this.push(step, { shape, lo: Math.max(lo, step.min ?? lo), hi: Math.min(hi, step.max ?? hi) });
      }
      case 'gelu': {
        const approximate = this.pick(['none', 'tanh'] as const);
        const g = (x: number) => x * 0.5 * (1 + Math.tanh(0.7978845608 * (x + 0.044715 * x ** 3)));
        // not monotone: its minimum is ≈ −0.170 near −0.75 (both forms); ±0.01 covers the forms' difference
        const b = hull([g(lo) - 0.01, g(hi) + 0.01, -0.171]);
        return this.push({ op, args: [i], approximate }, { shape, ...b });
      }
      case 'elu': {
        const alpha = this.pick([1, 0.5, 1.5]);
        const e = (x: number) => (x > 0 ? x : alpha * Math.expm1(x));
        return this.push({ op, args: [i], alpha }, { shape, lo: e(lo), hi: e(hi) });
      }
      case 'leakyRelu': {
        const negativeSlope = this.pick([0.01, 0.2]);
        const l = (x: number) => (x > 0 ? x : negativeSlope * x);
        return this.push({ op, args: [i], negativeSlope }, { shape, lo: l(lo), hi: l(hi) });
      }
    }
  }

  binary(op: (typeof BINARY)[number], i: string): string | null {
    const other = this.operand(op, i);
    if (other === null) return null;
    if (typeof other === 'object') return this.binaryScalar(op, i, other.scalar, other.left);
    let [a, b] = this.coin() ? [i, other] : [other, i];
    if (op === 'div') b = this.positive(b);
    if (op === 'pow') [a, b] = [this.positive(a), this.bounded(b, 3)];
    const va = this.v(a);
    const vb = this.v(b);
    const shape = broadcastShapes(va.shape, vb.shape)!;
    return this.push({ op, args: [a, b] }, { shape, ...binaryBounds(op, va, vb) });
  }

  /** The other operand: a new input (broadcast-compatible), an earlier value, or a constant. */
  private operand(op: string, i: string): string | { scalar: number; left: boolean } | null {
    const cur = this.v(i);
    const r = this.rng.uniform();
    if (r < 0.25) return { scalar: this.constant(op), left: this.coin(0.3) };
    if (r < 0.7 && this.inputs.length < MAX_INPUTS) {
      const shape = this.broadcastPartner(cur.shape);
      if (sizeOf(broadcastShapes(cur.shape, shape)!) <= MAX_SIZE) return this.addInput(shape);
    }
    const compatible = [...this.vals].filter(([, v]) => { const s = broadcastShapes(cur.shape, v.shape); return s !== null && sizeOf(s) <= MAX_SIZE; });
    return compatible.length > 0 ? this.pick(compatible)[0] : { scalar: this.constant(op), left: false };
  }

  private constant(op: string): number {
    if (op === 'pow') return this.pick([2, 3, 0.5, -1, -0.5, Math.fround(this.rng.uniformIn(-2, 2))]);
    return this.pick([0.5, 2, -1, 3, Math.fround(this.rng.uniformIn(-2, 2))]);
  }

  private binaryScalar(op: (typeof BINARY)[number], i: string, s: number, left: boolean): string {
    // A constant base of pow, or a constant divisor, must be positive: take |s| + 0.5.
    if ((op === 'pow' && left) || (op === 'div' && !left)) s = Math.fround(Math.abs(s) + 0.5);
    if (op === 'div' && left) i = this.positive(i);
    if (op === 'pow' && !left) i = this.positive(i);
    if (op === 'pow' && left) i = this.bounded(i, 3);
    const v = this.v(i);
    const c = { shape: [], lo: s, hi: s };
    const b = left ? binaryBounds(op, c, v) : binaryBounds(op, v, c);
    return this.push({ op, args: [i], scalar: s, scalarLeft: left }, { shape: v.shape, ...b });
  }

  /** A shape that broadcasts with `shape`: leading axes dropped, axes set to 1, or a 1 expanded. */
  broadcastPartner(shape: readonly number[]): number[] {
    let out = shape.map((d) => (d === 1 ? (this.coin(0.4) ? 1 + this.rng.int(3) : 1) : this.coin(0.3) ? 1 : d));
    if (out.length > 0 && this.coin(0.3)) out = out.slice(this.rng.int(out.length + 1));
    else if (out.length < 4 && this.coin(0.15)) out = [1 + this.rng.int(3), ...out];
    return out;
  }

  reduction(op: (typeof REDUCTIONS)[number], i: string): string | null {
    const v = this.v(i);
    const n = v.shape.length;
    if (n === 0) return null;
    const r = this.rng.uniform();
    let axes: number[];
    let axis: number | number[] | null;
    if (r < 0.15) {
      axes = v.shape.map((_, k) => k);
      axis = null;
    } else if (r < 0.3 && n >= 2) {
      axes = this.rng.permutation(n).slice(0, 2);
      axis = axes.map((a) => (this.coin(0.3) ? a - n : a));
    } else {
      axes = [this.rng.int(n)];
      axis = this.coin(0.3) ? axes[0] - n : axes[0];
    }
    const keepDims = this.coin();
    const count = axes.reduce((p, a) => p * v.shape[a], 1);
    const shape = v.shape.flatMap((d, k) => (axes.includes(k) ? (keepDims ? [1] : []) : [d]));
    const bounds: Record<string, { lo: number; hi: number }> = {
      sum: { lo: Math.min(0, v.lo * count), hi: Math.max(0, v.hi * count) },
      mean: v, max: v, min: v,
      logsumexp: { lo: v.lo, hi: v.hi + Math.log(count) },
      var: { lo: 0, hi: (v.hi - v.lo) ** 2 },
    };
    return this.push({ op, args: [i], axis, keepDims }, { shape, lo: bounds[op].lo, hi: bounds[op].hi });
  }

  softmax(op: 'softmax' | 'logSoftmax', i: string): string | null {
    const v = this.v(i);
    const n = v.shape.length;
    if (n === 0) return null;
    const a = this.rng.int(n);
    const axis = this.coin(0.3) ? a - n : a;
    const b = op === 'softmax' ? { lo: 0, hi: 1 } : { lo: v.lo - v.hi - Math.log(v.shape[a]), hi: 0 };
    return this.push({ op, args: [i], axis }, { shape: v.shape, ...b });
  }

  matmul(i: string): string | null {
    const cur = this.v(i);
    if (cur.shape.length === 0) return null;
    const k = cur.shape[cur.shape.length - 1];
    let other: string | null = null;
    if (this.inputs.length < MAX_INPUTS) {
      const n = 1 + this.rng.int(4);
      const batch = cur.shape.slice(0, -2).map((d) => (this.coin(0.5) ? d : 1));
      const shape = this.pick([[k], [k, n], [...batch, k, n]]);
      const out = matmulShape(cur.shape, shape);
      if (out && sizeOf(out) <= MAX_SIZE) other = this.addInput(shape);
    }
    if (other === null) {
      const fits = [...this.vals].filter(([, v]) => { const s = matmulShape(cur.shape, v.shape); return s !== null && sizeOf(s) <= MAX_SIZE; });
      if (fits.length > 0) other = this.pick(fits)[0];
      else if (cur.shape.length >= 2 && cur.shape[cur.shape.length - 2] ** 2 * sizeOf(cur.shape.slice(0, -2)) <= MAX_SIZE) other = this.transposeOf(i); // x @ xᵀ
      else return null;
    }
    const vo = this.v(other);
    const shape = matmulShape(cur.shape, vo.shape)!;
    const m = k * mag(cur) * mag(vo);
    return this.push({ op: 'matmul', args: [i, other] }, { shape, lo: -m, hi: m });
  }

  private transposeOf(i: string): string {
    const v = this.v(i);
    const n = v.shape.length;
    const shape = [...v.shape];
    [shape[n - 2], shape[n - 1]] = [shape[n - 1], shape[n - 2]];
    return this.push({ op: 'transpose', args: [i], dim0: -1, dim1: -2 }, { ...v, shape });
  }

  reshapeLike(op: 'reshape' | 'permute' | 'transpose', i: string): string | null {
    const v = this.v(i);
    const n = v.shape.length;
    if (op === 'reshape') {
      const shape = this.randomShapeOfSize(sizeOf(v.shape));
      const inferred = shape.length > 0 && this.coin(0.2) ? this.rng.int(shape.length) : -1; // one axis given as -1
      const spec = shape.map((d, k) => (k === inferred ? -1 : d));
      return this.push({ op, args: [i], shape: spec }, { ...v, shape });
    }
    if (n < 2) return null;
    if (op === 'permute') {
      const perm = this.rng.permutation(n);
      return this.push({ op, args: [i], perm }, { ...v, shape: perm.map((p) => v.shape[p]) });
    }
    const [d0, d1] = this.rng.permutation(n).slice(0, 2);
    const shape = [...v.shape];
    [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
    return this.push({ op, args: [i], dim0: this.coin(0.3) ? d0 - n : d0, dim1: d1 }, { ...v, shape });
  }

  /** The prime factors of `size` grouped at random into up to 4 axes, with size-1 axes mixed in. */
  private randomShapeOfSize(size: number): number[] {
    const factors: number[] = [];
    for (let p = 2, s = size; s > 1; p++) while (s % p === 0) { factors.push(p); s /= p; }
    this.rng.shuffle(factors);
    const axes = Math.min(4, 1 + this.rng.int(Math.max(1, factors.length)));
    const shape = Array.from({ length: axes }, () => 1);
    factors.forEach((f) => { shape[this.rng.int(axes)] *= f; });
    if (shape.length < 4 && this.coin(0.3)) shape.splice(this.rng.int(shape.length + 1), 0, 1);
    return shape;
  }

  conv2d(i: string): string | null {
    const v = this.v(i);
    if (v.shape.length !== 4 || this.inputs.length >= MAX_INPUTS) return null;
    const [N, C, H, W] = v.shape;
    const padding: [number, number] = [this.rng.int(2), this.rng.int(2)];
    const stride: [number, number] = [1 + this.rng.int(2), 1 + this.rng.int(2)];
    const kh = 1 + this.rng.int(Math.min(3, H + 2 * padding[0]));
    const kw = 1 + this.rng.int(Math.min(3, W + 2 * padding[1]));
    const K = 1 + this.rng.int(3);
    const w = this.addInput([K, C, kh, kw]);
    const args = [i, w];
    if (this.inputs.length < MAX_INPUTS && this.coin()) args.push(this.addInput([K]));
    const outH = Math.floor((H + 2 * padding[0] - kh) / stride[0]) + 1;
    const outW = Math.floor((W + 2 * padding[1] - kw) / stride[1]) + 1;
    const m = C * kh * kw * mag(v) * mag(this.v(w)) + (args[2] ? mag(this.v(args[2])) : 0);
    return this.push({ op: 'conv2d', args, stride, padding }, { shape: [N, K, outH, outW], lo: -m, hi: m });
  }

  maxPool2d(i: string): string | null {
    const v = this.v(i);
    if (v.shape.length !== 4) return null;
    const [N, C, H, W] = v.shape;
    const kernelSize: [number, number] = [1 + this.rng.int(Math.min(3, H)), 1 + this.rng.int(Math.min(3, W))];
    const padding: [number, number] = [this.rng.int(Math.floor(kernelSize[0] / 2) + 1), this.rng.int(Math.floor(kernelSize[1] / 2) + 1)];
    const stride: [number, number] = [1 + this.rng.int(3), 1 + this.rng.int(3)];
    const outH = Math.floor((H + 2 * padding[0] - kernelSize[0]) / stride[0]) + 1;
    const outW = Math.floor((W + 2 * padding[1] - kernelSize[1]) / stride[1]) + 1;
    return this.push({ op: 'maxPool2d', args: [i], kernelSize, stride, padding }, { ...v, shape: [N, C, outH, outW] });
  }

  /** One op of the chain on value i, drawn by category; null when the draw does not apply. */
  randomOp(i: string): string | null {
    i = this.bounded(i, MAX_MAGNITUDE);
    const is4d = this.v(i).shape.length === 4;
    const r = this.rng.uniform();
    if (is4d && r < 0.15) return this.coin() ? this.conv2d(i) : this.maxPool2d(i);
    if (r < 0.5) {
      const op = this.pick([...UNARY, ...ACTIVATIONS]);
      return (ACTIVATIONS as readonly string[]).includes(op) ? this.activation(op as (typeof ACTIVATIONS)[number], i) : this.unary(op as (typeof UNARY)[number], i);
    }
    if (r < 0.7) return this.binary(this.pick(BINARY), i);
    if (r < 0.83) return this.reduction(this.pick(REDUCTIONS), i);
    if (r < 0.88) return this.softmax(this.pick(['softmax', 'logSoftmax'] as const), i);
    if (r < 0.93) return this.matmul(i);
    return this.reshapeLike(this.pick(['reshape', 'permute', 'transpose'] as const), i);
  }
}

/** Interval bounds of a binary op (divisors and pow bases are positive by the guards). */
function binaryBounds(op: string, a: { lo: number; hi: number }, b: { lo: number; hi: number }): { lo: number; hi: number } {
  const corners = (f: (x: number, y: number) => number) => hull([f(a.lo, b.lo), f(a.lo, b.hi), f(a.hi, b.lo), f(a.hi, b.hi)]);
  switch (op) {
    case 'add': return { lo: a.lo + b.lo, hi: a.hi + b.hi };
    case 'sub': return { lo: a.lo - b.hi, hi: a.hi - b.lo };
    case 'mul': return corners((x, y) => x * y);
    case 'div': return corners((x, y) => x / y);
    case 'pow': return corners((x, y) => x ** y);
    case 'maximum': return { lo: Math.max(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
    case 'minimum': return { lo: Math.min(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
    default: throw new Error(`binaryBounds: unknown op ${op}`);
  }
}

function randomShape(rng: Rng): number[] {
  const ndim = rng.bernoulli(0.05) ? 0 : 1 + rng.int(4);
  const shape = Array.from({ length: ndim }, () => (rng.bernoulli(0.25) ? 1 : 2 + rng.int(3)));
  while (sizeOf(shape) > 48) shape[shape.indexOf(Math.max(...shape))] -= 1;
  return shape;
}

/** One program: a first input (NCHW for a quarter of them, opened by conv2d or maxPool2d), then the chain. */
export function randomProgram(rng: Rng): Program {
  const b = new Builder(rng);
  const convFirst = rng.bernoulli(0.25);
  let cur = b.addInput(convFirst ? [1 + rng.int(2), 1 + rng.int(3), 2 + rng.int(5), 2 + rng.int(5)] : randomShape(rng));
  if (convFirst) cur = (rng.bernoulli(0.6) ? b.conv2d(cur) : null) ?? b.maxPool2d(cur)!;
  const length = 2 + rng.int(4) - (convFirst ? 1 : 0);
  for (let s = 0; s < length; s++) {
    let next: string | null = null;
    for (let tries = 0; next === null && tries < 20; tries++) next = b.randomOp(cur);
    if (next === null) throw new Error(`randomProgram: no op applies to shape ${fmtShape(b.v(cur).shape)} (generator bug)`);
    cur = next;
  }
  const direction = Array.from({ length: sizeOf(b.v(cur).shape) }, () => Math.fround(rng.uniformIn(-1, 1)));
  return { inputs: b.inputs, steps: b.steps, direction };
}

// ---- gibbsgrad's side ----------------------------------------------------------------------

export interface Evaluated {
  shape: number[];
  output: Float64Array;
  grads: Float64Array[];
}

function applyStep(step: Step, vals: ReadonlyMap<string, Tensor>): Tensor {
  const [x, y, z] = step.args.map((k) => vals.get(k)!);
  const op = step.op;
  if ((UNARY as readonly string[]).includes(op)) return (x as any)[op]() as Tensor;
  if ((BINARY as readonly string[]).includes(op)) {
    if (step.scalar === undefined) return (x as any)[op](y) as Tensor;
    return step.scalarLeft ? (asTensor(step.scalar) as any)[op](x) : (x as any)[op](step.scalar);
  }
  if ((REDUCTIONS as readonly string[]).includes(op)) return (x as any)[op](step.axis ?? undefined, step.keepDims) as Tensor;
  switch (op) {
    case 'clamp': return x.clamp(step.min, step.max);
    case 'gelu': return x.gelu(step.approximate);
    case 'elu': return x.elu(step.alpha);
    case 'leakyRelu': return x.leakyRelu(step.negativeSlope);
    case 'softmax': return x.softmax(step.axis as number);
    case 'logSoftmax': return x.logSoftmax(step.axis as number);
    case 'matmul': return x.matmul(y);
    case 'reshape': return x.reshape(step.shape!);
    case 'permute': return x.permute(step.perm!);
    case 'transpose': return x.transpose(step.dim0, step.dim1);
    case 'conv2d': return x.conv2d(y, z, { stride: step.stride, padding: step.padding });
    case 'maxPool2d': return x.maxPool2d({ kernelSize: step.kernelSize!, stride: step.stride, padding: step.padding });
    default: return applyShapeStep(step, x, y);
  }
}

/** Every value of the program by name (x0, x1, …, v0, v1, …). */
function run(p: Program, inputs: Tensor[]): Map<string, Tensor> {
  const vals = new Map(inputs.map((x, k) => [`x${k}`, x]));
  p.steps.forEach((step, j) => vals.set(`v${j}`, applyStep(step, vals)));
  return vals;
}

/** Output and gradients of sum(output · D) with respect to every input, in float32, widened. */
export function evaluate(p: Program): Evaluated {
  const inputs = p.inputs.map((i) => tensor(Float32Array.from(i.values), { shape: i.shape, requiresGrad: true }));
  const out = run(p, inputs).get(`v${p.steps.length - 1}`)!;
  out.backward(tensor(Float32Array.from(p.direction), { shape: out.shape }));
  return {
    shape: [...out.shape],
    output: Float64Array.from(out.data),
    grads: inputs.map((x) => (x.grad ? Float64Array.from(x.grad.data) : new Float64Array(x.size))),
  };
}

// ---- listing -------------------------------------------------------------------------------


function describeStep(step: Step): string {
  const args = [...step.args];
  if (step.scalar !== undefined) args[step.scalarLeft ? 'unshift' : 'push'](String(step.scalar));
  const attrs: string[] = [];
  if ('axis' in step) attrs.push(`axis=${JSON.stringify(step.axis)}`);
  if (step.keepDims !== undefined) attrs.push(`keepDims=${step.keepDims}`);
  if (step.shape) attrs.push(`shape=${fmtShape(step.shape)}`);
  if (step.perm) attrs.push(`perm=${fmtShape(step.perm)}`);
  if (step.dim0 !== undefined) attrs.push(`dims=${step.dim0},${step.dim1}`);
  if (step.kernelSize) attrs.push(`kernel=${step.kernelSize.join('×')}`);
  if (step.stride) attrs.push(`stride=${step.stride.join(',')}`);
  if (step.padding) attrs.push(`padding=${step.padding.join(',')}`);
  if (step.params) attrs.push(...Object.entries(step.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`));
  for (const k of ['min', 'max', 'alpha', 'negativeSlope', 'approximate'] as const) if (step[k] !== undefined) attrs.push(`${k}=${step[k]}`);
  return `${step.op}(${[...args, ...attrs].join(', ')})`;
}

/** The program as lines: inputs with shapes, then each step with its result's shape. */
export function describeProgram(p: Program, shapes?: ReadonlyMap<string, number[]>): string {
  const lines = p.inputs.map((inp, k) => `  x${k}: ${fmtShape(inp.shape)}`);
  p.steps.forEach((s, j) => {
    const shape = shapes?.get(`v${j}`);
    lines.push(`  v${j} = ${describeStep(s)}${shape ? ` → ${fmtShape(shape)}` : ''}`);
  });
  return lines.join('\n');
}

/** Every value's shape by name, from running the program in gibbsgrad. */
export function valueShapes(p: Program): Map<string, number[]> {
  const vals = run(p, p.inputs.map((i) => tensor(Float32Array.from(i.values), { shape: i.shape })));
  return new Map([...vals].map(([k, v]) => [k, [...v.shape]]));
}
