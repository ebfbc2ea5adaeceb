/**
 * Field of Experts with Gaussian-scale-mixture experts (LB-hidden App. L, eq 95; Roth & Black):
 *
 *   p(x) = (1/Z) Π_k Π_pos f_GSM[(J_k ∗ x)_pos],   f_GSM(y) = Σ_i π_ki N(y; 0, σ²/s_i),
 *
 * with K linear filters J_k (3×3 by default), a fixed base variance σ² and scales s_i (default
 * s_i = e^{i−6}, i = 1..11, from e^−5 to e^5). The mixture weights are π_k = softmax(ρ_k), so any
 * real ρ gives a valid mixture. The energy E(x) = −log of the unnormalised density is computed
 * with autograd ops, so ∂E/∂x (for sampling) and ∂E/∂θ (for learning) come from backward().
 *
 * Learning is contrastive divergence: a few Langevin steps from the data give "negative" samples
 * x⁻, and the parameters follow −∇θ [mean E(x⁺) − mean E(x⁻)], which lowers the energy of the data
 * relative to the model's own samples (Z's gradient is estimated by the samples).
 */
import { noGrad } from '../autograd/engine.js';
import type { Conv2d } from '../layers/layers.js';
import { Module } from '../layers/module.js';
import type { Optimizer } from '../layers/optim.js';
import { Rng } from '../tensor/rng.js';
import { fmt } from '../tensor/shape.js';
import { randn, Tensor, tensor, zeros } from '../tensor/tensor.js';

export interface FoEOptions {
  rng: Rng;
  numFilters?: number;
  filterSize?: number;
  /** σ² of LB-hidden eq 95. */
  baseVariance?: number;
  scales?: readonly number[];
}

export class FieldOfExperts extends Module {
  readonly filters: Tensor; // [K, 1, s, s]
  readonly mixtureLogits: Tensor; // ρ [K, I]; π = softmax(ρ)
  readonly scales: Tensor; // s_i [I]
  readonly baseVariance: number;

  constructor(opts: FoEOptions) {
    super();
    if (!(opts?.rng instanceof Rng)) throw new Error('FieldOfExperts: pass { rng: new Rng(seed) }');
    const { numFilters = 12, filterSize = 3, baseVariance = 1 } = opts;
    const scales = opts.scales ?? Array.from({ length: 11 }, (_, i) => Math.exp(i - 5));
    if (!Number.isInteger(numFilters) || numFilters < 1 || !Number.isInteger(filterSize) || filterSize < 1) {
      throw new Error(`FieldOfExperts: numFilters and filterSize must be positive integers, got ${numFilters}, ${filterSize}`);
    }
    if (!(baseVariance > 0) || scales.length === 0 || scales.some((s) => !(s > 0))) throw new Error('FieldOfExperts: baseVariance and every scale must be positive');
    // Zero-mean random filters: like derivative filters, they ignore the image's mean brightness.
    const f = randn([numFilters, 1, filterSize, filterSize], opts.rng, { std: 1 / filterSize });
    const area = filterSize * filterSize;
    for (let k = 0; k < numFilters; k++) {
      const row = f.data.subarray(k * area, (k + 1) * area);
      const mean = row.reduce((s, v) => s + v, 0) / area;
      for (let j = 0; j < area; j++) row[j] -= mean;
    }
    this.filters = this.registerParameter('filters', f);
    this.mixtureLogits = this.registerParameter('mixtureLogits', zeros([numFilters, scales.length]));
    this.scales = tensor(scales);
    this.baseVariance = baseVariance;
  }

  /** Mixture weights π [K, I]. */
  weights(): Tensor {
    return this.mixtureLogits.softmax(1);
  }

  /** E(x) = −Σ_k Σ_pos log Σ_i π_ki N((J_k ∗ x)_pos; 0, σ²/s_i), one value per image: [N]. */
  energy(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== 1) throw new Error(`FieldOfExperts.energy: expected grey images [N, 1, H, W], got ${fmt(x.shape)}`);
    const [n] = x.shape;
    const K = this.filters.shape[0];
    const I = this.scales.size;
    const y = x.conv2d(this.filters).reshape([n, K, -1, 1]); // filter responses [N, K, P, 1]
    const variances = this.scales.pow(-1).mul(this.baseVariance); // σ²/s_i [I]
    const logNormal = y.square().div(variances.mul(2)).neg().sub(variances.mul(2 * Math.PI).log().mul(0.5)); // [N, K, P, I]
    const logMixture = logNormal.add(this.mixtureLogits.logSoftmax(1).reshape([1, K, 1, I])).logsumexp(3); // [N, K, P]
    return logMixture.sum([1, 2]).neg();
  }

  forward(x: Tensor): Tensor {
    return this.energy(x);
  }

  /** ∂E/∂x for each image (the parameters' gradients are left untouched). */
  energyGradient(x: Tensor): Tensor {
    const saved = this.parameters().map((p) => p.grad);
    const probe = new Tensor(x.data.slice(), x.shape);
    probe.requiresGrad = true;
    this.energy(probe).sum().backward();
    this.parameters().forEach((p, i) => (p.grad = saved[i]));
    return probe.grad!;
  }

  /**
   * Unadjusted Langevin dynamics from x: x ← x − (ε²/2)∇E(x) + ε·z, z ~ N(0, I), `steps` times.
   */
  langevin(x: Tensor, { steps = 5, stepSize = 0.05, rng }: { steps?: number; stepSize?: number; rng: Rng }): Tensor {
    if (!(rng instanceof Rng)) throw new Error('FieldOfExperts.langevin: pass { rng }');
    let cur = new Tensor(x.data.slice(), x.shape);
    for (let s = 0; s < steps; s++) {
      const g = this.energyGradient(cur);
      const next = new Float32Array(cur.size);
      for (let i = 0; i < next.length; i++) next[i] = cur.data[i] - 0.5 * stepSize * stepSize * g.data[i] + stepSize * rng.normal();
      cur = new Tensor(next, x.shape);
    }
    return cur;
  }

  /** One contrastive-divergence update on a batch of data; returns the batch's mean energies. */
  cdStep(data: Tensor, optimizer: Optimizer, opts: { steps?: number; stepSize?: number; rng: Rng }): { dataEnergy: number; sampleEnergy: number } {
    const negatives = this.langevin(data, opts);
    optimizer.zeroGrad();
    const eData = this.energy(data).mean();
    const eSample = this.energy(negatives).mean();
    eData.sub(eSample).backward();
    optimizer.step();
    return { dataEnergy: eData.item(), sampleEnergy: eSample.item() };
  }
}

/**
 * Copies the FoE's filters into the first convolution of a CNN (LB-hidden Alg. 2, step 6) and
 * zeroes its bias (the FoE has none). The conv must have as many output channels as the FoE has
 * filters, one input channel and the same kernel size.
 */
export function initConvFromFoE(conv: Conv2d, foe: FieldOfExperts): void {
  const want = foe.filters.shape;
  if (conv.weight.shape.some((d, i) => d !== want[i])) {
    throw new Error(`initConvFromFoE: conv weight ${fmt(conv.weight.shape)} must match the FoE filters ${fmt(want)}`);
  }
  noGrad(() => {
    conv.weight.data.set(foe.filters.data);
    conv.bias?.data.fill(0);
  });
}
