/**
 * Normalisation, pooling, embedding and 1-D convolution layers, with PyTorch's names and defaults.
 * Their forward passes are the compositions of functional.ts.
 */
import { Rng } from '../tensor/rng.js';
import { Tensor, ones, zeros } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { adaptiveAvgPool2d, avgPool2d, batchNorm, conv1d, embedding, layerNorm, type AvgPoolOptions, type Pair } from './functional.js';
import { defaultUniform, normal } from './init.js';
import { Module } from './module.js';

function positiveInt(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${layer}: ${name} must be a positive integer, got ${v}`);
}

function needRng(layer: string, opts: { rng?: unknown } | undefined): Rng {
  if (!(opts?.rng instanceof Rng)) throw new Error(`${layer}: pass { rng: new Rng(seed) } to initialise the weights`);
  return opts.rng;
}

export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learnable per-channel weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics and use them in eval mode (default true). */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  /** Buffers (saved by stateDict and checkpoints, not trained): initially 0 and 1. */
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly numFeatures: number, opts: BatchNormOptions, private readonly ranks: readonly number[]) {
    super();
    positiveInt(this.constructor.name, 'numFeatures', numFeatures);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps >= 0)) throw new Error(`${this.constructor.name}: eps must be ≥ 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`${this.constructor.name}: momentum must be in [0, 1], got ${this.momentum}`);
    const affine = opts.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    const track = opts.trackRunningStats ?? true;
    this.runningMean = track ? this.registerBuffer('runningMean', zeros([numFeatures])) : null;
    this.runningVar = track ? this.registerBuffer('runningVar', ones([numFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}(${this.numFeatures}): expected input of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels on axis 1, got ${fmt(x.shape)}`);
    }
    return batchNorm(x, { runningMean: this.runningMean, runningVar: this.runningVar, weight: this.weight, bias: this.bias, training: this.training, momentum: this.momentum, eps: this.eps });
  }
}

/** Batch normalisation over [N, C, H, W] per channel C. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) { super(numFeatures, opts, [4]); }
}

/** Batch normalisation over [N, C] or [N, C, L] per feature C. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) { super(numFeatures, opts, [2, 3]); }
}

/** Layer normalisation over the trailing axes `normalizedShape`, with an elementwise weight (ones) and bias (zeros). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new Error('LayerNorm: normalizedShape must have at least one axis');
    for (const d of this.normalizedShape) positiveInt('LayerNorm', 'normalizedShape', d);
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones(this.normalizedShape)) : null;
    this.bias = affine && opts.bias !== false ? this.registerParameter('bias', zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/** A lookup table: integer indices of any shape → their rows of weight [num, dim] (initialised N(0, 1)). */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { rng: Rng }) {
    super();
    positiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    positiveInt('Embedding', 'embeddingDim', embeddingDim);
    this.weight = this.registerParameter('weight', normal(zeros([numEmbeddings, embeddingDim]), needRng('Embedding', opts)));
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }
}

/** Average pooling; zero padding counts in the divisor (countIncludePad, PyTorch's default). */
export class AvgPool2d extends Module {
  readonly opts: AvgPoolOptions;

  constructor(readonly kernelSize: Pair, opts: AvgPoolOptions = {}) {
    super();
    this.opts = { stride: opts.stride ?? kernelSize, padding: opts.padding ?? 0, countIncludePad: opts.countIncludePad ?? true };
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }
}

/** Average pooling to a fixed output size, with PyTorch's windows; null keeps an axis's size. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) { super(); }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

export interface Conv1dOptions {
  rng: Rng;
  bias?: boolean;
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
}

/** 1-D convolution over [N, C, L]; weight [out, in/groups, k]; a conv2d of height 1. */
export class Conv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv1dOptions) {
    super();
    positiveInt('Conv1d', 'inChannels', inChannels);
    positiveInt('Conv1d', 'outChannels', outChannels);
    positiveInt('Conv1d', 'kernelSize', kernelSize);
    this.groups = opts?.groups ?? 1;
    positiveInt('Conv1d', 'groups', this.groups);
    if (inChannels % this.groups || outChannels % this.groups) throw new Error(`Conv1d: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${this.groups}`);
    this.stride = opts?.stride ?? 1;
    this.padding = opts?.padding ?? 0;
    this.dilation = opts?.dilation ?? 1;
    positiveInt('Conv1d', 'stride', this.stride);
    positiveInt('Conv1d', 'dilation', this.dilation);
    if (!Number.isInteger(this.padding) || this.padding < 0) throw new Error(`Conv1d: padding must be a non-negative integer, got ${this.padding}`);
    const rng = needRng('Conv1d', opts);
    const fanIn = (inChannels / this.groups) * kernelSize;
    this.weight = this.registerParameter('weight', defaultUniform(zeros([outChannels, inChannels / this.groups, kernelSize]), rng, fanIn));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', defaultUniform(zeros([outChannels]), rng, fanIn));
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
