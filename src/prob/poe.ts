/**
 * The product-of-experts reading of a softmax layer (LB-repr eq 6–7; LB-hidden eq 9–11, 15;
 * LB-bayes eq 11–13, 16–20).
 *
 * A softmax output f_Y(l) = exp(Σ_k γ_kl f_k + b_l)/Z_Y over inputs f_k equals
 *     P(f_Yl) = (1/Z''_l) Π_k [exp(f_k)/Z_F]^{γ_kl},   Z''_l = Z_Y / (exp(b_l) Π_k Z_F^{γ_kl}),
 * a product of the experts exp(f_k)/Z_F (the Gibbs distribution of the input layer) raised to the
 * weights γ_kl. When f is a convolutional layer [N, Q, H, W] (LB-bayes eq 16–20), each channel q
 * is an expert P(f^q) = exp(f^q)/Z_{F^q} normalised over its own positions, and the powers are
 * element-wise: Z''_l = Z_Y / (exp(b_l) Π_q Z_{F^q}^{Σ_pos γ_{(q,pos),l}}).
 * Everything is computed in log space; `probs` is built from the experts, not from softmax.
 */
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface ProductOfExperts {
  /** The experts exp(f)/Z per group: [N, K] for dense input, [N, Q, H, W] for convolutional. */
  experts: Tensor;
  /** log Z_F per group: [N] (dense) or [N, Q] (one per channel). */
  logZF: Tensor;
  /** log Z''_l: [N, L]. */
  logZpp: Tensor;
  /** P(f_Yl) in the PoE form: [N, L]. */
  probs: Tensor;
}

/**
 * @param f     layer input: [N, K] (dense) or [N, Q, H, W] (convolutional, flattened in NCHW order)
 * @param gamma weights [K, L] with K = Q·H·W for convolutional input
 * @param b     biases [L]
 */
export function poe(f: Tensor, gamma: Tensor, b: Tensor): ProductOfExperts {
  if (f.ndim !== 2 && f.ndim !== 4) throw new Error(`poe: f must be [N, K] or [N, Q, H, W], got ${fmt(f.shape)}`);
  const n = f.shape[0];
  const k = f.size / n;
  const groups = f.ndim === 4 ? f.shape[1] : 1;
  if (gamma.ndim !== 2 || gamma.shape[0] !== k) throw new Error(`poe: gamma ${fmt(gamma.shape)} must be [${k}, L] for f ${fmt(f.shape)}`);
  if (b.ndim !== 1 || b.shape[0] !== gamma.shape[1]) throw new Error(`poe: b ${fmt(b.shape)} must be [${gamma.shape[1]}] for gamma ${fmt(gamma.shape)}`);
  const L = gamma.shape[1];
  const grouped = f.reshape([n, groups, k / groups]);
  const logZF = grouped.logsumexp(2); // [N, G]: log Σ_pos exp f per expert group
  const logExperts = grouped.sub(logZF.unsqueeze(2)).reshape([n, k]); // log [exp(f)/Z_F]
  const logProduct = logExperts.matmul(gamma); // Σ_k γ_kl log expert_k = log Π_k expert_k^γ_kl
  // log Z_Y = log Σ_l exp(Σ_k γ_kl f_k + b_l), and the per-group exponent Σ_{k∈g} γ_kl
  const logZY = f.reshape([n, k]).matmul(gamma).add(b).logsumexp(1, true); // [N, 1]
  const groupPower = gamma.reshape([groups, k / groups, L]).sum(1); // [G, L]
  const logZpp = logZY.sub(b).sub(logZF.matmul(groupPower)); // [N, L]
  return {
    experts: logExperts.exp().reshape([...f.shape]),
    logZF: f.ndim === 2 ? logZF.reshape([n]) : logZF,
    logZpp,
    probs: logProduct.sub(logZpp).exp(),
  };
}
