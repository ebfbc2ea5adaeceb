/**
 * Elementwise ops. Each entry: the forward (a kernel), the vector-Jacobian product beside it, the
 * derivative in maths, and the domain the gradcheck probe samples from. Binary ops broadcast with
 * NumPy rules; their VJPs sum the gradient back to each input's shape (sumToShape).
 */
import { binaryRaw, sumToShape, unaryRaw, whereRaw } from '../../tensor/compute.js';
import type { BinaryKernel, UnaryKernel } from '../../tensor/kernels.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { broadcastableTo, randShape, values, type ValueOptions } from '../probe.js';

function unaryOp(
  name: UnaryKernel,
  derivative: string,
  vjp: (g: Tensor, x: Tensor, y: Tensor) => Tensor,
  domain: ValueOptions = {},
) {
  const op = defineOp<undefined>({
    name,
    derivative,
    forward: ([x]) => unaryRaw(name, x),
    vjp: (g, [x], y) => [vjp(g, x, y)],
    probe: (rng) => ({ inputs: [values(rng, randShape(rng), domain)], attrs: undefined }),
  });
  return (x: Tensor) => op([x], undefined);
}

export const neg = unaryOp('neg', 'd(−x)/dx = −1', (g) => g.neg());
export const exp = unaryOp('exp', 'd eˣ/dx = eˣ', (g, _x, y) => g.mul(y));
export const log = unaryOp('log', 'd ln x/dx = 1/x', (g, x) => g.div(x), { low: 0.3, high: 3 });
export const sqrt = unaryOp('sqrt', 'd √x/dx = 1/(2√x)', (g, _x, y) => g.div(y.mul(2)), { low: 0.3, high: 3 });
export const abs = unaryOp('abs', 'd|x|/dx = sign(x)', (g, x) => g.mul(x.sign()), { awayFrom: 0 });
// From the output y, in one pass (a sigmoid or tanh layer's backward touches every unit).
export const tanh = unaryOp('tanh', 'd tanh x/dx = 1 − tanh²x', (g, _x, y) => g.mul(unaryRaw('tanhGrad', y)));
export const sigmoid = unaryOp('sigmoid', 'd σ(x)/dx = σ(x)(1 − σ(x))', (g, _x, y) => g.mul(unaryRaw('sigmoidGrad', y)));
export const relu = unaryOp('relu', 'd max(x, 0)/dx = [x > 0]', (g, x) => binaryRaw('reluGrad', g, x), { awayFrom: 0 });
export const softplus = unaryOp('softplus', 'd ln(1 + eˣ)/dx = σ(x)', (g, x) => g.mul(x.sigmoid()), { low: -4, high: 4 });
export const square = unaryOp('square', 'd x²/dx = 2x', (g, x) => g.mul(x).mul(2));
export const log1p = unaryOp('log1p', 'd ln(1 + x)/dx = 1/(1 + x)', (g, x) => g.div(x.add(1)), { low: -0.7, high: 3 });
// eˣ rather than y + 1, which cancels to 0 for x ≪ 0
export const expm1 = unaryOp('expm1', 'd (eˣ − 1)/dx = eˣ', (g, x) => g.mul(x.exp()));
export const sin = unaryOp('sin', 'd sin x/dx = cos x', (g, x) => g.mul(x.cos()), { low: -4, high: 4 });
export const cos = unaryOp('cos', 'd cos x/dx = −sin x', (g, x) => g.mul(x.sin()).neg(), { low: -4, high: 4 });
export const erf = unaryOp('erf', 'd erf x/dx = (2/√π)·e^(−x²)', (g, x) => g.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI))));
export const reciprocal = unaryOp('reciprocal', 'd (1/x)/dx = −1/x²', (g, _x, y) => g.mul(y.square()).neg(), { low: -2, high: 2, awayFrom: 0, gap: 0.5 });
export const rsqrt = unaryOp('rsqrt', 'd x^(−½)/dx = −½·x^(−3/2)', (g, _x, y) => g.mul(y.square().mul(y)).mul(-0.5), { low: 0.3, high: 3 });

function binaryOp(
  name: BinaryKernel,
  derivative: string,
  vjp: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor, Tensor],
  domains: [ValueOptions, ValueOptions] = [{}, {}],
) {
  const op = defineOp<undefined>({
    name,
    derivative,
    forward: ([a, b]) => binaryRaw(name, a, b),
    vjp: (g, [a, b], y) => {
      const [ga, gb] = vjp(g, a, b, y);
      return [sumToShape(ga, a.shape), sumToShape(gb, b.shape)];
    },
    probe: (rng) => {
      const shape = randShape(rng);
      const other = broadcastableTo(rng, shape);
      const [sa, sb] = rng.bernoulli(0.5) ? [shape, other] : [other, shape];
      return { inputs: [values(rng, sa, domains[0]), values(rng, sb, domains[1])], attrs: undefined };
    },
  });
  return (a: Tensor, b: Tensor) => op([a, b], undefined);
}

export const add = binaryOp('add', '∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1', (g) => [g, g]);
export const sub = binaryOp('sub', '∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1', (g) => [g, g.neg()]);
export const mul = binaryOp('mul', '∂(ab)/∂a = b, ∂(ab)/∂b = a', (g, a, b) => [g.mul(b), g.mul(a)]);
export const div = binaryOp(
  'div',
  '∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²',
  (g, a, b) => [g.div(b), g.mul(a).div(b.square()).neg()],
  [{}, { low: -2, high: 2, awayFrom: 0, gap: 0.5 }],
);
/**
 * Both formulas meet 0·∞ at a zero base; PyTorch takes the limits, and so do we: b·aᵇ⁻¹ is 0 at
 * b = 0 (computed as b·a⁰), and aᵇ·ln a is 0 at a = 0, b ≥ 0 (ln 1 in place of ln 0). Masking the
 * inputs rather than the results keeps the VJP itself free of NaN for a second differentiation.
 */
function powBaseGrad(g: Tensor, a: Tensor, b: Tensor): Tensor {
  return g.mul(b).mul(a.pow(b.sub(1).add(b.eq(0))));
}
function powExponentGrad(g: Tensor, a: Tensor, b: Tensor, y: Tensor): Tensor {
  const zeroBase = a.eq(0).mul(b.ge(0));
  return g.mul(y).mul(a.add(zeroBase).log());
}
export const pow = binaryOp(
  'pow',
  '∂aᵇ/∂a = b·aᵇ⁻¹ (0 at b = 0), ∂aᵇ/∂b = aᵇ·ln a (0 at a = 0, b ≥ 0)',
  (g, a, b, y) => [powBaseGrad(g, a, b), powExponentGrad(g, a, b, y)],
  [{ low: 0.5, high: 2 }, { low: -2, high: 2 }],
);
// Ties send half of the gradient to each side (the subgradient PyTorch uses).
export const maximum = binaryOp(
  'maximum',
  '∂max(a,b)/∂a = [a > b] + ½[a = b]',
  (g, a, b) => [g.mul(a.gt(b).add(a.eq(b).mul(0.5))), g.mul(b.gt(a).add(a.eq(b).mul(0.5)))],
  [{ lattice: 0 }, { lattice: 0.25 }],
);
export const minimum = binaryOp(
  'minimum',
  '∂min(a,b)/∂a = [a < b] + ½[a = b]',
  (g, a, b) => [g.mul(a.lt(b).add(a.eq(b).mul(0.5))), g.mul(b.lt(a).add(a.eq(b).mul(0.5)))],
  [{ lattice: 0 }, { lattice: 0.25 }],
);

const whereOp = defineOp<undefined>({
  name: 'where',
  derivative: '∂where(c,a,b)/∂a = [c ≠ 0], ∂/∂b = [c = 0]',
  forward: ([c, a, b]) => whereRaw(c, a, b),
  vjp: (g, [c, a, b]) => {
    const zero = g.mul(0);
    return [null, sumToShape(whereRaw(c, g, zero), a.shape), sumToShape(whereRaw(c, zero, g), b.shape)];
  },
  probe: (rng) => {
    const shape = randShape(rng);
    const cond = values(rng, broadcastableTo(rng, shape)).gt(0);
    return { inputs: [cond, values(rng, shape), values(rng, broadcastableTo(rng, shape))], attrs: undefined };
  },
  nondiff: [0],
});

/** cond ≠ 0 ? a : b elementwise, with broadcasting; differentiable in a and b. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  return whereOp([cond, a, b], undefined);
}
