/**
 * Generative learning objectives of a DCIM, as differentiable losses (negated, batch-averaged).
 *
 * eq 16/21:  max log p(x^d | x⁰) + log q(x⁰ | x^d)  — both terms under approximation (2): the
 *            forward chain is replaced by its expectations up to x̄^{d−1} (eq 14–15), the
 *            reverse chain by its expectations from x^d down to x̄¹ (eq 14 run on q).
 * eq 22:     max log p(x^d | x⁰) + log q(x⁰ | x^{d−1})  with x^{d−1} sampled from the forward
 *            model given x⁰ (an exact ancestral draw by default), so the reverse term starts
 *            one layer below the labels.
 */
import { noGrad } from '../../autograd/engine.js';
import type { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { DCIM } from './model.js';
import { drawBinary } from './units.js';

export interface DcimLoss {
  /** −mean[log p(x^d|x⁰) + log q(x⁰|…)]: minimise this. */
  loss: Tensor;
  /** −mean log p(x^d | x⁰): the discriminative part (cross-entropy for a categorical top). */
  forwardLoss: Tensor;
  /** −mean log q(x⁰ | …): the reverse (generative) part. */
  reverseLoss: Tensor;
}

function combine(forward: Tensor, reverse: Tensor): DcimLoss {
  const forwardLoss = forward.mean().neg();
  const reverseLoss = reverse.mean().neg();
  return { loss: forwardLoss.add(reverseLoss), forwardLoss, reverseLoss };
}

/** DCIM eq 16/21 for a batch x⁰ [N, n⁰] with targets x^d [N, n^d] (one-hot for a categorical top). */
export function bidirectionalLoss(model: DCIM, x0: Tensor, xd: Tensor): DcimLoss {
  return combine(model.logProbOutputGiven(x0, xd), model.logProbInputGiven(x0, xd, model.depth));
}

export interface SampledReverseOptions {
  /**
   * How x^{d−1} is drawn from p(x^{d−1} | x⁰): 'chain' (default) by exact ancestral sampling
   * x¹ → … → x^{d−1} through the DCIM's conditionals (eq 13); 'approximation' from the
   * factorised approximation (2), i.e. independent units with the means x̄^{d−1} of eq 14.
   */
  sampler?: 'chain' | 'approximation';
}

/**
 * DCIM eq 22: the reverse term conditions on x^{d−1} drawn from the forward model for the current
 * θ. The draw is not differentiated (it is a sample, treated as data); for d = 1 there is no
 * hidden layer to sample and eq 22 is eq 21.
 */
export function sampledReverseLoss(model: DCIM, x0: Tensor, xd: Tensor, rng: Rng, { sampler = 'chain' }: SampledReverseOptions = {}): DcimLoss {
  if (model.depth < 2) return bidirectionalLoss(model, x0, xd);
  if (sampler !== 'chain' && sampler !== 'approximation') throw new Error(`DCIM.sampledReverseLoss: sampler must be 'chain' or 'approximation', got '${sampler}'`);
  const xdm1 = noGrad(() =>
    sampler === 'chain' ? model.sample(x0, rng, { upTo: model.depth - 1 })[model.depth - 2] : drawBinary(model.expectations(x0)[model.depth - 2], model.coding, rng),
  );
  return combine(model.logProbOutputGiven(x0, xd), model.logProbInputGiven(x0, xdm1, model.depth - 1));
}
