/**
 * Activations with a parameter or a choice (clamp, gelu, elu, leakyRelu) and silu: one registry
 * entry each, with the forward kernel, the VJP beside it, the derivative in maths and a probe that
 * keeps the gradcheck away from the kinks (clamp's bounds, elu and leakyRelu at 0). The kernels
 * (src/backends/reference) compute in float64 from forms that neither overflow nor cancel.
 */
import { unaryRaw } from '../../tensor/compute.js';
import { describeValue } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/rng.js';
import { defineOp } from '../engine.js';
import { randShape, values } from '../probe.js';

/** Values in [low, high] at least `gap` from every point of `kinks`. */
function awayFromAll(rng: Rng, shape: number[], kinks: readonly number[], low = -2, high = 2, gap = 0.2): Tensor {
  const t = values(rng, shape, { low, high });
  for (let i = 0; i < t.data.length; i++) {
    while (kinks.some((k) => Math.abs(t.data[i] - k) < gap)) t.data[i] = rng.uniformIn(low, high);
  }
  return t;
}

function finiteNumber(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${what} must be a finite number, got ${describeValue(v)}`);
  return v;
}

interface ClampAttrs {
  /** float32 bounds; −∞ / +∞ when absent */
  min: number;
  max: number;
}

const clampOp = defineOp<ClampAttrs>({
  name: 'clamp',
  derivative: 'd clamp(x, lo, hi)/dx = [lo ≤ x ≤ hi]',
  forward: ([x], { min, max }) => unaryRaw('clamp', x, min, max),
  // Inclusive at the bounds, as PyTorch: a value clamped exactly at a bound passes its gradient.
  vjp: (g, [x], _y, { min, max }) => [g.mul(x.ge(min).mul(x.le(max)))],
  probe: (rng) => {
    const which = rng.int(3); // both bounds, min only, max only
    const min = which === 2 ? -Infinity : Math.fround(rng.uniformIn(-1.5, 0));
    const max = which === 1 ? Infinity : Math.fround(rng.uniformIn(0.3, 1.5));
    return { inputs: [awayFromAll(rng, randShape(rng), [min, max])], attrs: { min, max } };
  },
});

/**
 * min(max(x, min), max) elementwise (PyTorch's clamp; max wins when min > max). Either bound may be
 * left out (undefined or null), not both; the bounds are rounded to float32 first.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if (min == null && max == null) throw new Error('clamp: at least one of min and max must be given');
  const lo = min == null ? -Infinity : Math.fround(finiteOrInfinite('clamp', 'min', min));
  const hi = max == null ? Infinity : Math.fround(finiteOrInfinite('clamp', 'max', max));
  return clampOp([x], { min: lo, max: hi });
}

function finiteOrInfinite(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${what} must be a number, got ${describeValue(v)}`);
  return v;
}

export type GeluApproximate = 'none' | 'tanh';

const geluOp = defineOp<{ approximate: GeluApproximate }>({
  name: 'gelu',
  derivative: "d x·Φ(x)/dx = Φ(x) + x·φ(x); 'tanh': d x·σ(2u)/dx, u = √(2/π)(x + 0.044715x³)",
  forward: ([x], { approximate }) => unaryRaw(approximate === 'tanh' ? 'geluTanh' : 'gelu', x),
  // the derivative is evaluated in float64 by a kernel (Φ's lower tail without cancellation)
  vjp: (g, [x], _y, { approximate }) => [g.mul(unaryRaw(approximate === 'tanh' ? 'geluTanhGrad' : 'geluGrad', x))],
  probe: (rng) => ({ inputs: [values(rng, randShape(rng), { low: -4, high: 4 })], attrs: { approximate: rng.bernoulli(0.5) ? 'tanh' : 'none' } }),
});

/** x·Φ(x) (PyTorch's default, erf-based), or with approximate 'tanh' ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function gelu(x: Tensor, approximate: GeluApproximate = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${describeValue(approximate)}`);
  }
  return geluOp([x], { approximate });
}

const siluOp = defineOp<undefined>({
  name: 'silu',
  derivative: 'd x·σ(x)/dx = σ(x)(1 + x(1 − σ(x)))',
  forward: ([x]) => unaryRaw('silu', x),
  vjp: (g, [x]) => [g.mul(unaryRaw('siluGrad', x))],
  probe: (rng) => ({ inputs: [values(rng, randShape(rng), { low: -4, high: 4 })], attrs: undefined }),
});

/** x·σ(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  return siluOp([x], undefined);
}

const eluOp = defineOp<{ alpha: number }>({
  name: 'elu',
  derivative: 'd elu(x)/dx = [x > 0] + [x ≤ 0]·α·eˣ',
  forward: ([x], { alpha }) => unaryRaw('elu', x, alpha),
  // α·e^min(x,0): no overflow where the mask is 0 (an e^x = ∞ times 0 would be NaN)
  vjp: (g, [x], _y, { alpha }) => [g.mul(x.gt(0).add(x.le(0).mul(x.minimum(0).exp().mul(alpha))))],
  probe: (rng) => ({ inputs: [awayFromAll(rng, randShape(rng), [0], -3, 3)], attrs: { alpha: rng.uniformIn(0.2, 2) } }),
});

/** x for x > 0, α·(eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return eluOp([x], { alpha: finiteNumber('elu', 'alpha', alpha) });
}

const leakyReluOp = defineOp<{ negativeSlope: number }>({
  name: 'leakyRelu',
  derivative: 'd leakyRelu(x)/dx = [x > 0] + [x ≤ 0]·slope',
  forward: ([x], { negativeSlope }) => unaryRaw('leakyRelu', x, negativeSlope),
  vjp: (g, [x], _y, { negativeSlope }) => [g.mul(x.gt(0).add(x.le(0).mul(negativeSlope)))],
  probe: (rng) => ({
    inputs: [awayFromAll(rng, randShape(rng), [0])],
    attrs: { negativeSlope: rng.bernoulli(0.5) ? 0.01 : rng.uniformIn(-0.5, 2) },
  }),
});

/** x for x > 0, negativeSlope·x otherwise (PyTorch's default slope 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return leakyReluOp([x], { negativeSlope: finiteNumber('leakyRelu', 'negativeSlope', negativeSlope) });
}
