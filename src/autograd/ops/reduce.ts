/**
 * Reductions and the softmax family. The VJP of a reduction broadcasts the output gradient back
 * over the reduced axes (keepDims shape, then expand).
 */
import { binaryRaw, expandRaw, reduceRaw, unaryRaw, whereRaw } from '../../tensor/compute.js';
import { normAxes, normAxis, reducedShape, sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { distinct, randAxis, randShape, values } from '../probe.js';

export interface ReduceAttrs {
  axis?: number | readonly number[];
  keepDims: boolean;
}

/** The output gradient reshaped to keepDims form and broadcast over x. */
function spread(g: Tensor, x: Tensor, attrs: ReduceAttrs): Tensor {
  const axes = normAxes('reduce', attrs.axis, x.shape);
  return expandRaw(new Tensor(g.data, reducedShape(x.shape, axes, true)), x.shape);
}

const scalar = (v: number) => new Tensor(new Float32Array([v]), []);

function count(x: Tensor, axis: ReduceAttrs['axis']): number {
  return sizeOf(normAxes('mean', axis, x.shape).map((a) => x.shape[a]));
}

const reduceProbe = (rng: import('../../tensor/rng.js').Rng) => {
  const shape = randShape(rng, { minRank: 1 });
  return { inputs: [values(rng, shape)], attrs: { axis: randAxis(rng, shape), keepDims: rng.bernoulli(0.5) } };
};

export const sum = defineOp<ReduceAttrs>({
  name: 'sum',
  derivative: '∂Σᵢxᵢ/∂xⱼ = 1',
  forward: ([x], { axis, keepDims }) => reduceRaw('sum', x, axis, keepDims, 'sum'),
  vjp: (g, [x], _y, attrs) => [spread(g, x, attrs)],
  probe: reduceProbe,
});

export const mean = defineOp<ReduceAttrs>({
  name: 'mean',
  derivative: '∂(1/n Σᵢxᵢ)/∂xⱼ = 1/n',
  forward: ([x], { axis, keepDims }) => binaryRaw('div', reduceRaw('sum', x, axis, keepDims, 'mean'), scalar(count(x, axis))),
  vjp: (g, [x], _y, attrs) => [spread(g, x, attrs).div(count(x, attrs.axis))],
  probe: reduceProbe,
});

/** Ties share the gradient equally, so the VJP is a subgradient everywhere. */
function extremum(name: 'max' | 'min') {
  return defineOp<ReduceAttrs>({
    name,
    derivative: `∂${name}ᵢxᵢ/∂xⱼ = [xⱼ = ${name}] / #ties`,
    forward: ([x], { axis, keepDims }) => reduceRaw(name, x, axis, keepDims, name),
    vjp: (g, [x], y, attrs) => {
      const hit = binaryRaw('eq', x, spread(y, x, attrs));
      const ties = spread(reduceRaw('sum', hit, attrs.axis, true), x, { ...attrs, keepDims: true });
      return [spread(g, x, attrs).mul(hit).div(ties)];
    },
    probe: (rng) => {
      const shape = randShape(rng, { minRank: 1 });
      return { inputs: [distinct(rng, shape)], attrs: { axis: randAxis(rng, shape), keepDims: rng.bernoulli(0.5) } };
    },
  });
}
export const max = extremum('max');
export const min = extremum('min');

/**
 * x − m with m = max x over the axes (keepDims): every entry ≤ 0 and the largest exactly 0, so
 * exp never overflows and a tie at 1e30 still counts as e⁰ = 1 each.
 */
function shiftedByMax(x: Tensor, axis: ReduceAttrs['axis'], op: string): { shifted: Tensor; m: Tensor } {
  const max = reduceRaw('max', x, axis, true, op);
  // An all −∞ (or +∞) slice would give ∞ − ∞ = NaN; shift such slices by 0 instead. A value v is
  // finite exactly when v − v = 0 (∞ − ∞ and NaN − NaN are NaN).
  const finite = binaryRaw('eq', binaryRaw('sub', max, max), scalar(0));
  const m = whereRaw(finite, max, scalar(0));
  return { shifted: binaryRaw('sub', x, m), m };
}

/**
 * log Σ exp(x) = m + log Σ exp(x − m) with m = max x. The sum is at least 1 (the maximum's own
 * term), so its log is small and the result is m rounded once.
 */
function logsumexpRaw(x: Tensor, axis: ReduceAttrs['axis'], keepDims: boolean): Tensor {
  const { shifted, m } = shiftedByMax(x, axis, 'logsumexp');
  const s = reduceRaw('sum', unaryRaw('exp', shifted), axis, true);
  const out = binaryRaw('add', unaryRaw('log', s), m);
  const axes = normAxes('logsumexp', axis, x.shape);
  return new Tensor(out.data, reducedShape(x.shape, axes, keepDims));
}

/**
 * softmax(x) = exp(x − m) / Σ exp(x − m) over the axes. Not exp(x − logsumexp(x)): in float32
 * logsumexp(x) rounds to m once |m| ≫ log n, and ten tied logits of 1e8 would each get 1.
 */
function softmaxRaw(x: Tensor, axis: ReduceAttrs['axis'], op: string): Tensor {
  const e = unaryRaw('exp', shiftedByMax(x, axis, op).shifted);
  return binaryRaw('div', e, reduceRaw('sum', e, axis, true));
}

export const logsumexp = defineOp<ReduceAttrs>({
  name: 'logsumexp',
  derivative: '∂ log Σᵢ e^xᵢ/∂xⱼ = softmax(x)ⱼ',
  forward: ([x], { axis, keepDims }) => logsumexpRaw(x, axis, keepDims),
  vjp: (g, [x], _y, attrs) => {
    // softmax recomputed from x, not exp(x − y): y is rounded at the magnitude of max x.
    const weights = softmaxRaw(x, attrs.axis, 'logsumexp');
    // A slice of all −∞ has logsumexp −∞ and (−∞) − (−∞) = NaN weights; nothing flows back there.
    const dead = binaryRaw('mul', binaryRaw('ne', weights, weights), binaryRaw('eq', x, scalar(-Infinity)));
    return [spread(g, x, attrs).mul(whereRaw(dead, scalar(0), weights))];
  },
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    return { inputs: [values(rng, shape, { low: -4, high: 4 })], attrs: { axis: randAxis(rng, shape), keepDims: rng.bernoulli(0.5) } };
  },
});

export interface AxisAttrs {
  axis: number;
}

function softmaxProbe(rng: import('../../tensor/rng.js').Rng) {
  const shape = randShape(rng, { minRank: 1 });
  return { inputs: [values(rng, shape, { low: -4, high: 4 })], attrs: { axis: randAxis(rng, shape, false)! } };
}

/**
 * log softmax(x) = (x − m) − log Σ exp(x − m), m = max x. Both terms are small where it matters
 * (the log is in [0, log n]), unlike x − logsumexp(x), which subtracts two rounded large numbers.
 */
function logSoftmaxRaw(x: Tensor, axis: number, op: string): Tensor {
  const a = normAxis(op, axis, x.ndim, x.shape);
  const { shifted } = shiftedByMax(x, a, op);
  return binaryRaw('sub', shifted, unaryRaw('log', reduceRaw('sum', unaryRaw('exp', shifted), a, true)));
}

export const logSoftmax = defineOp<AxisAttrs>({
  name: 'logSoftmax',
  derivative: '∂ log softmax(x)ᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ  ⇒  vjp = g − softmax(x)·Σg',
  forward: ([x], { axis }) => logSoftmaxRaw(x, axis, 'logSoftmax'),
  vjp: (g, _x, y, { axis }) => [g.sub(y.exp().mul(g.sum(axis, true)))],
  probe: softmaxProbe,
});

export const softmax = defineOp<AxisAttrs>({
  name: 'softmax',
  derivative: '∂softmax(x)ᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)  ⇒  vjp = s·(g − Σ g·s)',
  forward: ([x], { axis }) => softmaxRaw(x, normAxis('softmax', axis, x.ndim, x.shape), 'softmax'),
  vjp: (g, _x, s, { axis }) => [s.mul(g.sub(g.mul(s).sum(axis, true)))],
  probe: softmaxProbe,
});
