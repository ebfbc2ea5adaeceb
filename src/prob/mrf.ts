/**
 * Energies (LB-hidden eq 17, 19, 84–90; LB-bayes eq 3, 7, 31; LB-repr eq 9, 14).
 *
 * A convolutional layer with K linear channels φ_k(x) = S_k ∘ x + b_k defines a Markov random
 * field P(F) = exp[Σ_k φ_k(x)]/Z_F with energy map E_F(x) = −Σ_k φ_k(x), one value per output
 * position (LB-bayes eq 7). Z_F is intractable; the papers estimate P(F) by the histogram of the
 * energy values (LB-bayes eq 8, see histogram.ts).
 *
 * For the output layer, −log P(f_Yl*|x) = E_DNN(f_Yl*|x) + log Z_DNN(x) with E_DNN = −logit_l*
 * (LB-hidden App. J, eq 89): cross-entropy training is energy minimisation up to log Z.
 */
import type { Conv2d } from '../layers/layers.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** E_F(x) = −Σ_k φ_k(x): the pre-activation channels of `conv` (bias included) summed and negated, [N, H', W']. */
export function mrfEnergy(conv: Conv2d, x: Tensor): Tensor {
  return conv.forward(x).sum(1).neg();
}

/** E_DNN(f_Yl*|x) = −logit_l* and log Z_DNN(x) = log Σ_l exp(logit_l), each [N]. */
export function energyOfLabel(logits: Tensor, labels: Tensor): { energy: Tensor; logZ: Tensor } {
  if (logits.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`energyOfLabel: expected logits [N, L] and labels [N], got ${fmt(logits.shape)} and ${fmt(labels.shape)}`);
  }
  labels.data.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= logits.shape[1]) throw new Error(`energyOfLabel: label ${v} at position ${i} is out of range [0, ${logits.shape[1] - 1}]`);
  });
  const energy = logits.gather(1, labels.reshape([labels.shape[0], 1])).reshape([labels.shape[0]]).neg();
  return { energy, logZ: logits.logsumexp(1) };
}
