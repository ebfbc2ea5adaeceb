/**
 * Loss functions (PyTorch's F namespace). All return the mean over the batch unless
 * reduction: 'sum' or 'none' is asked for.
 */
import { oneHot } from '../tensor/compute.js';
import { describeValue, fmt, sameShape, stridesOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly unknown[] = ['mean', 'sum', 'none'] satisfies Reduction[];

/** An unknown reduction (a typo such as 'avg') must not pass for the mean. */
function checkReduction(op: string, reduction: unknown): asserts reduction is Reduction {
  if (!REDUCTIONS.includes(reduction)) {
    throw new TypeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  }
}

/** Callers check the reduction first (checkReduction), before any work is done. */
function reduce(losses: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? losses : reduction === 'sum' ? losses.sum() : losses.mean();
}

/** The multi-index [i, j, …] of flat position k in a row-major shape, for error messages. */
function indexOf(k: number, shape: readonly number[]): number[] {
  return stridesOf(shape).map((stride, axis) => Math.floor(k / stride) % shape[axis]);
}

/**
 * Targets as class indices [N] (validated against C) or as probabilities [N, C] (one row per
 * sample); returns the [N, C] target distribution.
 */
function targetDistribution(op: string, scores: Tensor, labels: Tensor): Tensor {
  if (scores.ndim !== 2) throw new Error(`${op}: expected scores of shape [N, C], got ${fmt(scores.shape)}`);
  const [n, c] = scores.shape;
  if (labels.ndim === 1) {
    if (labels.shape[0] !== n) throw new Error(`${op}: ${labels.shape[0]} labels for ${n} rows of scores ${fmt(scores.shape)}`);
    labels.data.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= c) throw new RangeError(`${op}: label ${v} at position ${i} is out of range [0, ${c - 1}] for scores ${fmt(scores.shape)} (class indices are integers)`);
    });
    return oneHot(labels, c);
  }
  if (!sameShape(labels.shape, scores.shape)) {
    throw new Error(`${op}: target probabilities ${fmt(labels.shape)} must match scores ${fmt(scores.shape)}, or pass class indices of shape [${n}]`);
  }
  return labels;
}

/** −Σ_c t_c log softmax(z)_c per sample: the cross-entropy of logits z against targets t. */
export function crossEntropy(logits: Tensor, labels: Tensor, { reduction = 'mean' as Reduction } = {}): Tensor {
  checkReduction('crossEntropy', reduction);
  const t = targetDistribution('crossEntropy', logits, labels);
  return reduce(logits.logSoftmax(1).mul(t).sum(1).neg(), reduction);
}

/** Negative log-likelihood of log-probabilities (e.g. the output of logSoftmax). */
export function nll(logProbs: Tensor, labels: Tensor, { reduction = 'mean' as Reduction } = {}): Tensor {
  checkReduction('nll', reduction);
  const t = targetDistribution('nll', logProbs, labels);
  return reduce(logProbs.mul(t).sum(1).neg(), reduction);
}

/** Mean squared error (mean over all elements by default). */
export function mse(pred: Tensor, target: Tensor, { reduction = 'mean' as Reduction } = {}): Tensor {
  checkReduction('mse', reduction);
  if (!sameShape(pred.shape, target.shape)) throw new Error(`mse: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} differ`);
  const sq = pred.sub(target).square();
  return reduce(sq, reduction);
}

/**
 * A value outside [0, 1] (or NaN) is not a probability; the clamp below would hide it (2.0 would
 * be read as 1 − eps), so it is refused, as PyTorch refuses it.
 */
function checkProbabilities(op: string, probs: Tensor): void {
  const k = probs.data.findIndex((p) => !(p >= 0 && p <= 1));
  if (k >= 0) {
    throw new RangeError(`${op}: probability ${probs.data[k]} at index ${fmt(indexOf(k, probs.shape))} is outside [0, 1]; pass logits to binaryCrossEntropyWithLogits instead`);
  }
}

/**
 * −[t log p + (1−t) log(1−p)] for probabilities p; p is clamped to [eps, 1−eps] so that a
 * saturated prediction gives a large finite loss instead of ∞.
 */
export function binaryCrossEntropy(probs: Tensor, target: Tensor, { reduction = 'mean' as Reduction, eps = 1e-7 } = {}): Tensor {
  checkReduction('binaryCrossEntropy', reduction);
  if (!sameShape(probs.shape, target.shape)) throw new Error(`binaryCrossEntropy: probabilities ${fmt(probs.shape)} and target ${fmt(target.shape)} differ`);
  checkProbabilities('binaryCrossEntropy', probs);
  const p = probs.maximum(eps).minimum(1 - eps);
  const l = target.mul(p.log()).add(target.neg().add(1).mul(p.neg().add(1).log())).neg();
  return reduce(l, reduction);
}

/** The same from logits z, stably: softplus(z) − t·z. */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, { reduction = 'mean' as Reduction } = {}): Tensor {
  checkReduction('binaryCrossEntropyWithLogits', reduction);
  if (!sameShape(logits.shape, target.shape)) throw new Error(`binaryCrossEntropyWithLogits: logits ${fmt(logits.shape)} and target ${fmt(target.shape)} differ`);
  const l = logits.softplus().sub(target.mul(logits));
  return reduce(l, reduction);
}
