/**
 * Indexing ops after PyTorch: scatter and scatter_add (differentiable in self and src, not in the
 * index) and flip. repeat, maskedFill, split and chunk are compositions (see methods.ts).
 */
import { flipRaw, gatherRaw, scatterIntoRaw } from '../../tensor/compute.js';
import type { Rng } from '../../tensor/rng.js';
import { normAxes, sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { randShape, values } from '../probe.js';

/**
 * x, an index along a random axis and src shaped like it. With `unique`, the positions along the
 * axis differ within each line (scatter's result is then defined by every src entry).
 */
function scatterProbe(rng: Rng, unique: boolean) {
  const shape = randShape(rng, { minRank: 1 });
  const a = rng.int(shape.length);
  const ishape = [...shape];
  ishape[a] = unique ? 1 + rng.int(shape[a]) : 1 + rng.int(4);
  const inner = sizeOf(shape.slice(a + 1));
  const outer = sizeOf(shape.slice(0, a));
  const index = new Float32Array(sizeOf(ishape));
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const picks = unique ? rng.permutation(shape[a]) : Array.from({ length: ishape[a] }, () => rng.int(shape[a]));
      for (let j = 0; j < ishape[a]; j++) index[(o * ishape[a] + j) * inner + r] = picks[j];
    }
  }
  const axis = rng.bernoulli(0.5) ? a : a - shape.length;
  return { inputs: [values(rng, shape), new Tensor(index, ishape), values(rng, ishape)], attrs: { axis } };
}

export const scatter = defineOp<{ axis: number }>({
  name: 'scatter',
  derivative: 'out = x with src written at the index: ∂/∂x is g with the written positions zeroed, ∂/∂src = gather(g, index)',
  forward: ([x, index, src], { axis }) => scatterIntoRaw(x, axis, index, src, false, 'scatter'),
  vjp: (g, [, index], _y, { axis }) => [
    scatterIntoRaw(g, axis, index, new Tensor(new Float32Array(index.size), index.shape), false, 'scatter'),
    null,
    gatherRaw(g, axis, index),
  ],
  probe: (rng) => scatterProbe(rng, true),
  nondiff: [1],
});

export const scatterAdd = defineOp<{ axis: number }>({
  name: 'scatterAdd',
  derivative: 'out = x + src added at the index (repeats add up): ∂/∂x = g, ∂/∂src = gather(g, index)',
  forward: ([x, index, src], { axis }) => scatterIntoRaw(x, axis, index, src, true, 'scatterAdd'),
  vjp: (g, [, index], _y, { axis }) => [g, null, gatherRaw(g, axis, index)],
  probe: (rng) => scatterProbe(rng, false),
  nondiff: [1],
});

export const flip = defineOp<{ axes: readonly number[] }>({
  name: 'flip',
  derivative: 'a reversal along the axes: vjp flips g back',
  forward: ([x], { axes }) => flipRaw(x, normAxes('flip', axes, x.shape)),
  vjp: (g, _x, _y, { axes }) => [flipRaw(g, normAxes('flip', axes, g.shape))],
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const axes = rng.permutation(shape.length).slice(0, 1 + rng.int(shape.length)).map((a) => (rng.bernoulli(0.3) ? a - shape.length : a));
    return { inputs: [values(rng, shape)], attrs: { axes } };
  },
});
