/**
 * Exact marginals of a small DCIM by enumeration, to measure the error of approximation (2).
 *
 * The joint distribution of layer k given x⁰ is propagated exactly:
 *     P_k(s) = Σ_{s'} P_{k−1}(s') Π_j p(s_j | s'),
 * over all 2^{n_k} configurations s of layer k (one-hot states for a categorical top layer), and
 * each unit's marginal is read off the joint. The cost is 2^{n_{k−1}} · 2^{n_k} per layer, so
 * layers are limited to 16 units and consecutive pairs to 2^22 joint states.
 */
import { noGrad } from '../../autograd/engine.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DCIM } from './model.js';
import { binaryLogPartition } from './units.js';

const MAX_UNITS = 16;
const MAX_PAIR_STATES = 2 ** 22;

/** All states of a layer of n units as rows of a [S, n] tensor. */
function states(n: number, coding: '01' | 'pm1', categorical: boolean): Tensor {
  if (categorical) {
    const out = new Float32Array(n * n);
    for (let s = 0; s < n; s++) out[s * n + s] = 1;
    return new Tensor(out, [n, n]);
  }
  const S = 2 ** n;
  const out = new Float32Array(S * n);
  for (let s = 0; s < S; s++) for (let j = 0; j < n; j++) out[s * n + j] = (s >> j) & 1 ? 1 : coding === '01' ? 0 : -1;
  return new Tensor(out, [S, n]);
}

/** P(x^k_j = 1) (binary) or P(x^d = l) (categorical top) per layer, for one input x⁰ [1, n⁰]. */
export function exactMarginals(model: DCIM, x0: Tensor): Tensor[] {
  if (x0.ndim !== 2 || x0.shape[0] !== 1) throw new Error(`DCIM.exactMarginals: expects one input [1, ${model.sizes[0]}], got [${x0.shape.join(', ')}]`);
  model.sizes.slice(1).forEach((n, k) => {
    if (n > MAX_UNITS) throw new Error(`DCIM.exactMarginals: layer ${k + 1} has ${n} units; enumeration is limited to ${MAX_UNITS} units per layer`);
    if (k > 0 && 2 ** (model.sizes[k] + n) > MAX_PAIR_STATES) {
      throw new Error(`DCIM.exactMarginals: layers ${k} and ${k + 1} (${model.sizes[k]} and ${n} units) need 2^${model.sizes[k] + n} joint states, more than 2^22`);
    }
  });
  return noGrad(() => {
    const marginals: Tensor[] = [];
    let below = x0; // states of the layer below, one per row
    let weights = new Float64Array([1]); // their probabilities
    for (let k = 1; k <= model.depth; k++) {
      const categorical = k === model.depth && model.top === 'categorical';
      const n = model.sizes[k];
      const here = states(n, model.coding, categorical);
      const S = here.shape[0];
      const a = model.layers[k - 1].forward(below); // [S_below, n]
      // log p(state s | state s') for every pair: [S_below, S]
      const logp = categorical ? a.logSoftmax(1) : here.matmul(a.transpose()).transpose().sub(binaryLogPartition(a, model.coding).sum(1, true));
      const joint = new Float64Array(S);
      for (let r = 0; r < weights.length; r++) {
        if (weights[r] === 0) continue;
        for (let s = 0; s < S; s++) joint[s] += weights[r] * Math.exp(logp.data[r * S + s]);
      }
      const m = new Float32Array(n);
      for (let s = 0; s < S; s++) for (let j = 0; j < n; j++) if (here.data[s * n + j] === 1) m[j] += joint[s];
      marginals.push(new Tensor(m, [n]));
      below = here;
      weights = joint;
    }
    return marginals;
  });
}
