/**
 * Deep conditionally independent models (DCIM; Flach, Shekhovtsov & Fikar).
 *
 * A DCIM is a Markov chain x⁰ → x¹ → … → x^d whose forward conditionals are strongly
 * conditionally independent (DCIM eq 1, 13):
 *     p(x^k | x^{k−1}) = Π_j exp(x^k_j a^k_j)/Z(a^k_j),   a^k = W^k x^{k−1} + b^k.
 * Binary units are coded {0,1} (Z(a) = 1 + e^a) or ±1 (Z(a) = 2 cosh a); a categorical top layer
 * is one-hot with Z = Σ_l e^{a_l}.
 *
 * Approximation (2) replaces each layer's input by its expectation, which gives the recursion
 * x̄^k = σ(W^k x̄^{k−1} + b^k) for {0,1} coding (eq 7) and tanh(…) for ±1 coding (eq 9, 14): exactly
 * the forward pass of the matching sigmoid/tanh network, with a softmax (or eq 15) on top.
 *
 * The reverse model q (eq 18–20) runs the chain backwards with the transposed weights,
 *     q(x^{k−1} | x^k) = Π_i exp(x^{k−1}_i c^{k−1}_i)/Z(c^{k−1}_i),  c^{k−1} = (W^k)ᵀ x^k + a^{k−1},
 * sharing the biases of the hidden layers (a^k = b^k for k = 1..d−1) and owning one new bias a⁰
 * for the input layer. Then in log p(x^{1..d}|x⁰) − log q(x^{0..d−1}|x^d) the interaction terms and
 * the hidden-layer bias terms cancel exactly. Left are the log-partition terms and two boundary
 * terms, ⟨x^d, b^d⟩ and −⟨x⁰, a⁰⟩, which depend on x^d or x⁰ alone (the A(x^d) and B(x⁰) of
 * eq 19). (Eq 20 as printed writes the bias condition as b^k = a^{k−1}, which cannot hold: the two
 * vectors have different lengths. Matching layer by layer is what makes the terms cancel.)
 */
import { noGrad } from '../../autograd/engine.js';
import { Linear, Sequential, Sigmoid, Softmax, Tanh } from '../../layers/layers.js';
import { Module } from '../../layers/module.js';
import { Rng } from '../../tensor/rng.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor, zeros } from '../../tensor/tensor.js';
import { DcimConv } from './conv.js';
import { exactMarginals } from './exact.js';
import { bidirectionalLoss, sampledReverseLoss, type DcimLoss, type SampledReverseOptions } from './objectives.js';
import { binaryLogPartition, binaryMean, drawBinary, type Coding } from './units.js';

export type { Coding };

export type TopLayer = 'categorical' | 'binary';

/** A DCIM layer's affine map: dense (nn.Linear) or convolutional (DcimConv, on flat layers). */
export type DcimLayer = Linear | DcimConv;

export interface DCIMOptions {
  rng: Rng;
  coding?: Coding;
  top?: TopLayer;
}

export class DCIM extends Module {
  readonly layers: DcimLayer[];
  /** a⁰: the reverse model's bias on the input layer (its only parameter not shared with p). */
  readonly inputBias: Tensor;
  readonly coding: Coding;
  readonly top: TopLayer;
  readonly sizes: number[];

  /**
   * A DCIM with layer sizes [n⁰, n¹, …, n^d] and weights initialised like nn.Linear; or the DCIM
   * of an nn.Sequential of Linear and Sigmoid/Tanh layers (see `fromSequential`), sharing its
   * Linear modules, so that training one trains the other. A list of layers may mix Linear and
   * DcimConv (convolutional layers on flat [N, C·H·W] inputs; DCIM §3.2).
   */
  constructor(sizes: readonly number[], opts: DCIMOptions);
  constructor(net: Sequential, opts?: Partial<Omit<DCIMOptions, 'rng'>>);
  constructor(layers: DcimLayer[], opts: Omit<DCIMOptions, 'rng'>);
  constructor(spec: readonly number[] | DcimLayer[] | Sequential, opts: Partial<DCIMOptions> = {}) {
    super();
    let linears: DcimLayer[];
    if (spec instanceof Sequential) {
      const parsed = parseSequential(spec);
      for (const key of ['coding', 'top'] as const) {
        if (opts[key] !== undefined && opts[key] !== parsed[key]) throw new Error(`DCIM: the network implies ${key} '${parsed[key]}', but the options ask for '${opts[key]}'`);
      }
      linears = parsed.linears;
      this.coding = parsed.coding;
      this.top = parsed.top;
    } else {
      this.coding = opts.coding ?? '01';
      this.top = opts.top ?? 'categorical';
      if (spec.length > 0 && (spec[0] instanceof Linear || spec[0] instanceof DcimConv)) {
        linears = spec as DcimLayer[];
        linears.forEach((l, k) => {
          if (!(l instanceof Linear || l instanceof DcimConv)) throw new Error(`DCIM: layer ${k} is a ${(l as object)?.constructor?.name}; layers must be nn.Linear or DcimConv`);
        });
      } else {
        const sizes = spec as readonly number[];
        if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`DCIM: sizes must be ≥ 2 positive integers, got [${sizes.join(', ')}]`);
        if (!(opts.rng instanceof Rng)) throw new Error('DCIM: pass { rng: new Rng(seed) }');
        linears = sizes.slice(1).map((n, k) => new Linear(sizes[k], n, { rng: opts.rng! }));
      }
    }
    if (this.coding !== '01' && this.coding !== 'pm1') throw new Error(`DCIM: coding must be '01' or 'pm1', got '${this.coding}'`);
    if (this.top !== 'categorical' && this.top !== 'binary') throw new Error(`DCIM: top must be 'categorical' or 'binary', got '${this.top}'`);
    this.layers = linears;
    this.layers.forEach((l, k) => {
      if (k > 0 && l.inFeatures !== this.layers[k - 1].outFeatures) throw new Error(`DCIM: layer ${k} takes ${l.inFeatures} inputs but layer ${k - 1} gives ${this.layers[k - 1].outFeatures}`);
      if (!l.bias) throw new Error(`DCIM: layer ${k} has no bias; DCIM layers need one`);
      this.registerModule(String(k), l);
    });
    this.sizes = [this.layers[0].inFeatures, ...this.layers.map((l) => l.outFeatures)];
    this.inputBias = this.registerParameter('inputBias', zeros([this.sizes[0]]));
  }

  /**
   * The DCIM of a network Linear, Act, Linear, Act, …, Linear[, Softmax | Act] with one Act ∈
   * {Sigmoid, Tanh} throughout: sigmoid gives {0,1} coding (eq 7), tanh ±1 (eq 9); a final
   * Softmax (or none: logits) gives a categorical top, a final Sigmoid/Tanh a binary one (eq 15).
   */
  static fromSequential(net: Sequential): DCIM {
    return new DCIM(net);
  }

  get depth(): number {
    return this.layers.length;
  }

  forward(x0: Tensor): Tensor {
    const e = this.expectations(x0);
    return e[e.length - 1];
  }

  /** Pre-activations a^k = W^k x + b^k of layer k (1-based) given the layer below. */
  private preActivation(k: number, below: Tensor): Tensor {
    return this.layers[k - 1].forward(below);
  }

  /** c^{k−1} = (W^k)ᵀ x^k + a^{k−1}: the reverse pre-activation of layer k−1 given layer k [N, n^k] (k = 1..d). */
  reversePreActivation(k: number, above: Tensor): Tensor {
    if (!Number.isInteger(k) || k < 1 || k > this.depth) throw new Error(`DCIM.reversePreActivation: k must be an integer in 1..${this.depth}, got ${k}`);
    this.checkLayer(k, above);
    const bias = k === 1 ? this.inputBias : this.layers[k - 2].bias!;
    const layer = this.layers[k - 1];
    // For a convolution, (W^k)ᵀ is the transposed convolution.
    return (layer instanceof DcimConv ? layer.adjoint(above) : above.matmul(layer.weight)).add(bias);
  }

  private isTop(k: number): boolean {
    return k === this.depth && this.top === 'categorical';
  }

  /**
   * The reverse model q (DCIM eq 18–20), explicitly: for k = d..1, q(x^{k−1} | x^k) has weights
   * V^{k−1} = (W^k)ᵀ [n^{k−1}, n^k] and bias a^{k−1} (b^{k−1} of the forward model for hidden layers,
   * the model's own inputBias for k = 1). Copies, for inspection: q shares p's parameters.
   */
  reverse(): { weights: Tensor[]; biases: Tensor[] } {
    this.layers.forEach((l, i) => {
      if (l instanceof DcimConv) throw new Error(`DCIM.reverse: layer ${i} is convolutional; its reverse weights are the transposed convolution (DcimConv.adjoint), not a stored matrix`);
    });
    return noGrad(() => ({
      weights: this.layers.map((l) => (l as Linear).weight.transpose()),
      biases: this.layers.map((_, i) => (i === 0 ? this.inputBias : this.layers[i - 1].bias!).clone()),
    }));
  }

  /** Exact marginals of every unit given one input x⁰ [1, n⁰], by enumeration (tiny models). */
  exactMarginals(x0: Tensor): Tensor[] {
    return exactMarginals(this, x0);
  }

  /** DCIM eq 16/21 as a loss to minimise: −mean[log p(x^d|x⁰) + log q(x⁰|x^d)]. */
  bidirectionalLoss(x0: Tensor, xd: Tensor): DcimLoss {
    return bidirectionalLoss(this, x0, xd);
  }

  /** DCIM eq 22 as a loss: the reverse term starts from x^{d−1} sampled given x⁰. */
  sampledReverseLoss(x0: Tensor, xd: Tensor, rng: Rng, opts: SampledReverseOptions = {}): DcimLoss {
    return sampledReverseLoss(this, x0, xd, rng, opts);
  }

  /** Approximation (2), recursively (DCIM eq 14–15): [x̄¹, …, x̄^d] for input x⁰ [N, n⁰]. */
  expectations(x0: Tensor): Tensor[] {
    this.checkLayer(0, x0);
    const out: Tensor[] = [];
    let cur = x0;
    for (let k = 1; k <= this.depth; k++) {
      const a = this.preActivation(k, cur);
      cur = this.isTop(k) ? a.softmax(1) : binaryMean(a, this.coding);
      out.push(cur);
    }
    return out;
  }

  /** log of one layer's conditional for configurations x given pre-activations a: Σ_j x_j a_j − log Z. */
  private logConditional(x: Tensor, a: Tensor, categorical: boolean): Tensor {
    const logZ = categorical ? a.logsumexp(1) : binaryLogPartition(a, this.coding).sum(1);
    return x.mul(a).sum(1).sub(logZ);
  }

  /** Σ_j log Z of each layer's forward conditional for a full configuration [x⁰, …, x^d]: d tensors [N]. */
  logZForward(config: readonly Tensor[]): Tensor[] {
    this.checkConfig(config);
    return this.layers.map((_, i) => {
      const a = this.preActivation(i + 1, config[i]);
      return this.isTop(i + 1) ? a.logsumexp(1) : binaryLogPartition(a, this.coding).sum(1);
    });
  }

  /** Σ_i log Z̃ of each reverse conditional q(x^{k−1}|x^k), k = 1..d: d tensors [N]. */
  logZReverse(config: readonly Tensor[]): Tensor[] {
    this.checkConfig(config);
    return this.layers.map((_, i) => binaryLogPartition(this.reversePreActivation(i + 1, config[i + 1]), this.coding).sum(1));
  }

  /** The boundary terms of eq 19–20 that do not cancel: ⟨x^d, b^d⟩ − ⟨x⁰, a⁰⟩, [N]. */
  boundaryTerms(config: readonly Tensor[]): Tensor {
    this.checkConfig(config);
    const top = config[this.depth].mul(this.layers[this.depth - 1].bias!).sum(1);
    return top.sub(config[0].mul(this.inputBias).sum(1));
  }

  /** Exact log p(x¹, …, x^d | x⁰) of full configurations (DCIM eq 1, 13); `layers` = [x¹, …, x^d]. */
  logProbForward(x0: Tensor, layers: readonly Tensor[]): Tensor {
    const config = [x0, ...layers];
    this.checkConfig(config);
    return this.layers
      .map((_, i) => this.logConditional(config[i + 1], this.preActivation(i + 1, config[i]), this.isTop(i + 1)))
      .reduce((s, t) => s.add(t));
  }

  /** Exact log q(x⁰, …, x^{d−1} | x^d) of full configurations (DCIM eq 18); `config` = [x⁰, …, x^d]. */
  logProbReverse(config: readonly Tensor[]): Tensor {
    this.checkConfig(config);
    return this.layers
      .map((_, i) => this.logConditional(config[i], this.reversePreActivation(i + 1, config[i + 1]), false))
      .reduce((s, t) => s.add(t));
  }

  private drawCategorical(probs: Tensor, rng: Rng): Tensor {
    const [n, L] = probs.shape;
    const out = new Float32Array(n * L);
    for (let r = 0; r < n; r++) out[r * L + rng.categorical(probs.data.subarray(r * L, (r + 1) * L))] = 1;
    return new Tensor(out, probs.shape);
  }

  /**
   * Ancestral sampling x^k ~ p(x^k | x^{k−1}), k = 1..upTo (exact, no approximation; DCIM eq 13):
   * [x¹, …, x^{upTo}], upTo = d by default. x0 [N, n⁰] gives N independent chains.
   */
  sample(x0: Tensor, rng: Rng, { upTo = this.depth }: { upTo?: number } = {}): Tensor[] {
    this.checkLayer(0, x0);
    if (!(rng instanceof Rng)) throw new Error('DCIM.sample: pass an Rng');
    if (!Number.isInteger(upTo) || upTo < 1 || upTo > this.depth) throw new Error(`DCIM.sample: upTo must be an integer in 1..${this.depth}, got ${upTo}`);
    return noGrad(() => {
      const out: Tensor[] = [];
      let cur = x0;
      for (let k = 1; k <= upTo; k++) {
        const a = this.preActivation(k, cur);
        cur = this.isTop(k) ? this.drawCategorical(a.softmax(1), rng) : drawBinary(binaryMean(a, this.coding), this.coding, rng);
        out.push(cur);
      }
      return out;
    });
  }

  /**
   * Samples the reverse model from x^d (DCIM Fig. 2). 'full': x^{k−1} ~ q(·|x^k) down to x⁰.
   * 'oneLayerThenMean': x^{d−1} ~ q(·|x^d), then expectations (approximation 2) down to x̄⁰.
   * Returns [x⁰ (or x̄⁰), …, x^{d−1}] and the input layer's means.
   */
  sampleReverse(xd: Tensor, rng: Rng, { mode = 'full' as 'full' | 'oneLayerThenMean' } = {}): { layers: Tensor[]; inputMean: Tensor } {
    this.checkLayer(this.depth, xd);
    return noGrad(() => {
      const layers: Tensor[] = new Array(this.depth);
      let cur = xd;
      let inputMean = xd;
      for (let k = this.depth; k >= 1; k--) {
        const mean = binaryMean(this.reversePreActivation(k, cur), this.coding);
        const sampleHere = mode === 'full' || k === this.depth;
        cur = sampleHere ? drawBinary(mean, this.coding, rng) : mean;
        layers[k - 1] = cur;
        if (k === 1) inputMean = mean;
      }
      return { layers, inputMean };
    });
  }

  /**
   * Reverse approximation (2) from layer `from` (k) down (DCIM eq 14 run on q): the means
   * [x̄^{stop}, …, x̄^{k−1}] of q, lowest layer first; `stop` = 0 by default.
   */
  reverseExpectations(x: Tensor, from = this.depth, stop = 0): Tensor[] {
    this.checkLayer(from, x);
    const out: Tensor[] = [];
    let cur = x;
    for (let k = from; k > stop; k--) {
      cur = binaryMean(this.reversePreActivation(k, cur), this.coding);
      out.unshift(cur);
    }
    return out;
  }

  /**
   * log q(x⁰ | x^k) with approximation (2) from layer k down to x̄¹ and the exact conditional
   * q(x⁰ | x̄¹) at the bottom (eq 6/8 applied to q): Σ_i x⁰_i c_i − log Z(c_i), [N].
   */
  logProbInputGiven(x0: Tensor, x: Tensor, from = this.depth): Tensor {
    this.checkLayer(0, x0);
    const above = from === 1 ? x : this.reverseExpectations(x, from, 1)[0];
    return this.logConditional(x0, this.reversePreActivation(1, above), false);
  }

  /** log p(x^d | x⁰) under approximation (2) (DCIM eq 15, or softmax on top), [N]. */
  logProbOutputGiven(x0: Tensor, xd: Tensor): Tensor {
    this.checkLayer(this.depth, xd);
    const below = this.depth === 1 ? x0 : this.expectations(x0)[this.depth - 2];
    return this.logConditional(xd, this.preActivation(this.depth, below), this.isTop(this.depth));
  }

  private checkLayer(k: number, x: Tensor): void {
    if (x.ndim !== 2 || x.shape[1] !== this.sizes[k]) throw new Error(`DCIM: layer ${k} expects [N, ${this.sizes[k]}], got ${fmt(x.shape)}`);
  }

  private checkConfig(config: readonly Tensor[]): void {
    if (config.length !== this.depth + 1) throw new Error(`DCIM: a configuration has ${this.depth + 1} layers [x⁰, …, x^${this.depth}], got ${config.length}`);
    config.forEach((x, k) => this.checkLayer(k, x));
  }
}

/** Reads Linear, Act, …, Linear[, Softmax | Act] off a Sequential (see DCIM.fromSequential). */
function parseSequential(net: Sequential): { linears: Linear[]; coding: Coding; top: TopLayer } {
  const linears: Linear[] = [];
  let coding: Coding | null = null;
  let top: TopLayer = 'categorical';
  const where = (i: number, m: Module) => `layer ${i} (${m.constructor.name})`;
  net.layers.forEach((m, i) => {
    const last = i === net.layers.length - 1;
    const prevIsLinear = i > 0 && net.layers[i - 1] instanceof Linear;
    if (m instanceof Linear) {
      // Two Linear layers in a row compose to one affine map: no DCIM layer in between.
      if (prevIsLinear) throw new Error(`DCIM.fromSequential: ${where(i, m)} follows another Linear; put a Sigmoid or Tanh between them`);
      linears.push(m);
    } else if (m instanceof Sigmoid || m instanceof Tanh) {
      if (!prevIsLinear) throw new Error(`DCIM.fromSequential: ${where(i, m)} must follow a Linear`);
      const c: Coding = m instanceof Sigmoid ? '01' : 'pm1';
      if (coding && coding !== c) throw new Error('DCIM.fromSequential: mixes Sigmoid and Tanh; a DCIM has one coding');
      coding = c;
      if (last) top = 'binary';
    } else if (m instanceof Softmax && last && prevIsLinear) {
      if (m.axis !== -1 && m.axis !== 1) throw new Error(`DCIM.fromSequential: the final Softmax must act on the feature axis (-1 or 1), got ${m.axis}`);
    } else {
      throw new Error(`DCIM.fromSequential: ${where(i, m)} is not Linear, Sigmoid, Tanh or a final Softmax after a Linear`);
    }
  });
  if (linears.length === 0 || !(net.layers[0] instanceof Linear)) throw new Error('DCIM.fromSequential: the network must start with a Linear layer');
  return { linears, coding: coding ?? '01', top };
}
