/**
 * The layers of the papers' networks, with PyTorch's names and NCHW layout. Every layer that owns
 * randomness (initial weights, dropout masks) takes an explicit Rng.
 */
import { linear } from '../autograd/methods.js';
import type { Pool2d, Window2d } from '../autograd/ops/conv.js';
import { Rng } from '../tensor/rng.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { conv2d, maxPool2d, type Pair } from './functional.js';
import { defaultUniform } from './init.js';
import { Module } from './module.js';
import { elu, gelu, leakyRelu, type GeluApproximate } from '../autograd/ops/activations.js';

export interface InitOptions {
  /** Source of the initial weights (required: there is no hidden global random state). */
  rng: Rng;
  bias?: boolean;
}

function needRng(layer: string, opts: { rng?: unknown } | undefined): Rng {
  if (!(opts?.rng instanceof Rng)) throw new Error(`${layer}: pass { rng: new Rng(seed) } to initialise the weights`);
  return opts.rng;
}

function positiveInt(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${layer}: ${name} must be a positive integer, got ${v}`);
}

/** Checks stride (≥ 1) and padding (≥ 0), each a number or an [h, w] pair, when the layer is built. */
function checkWindow(layer: string, { stride, padding }: Window2d): void {
  const pair = (v: number | readonly [number, number]) => (typeof v === 'number' ? [v, v] : v);
  for (const s of pair(stride ?? 1)) positiveInt(layer, 'stride', s);
  for (const p of pair(padding ?? 0)) if (!Number.isInteger(p) || p < 0) throw new Error(`${layer}: padding must be a non-negative integer, got ${p}`);
}

/** y = x·Wᵀ + b, W of shape [outFeatures, inFeatures]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: InitOptions) {
    super();
    positiveInt('Linear', 'inFeatures', inFeatures);
    positiveInt('Linear', 'outFeatures', outFeatures);
    const rng = needRng('Linear', opts);
    this.weight = this.registerParameter('weight', defaultUniform(zeros([outFeatures, inFeatures]), rng, inFeatures));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', defaultUniform(zeros([outFeatures]), rng, inFeatures));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias ?? undefined);
  }
}

export interface Conv2dOptions extends InitOptions, Window2d {
  /** Spacing between kernel taps (PyTorch's dilation; default 1). */
  dilation?: number | readonly [number, number];
  /** Channel groups: input and output channels split into `groups` independent convolutions (default 1). */
  groups?: number;
}

/**
 * 2-D convolution (cross-correlation) over NCHW input; weight [out, in/groups, kh, kw]. Stride and
 * padding go to the conv2d op; dilation and groups are compositions (functional.ts: a dilated
 * kernel, and channel slices joined by concat).
 */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: Window2d['stride'];
  readonly padding: Window2d['padding'];
  readonly dilation: Pair;
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | readonly [number, number], opts: Conv2dOptions) {
    super();
    positiveInt('Conv2d', 'inChannels', inChannels);
    positiveInt('Conv2d', 'outChannels', outChannels);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    positiveInt('Conv2d', 'kernel height', kh);
    positiveInt('Conv2d', 'kernel width', kw);
    const groups = opts?.groups ?? 1;
    positiveInt('Conv2d', 'groups', groups);
    if (inChannels % groups || outChannels % groups) throw new Error(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${groups}`);
    for (const d of typeof opts?.dilation === 'object' ? opts.dilation : [opts?.dilation ?? 1]) positiveInt('Conv2d', 'dilation', d);
    const rng = needRng('Conv2d', opts);
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.registerParameter('weight', defaultUniform(zeros([outChannels, inChannels / groups, kh, kw]), rng, fanIn));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', defaultUniform(zeros([outChannels]), rng, fanIn));
    checkWindow('Conv2d', opts);
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = groups;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

export interface MaxPool2dOptions extends Window2d {
  /** Round the output size up (PyTorch's ceil_mode): a last, partial window is kept. */
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  readonly opts: Pool2d;
  readonly ceilMode: boolean;

  constructor(kernelSize: number | readonly [number, number], opts: MaxPool2dOptions = {}) {
    super();
    for (const k of typeof kernelSize === 'number' ? [kernelSize] : kernelSize) positiveInt('MaxPool2d', 'kernel size', k);
    checkWindow('MaxPool2d', opts);
    this.opts = { kernelSize, stride: opts.stride ?? kernelSize, padding: opts.padding ?? 0 };
    this.ceilMode = opts.ceilMode ?? false;
  }

  forward(x: Tensor): Tensor {
    if (!this.ceilMode) return x.maxPool2d(this.opts);
    return maxPool2d(x, this.opts.kernelSize, { stride: this.opts.stride, padding: this.opts.padding, ceilMode: true });
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return x.sigmoid(); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return x.tanh(); }
}

/** x·Φ(x), exact (erf-based) by default, or approximate: 'tanh'. */
export class GELU extends Module {
  constructor(readonly approximate: GeluApproximate = 'none') {
    super();
    gelu(zeros([0]), approximate); // checks the argument now, not at the first forward
  }
  forward(x: Tensor): Tensor { return x.gelu(this.approximate); }
}

/** x·σ(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor { return x.silu(); }
}

/** x for x > 0, α·(eˣ − 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    elu(zeros([0]), alpha);
  }
  forward(x: Tensor): Tensor { return x.elu(this.alpha); }
}

/** x for x > 0, negativeSlope·x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    leakyRelu(zeros([0]), negativeSlope);
  }
  forward(x: Tensor): Tensor { return x.leakyRelu(this.negativeSlope); }
}

export class Softmax extends Module {
  constructor(readonly axis = -1) { super(); }
  forward(x: Tensor): Tensor { return x.softmax(this.axis); }
}

/** Flattens all axes from startDim on (default 1: keeps the batch axis). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
}

/** Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1−p). */
export class Dropout extends Module {
  private readonly rng: Rng;

  constructor(readonly p: number, opts: { rng: Rng }) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    this.rng = this.registerRng('masks', needRng('Dropout', opts));
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = 1 - this.p;
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.uniform() < keep ? 1 / keep : 0;
    return x.mul(new Tensor(mask, x.shape));
  }
}

/** Applies its modules in order; they are registered as '0', '1', … like PyTorch. */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} is not a Module`);
      this.registerModule(String(i), m);
    });
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }

  /** Every intermediate output: [input, after layer 0, after layer 1, …]. */
  forwardAll(x: Tensor): Tensor[] {
    const outs = [x];
    for (const m of this.layers) outs.push(m.forward(outs[outs.length - 1]));
    return outs;
  }
}
