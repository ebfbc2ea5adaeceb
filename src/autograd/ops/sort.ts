/**
 * The sort family (PyTorch's sort, argsort, topk). The order is found by a stable argsort kernel
 * (equal values keep their order of position; NaN counts as the largest); the values are then a
 * gather of x at those positions, so they are differentiable and the indices are not: the VJP
 * scatters g back to the positions the values came from.
 */
import { argsortRaw, gatherRaw, scatterAddRaw, sliceRaw } from '../../tensor/compute.js';
import type { Rng } from '../../tensor/rng.js';
import { fmt, normAxis } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { distinct, randShape } from '../probe.js';

/** Stable argsort along `axis`, then its first k positions (topk's smallest or largest). */
export function topkIndices(x: Tensor, k: number, axis: number, largest: boolean): Tensor {
  const a = normAxis('topk', axis, x.ndim, x.shape);
  if (!Number.isInteger(k) || k < 0 || k > x.shape[a]) {
    throw new Error(`topk: k = ${k} is out of range [0, ${x.shape[a]}] for axis ${axis} of shape ${fmt(x.shape)}`);
  }
  const order = argsortRaw(x, a, largest, 'topk');
  return sliceRaw(order, x.shape.map(() => 0), x.shape.map((d, i) => (i === a ? k : d)));
}

function probeWith(rng: Rng, pick: (x: Tensor, axis: number) => Tensor) {
  const shape = randShape(rng, { minRank: 1 });
  const x = distinct(rng, shape);
  const axis = rng.int(shape.length) - (rng.bernoulli(0.5) ? shape.length : 0);
  return { inputs: [x, pick(x, axis)], attrs: { axis } };
}

export const sort = defineOp<{ axis: number }>({
  name: 'sort',
  derivative: 'a permutation along the axis (stable; the indices are not differentiable): vjp scatters g back to where each value came from',
  forward: ([x, order], { axis }) => gatherRaw(x, axis, order),
  vjp: (g, [x, order], _y, { axis }) => [scatterAddRaw(g, axis, order, x.shape), null],
  probe: (rng) => probeWith(rng, (x, axis) => argsortRaw(x, axis, rng.bernoulli(0.5))),
  nondiff: [1],
});

export const topk = defineOp<{ axis: number }>({
  name: 'topk',
  derivative: 'selection of the k largest (smallest) along the axis: vjp scatters g to the k selected positions, 0 elsewhere',
  forward: ([x, picked], { axis }) => gatherRaw(x, axis, picked),
  vjp: (g, [x, picked], _y, { axis }) => [scatterAddRaw(g, axis, picked, x.shape), null],
  probe: (rng) => probeWith(rng, (x, axis) => topkIndices(x, 1 + rng.int(x.shape[normAxis('topk', axis, x.ndim)]), axis, rng.bernoulli(0.5))),
  nondiff: [1],
});
