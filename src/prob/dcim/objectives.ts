/**
 * Generative learning objectives of a DCIM, as differentiable losses (negated, batch-averaged).
 *
 * eq 16/21:  max log p(x^d | x⁰) + log q(x⁰ | x^d)  — both terms under approximation (2): the
 *            forward chain is replaced by its expectations up to x̄^{d−1}, the reverse chain by
 *            its expectations from x^d down to x̄¹.
 * eq 22:     max log p(x^d | x⁰) + log q(x⁰ | x^{d−1})  with x^{d−1} sampled from the forward
 *            model given x⁰ (x^{d−1} ~ p(x^{d−1}|x⁰) under approximation (2)), so the reverse
 *            term starts one layer below the labels.
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

/** DCIM eq 22: the reverse term conditions on x^{d−1} drawn from the forward model. */
export function sampledReverseLoss(model: DCIM, x0: Tensor, xd: Tensor, rng: Rng): DcimLoss {
  if (model.depth < 2) return bidirectionalLoss(model, x0, xd);
  const xdm1 = noGrad(() => drawBinary(model.expectations(x0)[model.depth - 2], model.coding, rng));
  return combine(model.logProbOutputGiven(x0, xd), model.logProbInputGiven(x0, xdm1, model.depth - 1));
}
