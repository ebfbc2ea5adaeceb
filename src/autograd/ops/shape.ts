/**
 * Shape and data-movement ops. Their VJPs move the gradient back the way the data came:
 * reshape ↔ reshape, permute ↔ inverse permute, slice ↔ embed in zeros, concat ↔ slices,
 * pad ↔ slice, gather ↔ scatter-add, expand ↔ sum.
 */
import {
  concatRaw, embedRaw, expandRaw, gatherRaw, indexAddRaw, indexSelectRaw, padRaw, permuteRaw, reshapeRaw, scatterAddRaw, sliceRaw, sumToShape,
} from '../../tensor/compute.js';
import { normAxis } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { broadcastableTo, randShape, values } from '../probe.js';

export const reshape = defineOp<{ shape: readonly number[] }>({
  name: 'reshape',
  derivative: 'the identity on the elements: g reshaped back',
  forward: ([x], { shape }) => reshapeRaw(x, shape),
  vjp: (g, [x]) => [reshapeRaw(g, x.shape)],
  probe: (rng) => {
    const shape = randShape(rng);
    return { inputs: [values(rng, shape)], attrs: { shape: rng.shuffle([...shape]) } };
  },
});

export const permute = defineOp<{ perm: readonly number[] }>({
  name: 'permute',
  derivative: 'a permutation matrix P: vjp = Pᵀg, the inverse permutation',
  forward: ([x], { perm }) => permuteRaw(x, perm),
  vjp: (g, [x], _y, { perm }) => {
    const p = perm.map((a) => normAxis('permute', a, x.ndim));
    const inverse = new Array<number>(p.length);
    p.forEach((a, i) => (inverse[a] = i));
    return [permuteRaw(g, inverse)];
  },
  probe: (rng) => {
    const shape = randShape(rng, { maxRank: 4 });
    return { inputs: [values(rng, shape)], attrs: { perm: rng.permutation(shape.length) } };
  },
});

export const slice = defineOp<{ starts: readonly number[]; ends: readonly number[]; steps?: readonly number[] }>({
  name: 'slice',
  derivative: 'selection (every step-th position): vjp writes g into zeros at the sliced positions',
  forward: ([x], { starts, ends, steps }) => sliceRaw(x, starts, ends, steps),
  vjp: (g, [x], _y, { starts, steps }) => [embedRaw(g, x.shape, starts, 0, steps)],
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const starts = shape.map((d) => rng.int(d));
    const ends = shape.map((d, i) => starts[i] + 1 + rng.int(d - starts[i]));
    const steps = rng.bernoulli(0.5) ? shape.map(() => 1 + rng.int(3)) : undefined;
    return { inputs: [values(rng, shape)], attrs: { starts, ends, steps } };
  },
});

export const concat = defineOp<{ axis: number }>({
  name: 'concat',
  derivative: 'block selection: input i gets its block of g',
  forward: (xs, { axis }) => concatRaw(xs, axis),
  vjp: (g, xs, _y, { axis }) => {
    const a = normAxis('concat', axis, g.ndim);
    let at = 0;
    return xs.map((x) => {
      const starts = g.shape.map((_, i) => (i === a ? at : 0));
      const ends = g.shape.map((d, i) => (i === a ? at + x.shape[a] : d));
      at += x.shape[a];
      return sliceRaw(g, starts, ends);
    });
  },
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const axis = rng.int(shape.length);
    const inputs = Array.from({ length: 1 + rng.int(3) }, () => {
      const s = [...shape];
      s[axis] = 1 + rng.int(3);
      return values(rng, s);
    });
    return { inputs, attrs: { axis } };
  },
});

export const pad = defineOp<{ pads: readonly (readonly [number, number])[]; value: number }>({
  name: 'pad',
  derivative: 'embedding: vjp slices the padding off g',
  forward: ([x], { pads, value }) => padRaw(x, pads, value),
  vjp: (g, [x], _y, { pads }) => {
    const lead = x.ndim - pads.length;
    const starts = x.shape.map((_, i) => (i < lead ? 0 : pads[i - lead][0]));
    return [sliceRaw(g, starts, starts.map((s, i) => s + x.shape[i]))];
  },
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const pads = shape.slice(rng.int(shape.length)).map(() => [rng.int(3), rng.int(3)] as [number, number]);
    return { inputs: [values(rng, shape)], attrs: { pads, value: rng.uniformIn(-1, 1) } };
  },
});

export const gather = defineOp<{ axis: number }>({
  name: 'gather',
  derivative: 'selection with repeats: vjp scatter-adds g to the gathered positions',
  forward: ([x, index], { axis }) => gatherRaw(x, axis, index),
  vjp: (g, [x, index], _y, { axis }) => [scatterAddRaw(g, axis, index, x.shape), null],
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const axis = rng.int(shape.length);
    const ishape = [...shape];
    ishape[axis] = 1 + rng.int(4);
    const index = new Tensor(Float32Array.from({ length: ishape.reduce((p, d) => p * d, 1) }, () => rng.int(shape[axis])), ishape);
    return { inputs: [values(rng, shape), index], attrs: { axis } };
  },
  nondiff: [1],
});

export const indexSelect = defineOp<{ axis: number }>({
  name: 'indexSelect',
  derivative: 'whole slices by position, with repeats: vjp adds each slice of g back at its position',
  forward: ([x, index], { axis }) => indexSelectRaw(x, axis, index),
  vjp: (g, [x, index], _y, { axis }) => [indexAddRaw(g, axis, index, x.shape), null],
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const axis = rng.int(shape.length);
    const positions = Float32Array.from({ length: 1 + rng.int(4) }, () => rng.int(shape[axis]));
    return { inputs: [values(rng, shape), new Tensor(positions, [positions.length])], attrs: { axis } };
  },
  nondiff: [1],
});

export const expand = defineOp<{ shape: readonly number[] }>({
  name: 'expand',
  derivative: 'broadcast: vjp sums g over the broadcast axes',
  forward: ([x], { shape }) => expandRaw(x, shape),
  vjp: (g, [x]) => [sumToShape(g, x.shape)],
  probe: (rng) => {
    const shape = randShape(rng);
    return { inputs: [values(rng, broadcastableTo(rng, shape))], attrs: { shape } };
  },
});
