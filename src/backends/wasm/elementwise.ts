/**
 * Elementwise kernels of the fast backend, in JavaScript. An elementwise op touches each float
 * once, so copying it into WebAssembly memory and back costs more than the op (measured: README,
 * "Fast kernels"). What makes the reference slow is the call through a table of functions per
 * element (a megamorphic call site); here the ops that dominate a training step (ReLU and its
 * gradient mask, sigmoid units, the arithmetic of losses and optimisers) get one monomorphic loop
 * each, on the same-shape and scalar-operand cases and on operands broadcast in whole rows (a bias
 * against a batch). Each loop computes exactly the reference's expression, so the results are
 * identical; everything else goes to the reference. Above DEFAULT_EXP_MIN_SIZE elements, exp and
 * sigmoid run in exp.wat instead (backend.ts): an exponential costs more than the copies.
 */
import type { BinaryKernel, Kernels, UnaryKernel } from '../../tensor/kernels.js';
import {
  clamp, elu, gelu, geluGrad, geluTanh, geluTanhGrad, leakyRelu, referenceKernels, rsqrt, sigmoid, sigmoidGrad, silu, siluGrad, softplus, tanhGrad,
} from '../reference/index.js';
import { erf } from '../../tensor/erf.js';
import { sameShape, type Shape } from '../../tensor/shape.js';

/** a and b: the parameters of clamp, elu and leakyRelu (Kernels.unary). */
type Loop = (x: Float32Array, out: Float32Array, a: number, b: number) => void;

/**
 * ReLU on the floats' bit patterns, without a branch: `v <= 0 ? 0 : v` mispredicts on half of a
 * layer's units (≈ 7 ns per element, measured, against ≈ 1.2 here). A negative float (−0 and −∞
 * included) has its sign bit set and becomes +0; a NaN, of either sign, is kept and quieted, as
 * the reference's float64 round trip returns it.
 */
function reluOnBits(x: Float32Array, out: Float32Array): void {
  const xb = new Int32Array(x.buffer, x.byteOffset, x.length);
  const ob = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < ob.length; i++) {
    const b = xb[i];
    const nan = (0x7f800000 - (b & 0x7fffffff)) >> 31; // all ones when |b| is above +∞'s pattern
    ob[i] = (b & (~(b >> 31) | nan)) | (nan & 0x00400000);
  }
}

const UNARY_LOOPS: Partial<Record<UnaryKernel, Loop>> = {
  relu: reluOnBits,
  neg: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = -x[i]; },
  square: (x, out) => { for (let i = 0; i < out.length; i++) { const v = x[i]; out[i] = v * v; } },
  abs: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.abs(x[i]); },
  exp: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.exp(x[i]); },
  log: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.log(x[i]); },
  sqrt: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(x[i]); },
  tanh: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x[i]); },
  // sigmoid and softplus (the units and log-partitions of DCIM layers) call the reference's own
  // scalar functions from a monomorphic site, which V8 inlines.
  sigmoid: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = sigmoid(x[i]); },
  softplus: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = softplus(x[i]); },
  // The ops a PyTorch habit reaches for: each loop calls the reference's own scalar function
  // (or the same Math function), so the bits are the reference's.
  log1p: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.log1p(x[i]); },
  expm1: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.expm1(x[i]); },
  sin: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.sin(x[i]); },
  cos: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.cos(x[i]); },
  erf: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = erf(x[i]); },
  reciprocal: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = 1 / x[i]; },
  rsqrt: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = rsqrt(x[i]); },
  gelu: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = gelu(x[i]); },
  geluTanh: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = geluTanh(x[i]); },
  silu: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = silu(x[i]); },
  clamp: (x, out, lo, hi) => { for (let i = 0; i < out.length; i++) out[i] = clamp(x[i], lo, hi); },
  elu: (x, out, alpha) => { for (let i = 0; i < out.length; i++) out[i] = elu(x[i], alpha); },
  leakyRelu: (x, out, slope) => { for (let i = 0; i < out.length; i++) out[i] = leakyRelu(x[i], slope); },
  geluGrad: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = geluGrad(x[i]); },
  geluTanhGrad: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = geluTanhGrad(x[i]); },
  siluGrad: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = siluGrad(x[i]); },
  sigmoidGrad: (y, out) => { for (let i = 0; i < out.length; i++) out[i] = sigmoidGrad(y[i]); },
  tanhGrad: (y, out) => { for (let i = 0; i < out.length; i++) out[i] = tanhGrad(y[i]); },
};

/** One loop per op for out = a ∘ b (same length) and out = a ∘ s (scalar b). */
type PairLoop = (a: Float32Array, b: Float32Array, out: Float32Array) => void;
type ScalarLoop = (a: Float32Array, s: number, out: Float32Array) => void;

const SAME: Partial<Record<BinaryKernel, PairLoop>> = {
  add: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i]; },
  sub: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i]; },
  mul: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i]; },
  div: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] / b[i]; },
  gt: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = +(a[i] > b[i]); },
  lt: (a, b, out) => { for (let i = 0; i < out.length; i++) out[i] = +(a[i] < b[i]); },
  reluGrad: (g, x, out) => { for (let i = 0; i < out.length; i++) out[i] = g[i] * +(x[i] > 0); },
};

const SCALAR: Partial<Record<BinaryKernel, ScalarLoop>> = {
  add: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] + s; },
  sub: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] - s; },
  mul: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] * s; },
  div: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] / s; },
  gt: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = +(a[i] > s); },
  lt: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = +(a[i] < s); },
};

export function unary(op: UnaryKernel, x: Float32Array, out: Float32Array, a = 0, b = 0): void {
  const loop = UNARY_LOOPS[op];
  if (loop) loop(x, out, a, b);
  else referenceKernels.unary(op, x, out, a, b);
}

/** Rows shorter than this go to the reference: a subarray per row would cost more than the loop. */
const MIN_ROW = 16;

/**
 * How b broadcasts against an a of the output's shape, when it does so in whole rows: 'row' when
 * b's shape (leading 1s dropped) is the output's trailing axes, so b repeats every b.length
 * elements (a bias [F] against [N, F]); 'column' when b's shape is the output's leading axes
 * followed by 1s, so each b value covers a run of out.length / b.length elements (a max or sum
 * kept with keepDims, [N, 1] against [N, F]). Null for any other pattern.
 */
function rowPattern(bShape: Shape, outShape: Shape): 'row' | 'column' | null {
  const offset = outShape.length - bShape.length;
  if (offset < 0) return null;
  let first = 0; // b's leading 1s
  while (first < bShape.length && bShape[first] === 1) first++;
  if (bShape.slice(first).every((d, i) => d === outShape[offset + first + i])) return 'row';
  let last = bShape.length; // b's trailing 1s
  while (last > 0 && bShape[last - 1] === 1) last--;
  if (offset === 0 && bShape.slice(0, last).every((d, i) => d === outShape[i])) return 'column';
  return null;
}

export function binary(op: BinaryKernel, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): void {
  if (sameShape(aShape, bShape) && SAME[op]) return SAME[op]!(a, b, out);
  if (sameShape(aShape, outShape) && SCALAR[op]) {
    if (b.length === 1) return SCALAR[op]!(a, b[0], out);
    // Whole rows: the same monomorphic loops, once per row, on subarrays.
    const pattern = b.length > 0 ? rowPattern(bShape, outShape) : null;
    const row = pattern === 'row' ? b.length : out.length / b.length;
    if (pattern && row >= MIN_ROW) {
      for (let r = 0, o = 0; o < out.length; r++, o += row) {
        const [ar, outr] = [a.subarray(o, o + row), out.subarray(o, o + row)];
        if (pattern === 'row') SAME[op]!(ar, b, outr);
        else SCALAR[op]!(ar, b[r], outr);
      }
      return;
    }
  }
  referenceKernels.binary(op, a, aShape, b, bShape, out, outShape);
}

export const elementwiseKernels: Pick<Kernels, 'unary' | 'binary'> = { unary, binary };
