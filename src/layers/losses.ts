/**
 * Loss functions (PyTorch's F namespace). All return the mean over the batch unless
 * reduction: 'sum' or 'none' is asked for.
 */
import { where } from '../autograd/methods.js';
import { oneHot } from '../tensor/compute.js';
import { describeValue, fmt, sameShape, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export { conv2d, conv1d, dilateKernel, maxPool2d, avgPool2d, adaptiveAvgPool2d, batchNorm, layerNorm, embedding } from './functional.js';

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

export interface ClassLossOptions {
  reduction?: Reduction;
  /** A rescaling weight per class, shape [C] (PyTorch's weight). */
  weight?: Tensor | null;
  /** A class-index target equal to this contributes nothing, not even to the mean's divisor (default −100). */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends ClassLossOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·target + ε/C (PyTorch's label_smoothing; default 0). */
  labelSmoothing?: number;
}

/**
 * The constant matrix T [N, C] and divisor of a class loss −Σ_c T[n,c]·logp[n,c], with PyTorch's
 * semantics. Class indices y: T[n] = w[yₙ]·((1 − ε)·onehot(yₙ) + ε/C·w/w[yₙ]) — i.e.
 * (1 − ε)·w[yₙ]·onehot(yₙ) + (ε/C)·w — and 0 for ignored rows; the mean divides by Σ_{n kept} w[yₙ]
 * (the number of kept rows without weights). Probabilities t: T = w·((1 − ε)·t + ε/C); the mean
 * divides by N.
 */
function classTargets(op: string, scores: Tensor, labels: Tensor, { weight = null, ignoreIndex = -100 }: ClassLossOptions, eps: number): { T: Tensor; divisor: number | null } {
  if (scores.ndim !== 2) throw new Error(`${op}: expected scores of shape [N, C], got ${fmt(scores.shape)}`);
  const [n, c] = scores.shape;
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== c)) throw new Error(`${op}: weight must have shape [${c}] (one per class), got ${fmt(weight.shape)}`);
  if (!Number.isInteger(ignoreIndex)) throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  // The plain case (no weight, smoothing or ignored row), which every training loop here takes: the
  // one-hot targets come from the oneHot kernel and the mean is the mean op, as before these options.
  if (!weight && eps === 0 && (labels.ndim === 1 ? !labels.data.includes(ignoreIndex) : ignoreIndex < 0)) return { T: targetDistribution(op, scores, labels), divisor: null };
  const w = (k: number) => (weight ? weight.data[k] : 1);
  const T = new Float32Array(n * c);
  if (labels.ndim === 1) {
    if (labels.shape[0] !== n) throw new Error(`${op}: ${labels.shape[0]} labels for ${n} rows of scores ${fmt(scores.shape)}`);
    let divisor = 0;
    labels.data.forEach((v, i) => {
      if (v === ignoreIndex) return;
      if (!Number.isInteger(v) || v < 0 || v >= c) throw new RangeError(`${op}: label ${v} at position ${i} is out of range [0, ${c - 1}] for scores ${fmt(scores.shape)} (class indices are integers)`);
      divisor += w(v);
      for (let k = 0; k < c; k++) T[i * c + k] = (eps / c) * w(k);
      T[i * c + v] += (1 - eps) * w(v);
    });
    return { T: new Tensor(T, [n, c]), divisor };
  }
  if (ignoreIndex >= 0) throw new Error(`${op}: ignoreIndex (${ignoreIndex}) applies to class indices only, not to target probabilities ${fmt(labels.shape)}`);
  // Probabilities may require a gradient (soft targets from another network): T stays in the graph.
  let t = targetDistribution(op, scores, labels);
  if (eps > 0) t = t.mul(1 - eps).add(eps / c);
  return { T: weight ? t.mul(weight) : t, divisor: n };
}

/** −Σ_c T·logp per row, reduced; a `divisor` (weights or ignored rows) replaces the mean's N. */
function classLoss(logp: Tensor, T: Tensor, divisor: number | null, reduction: Reduction): Tensor {
  const losses = logp.mul(T).sum(1).neg();
  return reduction === 'mean' && divisor !== null ? losses.sum().div(divisor) : reduce(losses, reduction);
}

/**
 * −Σ_c t_c log softmax(z)_c per sample: the cross-entropy of logits z [N, C] against class indices
 * [N] or probabilities [N, C], with PyTorch's weight, ignoreIndex and labelSmoothing. With class
 * indices the mean is the weighted mean Σₙ lossₙ / Σₙ w[yₙ] over the rows not ignored (NaN when all
 * are ignored, as in PyTorch); with probabilities it divides by N.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, { reduction = 'mean' as Reduction, weight = null, ignoreIndex = -100, labelSmoothing = 0 }: CrossEntropyOptions = {}): Tensor {
  checkReduction('crossEntropy', reduction);
  const { T, divisor } = classTargets('crossEntropy', logits, labels, { weight, ignoreIndex }, labelSmoothing);
  return classLoss(logits.logSoftmax(1), T, divisor, reduction);
}

/** Negative log-likelihood of log-probabilities (e.g. the output of logSoftmax), with weight and ignoreIndex as crossEntropy. */
export function nll(logProbs: Tensor, labels: Tensor, { reduction = 'mean' as Reduction, weight = null, ignoreIndex = -100 }: ClassLossOptions = {}): Tensor {
  checkReduction('nll', reduction);
  const { T, divisor } = classTargets('nll', logProbs, labels, { weight, ignoreIndex }, 0);
  return classLoss(logProbs, T, divisor, reduction);
}

function sameShapes(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${op}: input ${fmt(a.shape)} and target ${fmt(b.shape)} differ`);
}

/** Mean absolute error |x − y| (PyTorch's l1_loss). */
export function l1Loss(input: Tensor, target: Tensor, { reduction = 'mean' as Reduction } = {}): Tensor {
  checkReduction('l1Loss', reduction);
  sameShapes('l1Loss', input, target);
  return reduce(input.sub(target).abs(), reduction);
}

/**
 * Huber-like loss (PyTorch's smooth_l1_loss): with d = x − y, 0.5·d²/β where |d| < β, else
 * |d| − 0.5·β; β = 0 is the L1 loss.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, { reduction = 'mean' as Reduction, beta = 1 } = {}): Tensor {
  checkReduction('smoothL1Loss', reduction);
  sameShapes('smoothL1Loss', input, target);
  if (!(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be ≥ 0, got ${beta}`);
  const d = input.sub(target);
  if (beta === 0) return reduce(d.abs(), reduction);
  const inside = d.abs().lt(beta);
  return reduce(where(inside, d.square().mul(0.5 / beta), d.abs().sub(0.5 * beta)), reduction);
}

export type KlReduction = Reduction | 'batchmean';

/**
 * Kullback–Leibler divergence with PyTorch's convention (kl_div): `input` holds log-probabilities
 * log q and `target` probabilities p (or log p with logTarget); pointwise p·(log p − log q), with
 * 0·log 0 = 0. Reductions: 'mean' (over all elements, PyTorch's default), 'batchmean' (sum / N,
 * the true KL divergence per sample), 'sum', 'none'.
 */
export function klDiv(input: Tensor, target: Tensor, { reduction = 'mean' as KlReduction, logTarget = false } = {}): Tensor {
  if (reduction !== 'batchmean') checkReduction('klDiv', reduction);
  sameShapes('klDiv', input, target);
  let l: Tensor;
  if (logTarget) {
    l = target.exp().mul(target.sub(input));
  } else {
    const positive = target.gt(0);
    // p·log p where p > 0 and 0 elsewhere; the log reads max(p, tiny) so that neither pass sees log 0.
    const plogp = where(positive, target.mul(target.maximum(1e-30).log()), target.mul(0));
    l = plogp.sub(target.mul(input));
  }
  if (reduction === 'batchmean') return l.sum().div(input.ndim === 0 ? 1 : input.shape[0]);
  return reduce(l, reduction);
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

// The activations with a parameter (and silu) are in F too, as in torch.nn.functional.
export { gelu, silu, elu, leakyRelu, type GeluApproximate } from '../autograd/ops/activations.js';
