/**
 * Gibbs (Boltzmann) distributions over the units of a layer.
 *
 * LB-hidden eq 18 / LB-bayes Prop. 1: a fully connected layer with activations f_n(x) defines a
 * discrete Gibbs distribution over its N neurons, P(f_n) = exp(f_n)/Z_F with energy E_n = −f_n and
 * partition function Z_F = Σ_n exp(f_n). In exponential-family form (LB-hidden eq 1, 8):
 * log p(n) = ⟨t(n), θ⟩ − F(θ) with one-hot sufficient statistics t(n), natural parameters θ = −E
 * and log-normaliser F(θ) = log Z, whose gradient ∇F(θ) is the vector of probabilities.
 */
import { Tensor } from '../tensor/tensor.js';

export interface Gibbs {
  /** exp(−E)/Z along the axis. */
  probs: Tensor;
  /** log Z = log Σ exp(−E), with the axis kept (size 1) so it broadcasts against `energy`. */
  logZ: Tensor;
  energy: Tensor;
}

/**
 * P = exp(−E − log Z) along `axis`, computed through log-sum-exp, so energies of magnitude 1e4
 * give finite probabilities. Differentiable in E.
 */
export function gibbs(energy: Tensor, axis = -1): Gibbs {
  const theta = energy.neg();
  const logZ = theta.logsumexp(axis, true);
  return { probs: theta.sub(logZ).exp(), logZ, energy };
}

/** A layer's distribution over its neurons: P(f_n) = exp(f_n)/Σ exp(f_n'), energy −f_n (LB-hidden eq 18). */
export function layerGibbs(activations: Tensor, axis = -1): Gibbs {
  return gibbs(activations.neg(), axis);
}

/** The exponential-family view of a categorical Gibbs distribution with natural parameters θ = −E. */
export function exponentialFamily(theta: Tensor, axis = -1) {
  const F = theta.logsumexp(axis, true);
  return {
    /** F(θ) = log Σ exp θ (the log-partition function). */
    logNormaliser: F,
    /** log p(n) = θ_n − F(θ). */
    logProbs: theta.sub(F),
    /** Mean parameters E[t] = ∇F(θ) = softmax(θ). */
    meanParameters: theta.sub(F).exp(),
  };
}
