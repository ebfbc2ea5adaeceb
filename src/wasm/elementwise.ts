/**
 * Elementwise kernels of the fast backend, in JavaScript. An elementwise op touches each float
 * once, so copying it into WebAssembly memory and back costs more than the op (measured: README,
 * "Fast kernels"). What makes the reference slow is the call through a table of functions per
 * element (a megamorphic call site); here the ops that dominate a training step (ReLU and its
 * gradient mask, the arithmetic of losses and optimisers) get one monomorphic loop each, on the
 * same-shape and scalar-operand cases. Each loop computes exactly the reference's expression, so
 * the results are identical; everything else goes to the reference.
 */
import type { BinaryKernel, Kernels, UnaryKernel } from '../tensor/kernels.js';
import { referenceKernels } from '../tensor/reference.js';
import { sameShape, type Shape } from '../tensor/shape.js';

type Loop = (x: Float32Array, out: Float32Array) => void;

const UNARY_LOOPS: Partial<Record<UnaryKernel, Loop>> = {
  relu: (x, out) => { for (let i = 0; i < out.length; i++) { const v = x[i]; out[i] = v <= 0 ? 0 : v; } },
  neg: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = -x[i]; },
  square: (x, out) => { for (let i = 0; i < out.length; i++) { const v = x[i]; out[i] = v * v; } },
  abs: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.abs(x[i]); },
  exp: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.exp(x[i]); },
  log: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.log(x[i]); },
  sqrt: (x, out) => { for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(x[i]); },
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
};

const SCALAR: Partial<Record<BinaryKernel, ScalarLoop>> = {
  add: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] + s; },
  sub: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] - s; },
  mul: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] * s; },
  div: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = a[i] / s; },
  gt: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = +(a[i] > s); },
  lt: (a, s, out) => { for (let i = 0; i < out.length; i++) out[i] = +(a[i] < s); },
};

export function unary(op: UnaryKernel, x: Float32Array, out: Float32Array): void {
  const loop = UNARY_LOOPS[op];
  if (loop) loop(x, out);
  else referenceKernels.unary(op, x, out);
}

export function binary(op: BinaryKernel, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): void {
  if (sameShape(aShape, bShape) && SAME[op]) return SAME[op]!(a, b, out);
  if (b.length === 1 && sameShape(aShape, outShape) && SCALAR[op]) return SCALAR[op]!(a, b[0], out);
  referenceKernels.binary(op, a, aShape, b, bShape, out, outShape);
}

export const elementwiseKernels: Pick<Kernels, 'unary' | 'binary'> = { unary, binary };
