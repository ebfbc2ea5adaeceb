/**
 * The shallow Rendering Mixture Model (DRMM paper eq 1–3; Patel, Nguyen & Baraniuk).
 *
 *   c ~ Cat(π_c),  g ~ Cat(π_g),  a ~ Bern(π_a),  I = a·μ_cg + N(0, σ²),
 *
 * with templates μ_c of size th×tw and translational nuisances g = the template's position inside
 * the H×W image (μ_cg is μ_c placed at g, zero elsewhere). Max-sum classification (eq 2) picks
 * the class of the most probable (c, g, a). Since ln p(I|c,g,a) = −‖I‖²/(2σ²) + a(⟨w_cg|I⟩ + b_cg)
 * + const with w_cg = μ_cg/σ² and b_cg = −‖μ_cg‖²/(2σ²) (a² = a), maximising over a gives
 *
 *   ĉ(I) = argmax_c max_g ReLU(⟨w_cg|I⟩ + b_cg + b_0) + const,   b_0 = ln(π_a(1)/π_a(0))   (eq 3)
 *
 * for uniform π_c and π_g: a convolution with μ_c/σ² (translation ⇒ convolution), ReLU (max over
 * the switch) and a global max-pool (max over g). The paper prints b_0 outside the ReLU; the exact
 * maximisation over a puts it inside, and the two agree when π_a is uniform (b_0 = 0).
 */
import { noGrad } from '../../autograd/engine.js';
import { embedRaw, reshapeRaw, sliceRaw } from '../../tensor/compute.js';
import { Rng } from '../../tensor/rng.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

export interface RMMOptions {
  /** Class templates [C, th, tw]. */
  templates: Tensor;
  imageSize: [number, number];
  sigma: number;
  /** π_a(1), the probability that the template is rendered. */
  pOn?: number;
  /** π_c (uniform by default). */
  classPrior?: readonly number[];
}

export interface RMMSample {
  image: Tensor; // [1, 1, H, W]
  c: number;
  g: [number, number];
  a: 0 | 1;
}

export class RMM {
  readonly templates: Tensor;
  readonly H: number;
  readonly W: number;
  readonly sigma: number;
  readonly pOn: number;
  readonly classPrior: number[];

  constructor(opts: RMMOptions) {
    const { templates, imageSize, sigma, pOn = 0.5 } = opts;
    if (templates.ndim !== 3) throw new Error(`RMM: templates must be [C, th, tw], got ${fmt(templates.shape)}`);
    const [C, th, tw] = templates.shape;
    [this.H, this.W] = imageSize;
    if (th > this.H || tw > this.W) throw new Error(`RMM: templates ${th}×${tw} do not fit in the ${this.H}×${this.W} image`);
    if (!(sigma > 0)) throw new Error(`RMM: sigma must be positive, got ${sigma}`);
    if (!(pOn > 0 && pOn < 1)) throw new Error(`RMM: pOn must be in (0, 1), got ${pOn}`);
    this.classPrior = opts.classPrior ? [...opts.classPrior] : new Array(C).fill(1 / C);
    if (this.classPrior.length !== C) throw new Error(`RMM: classPrior has ${this.classPrior.length} entries for ${C} classes`);
    this.templates = templates;
    this.sigma = sigma;
    this.pOn = pOn;
  }

  get numClasses(): number {
    return this.templates.shape[0];
  }

  /** The translational nuisances: every top-left position of the template in the image. */
  get positions(): [number, number][] {
    const [, th, tw] = this.templates.shape;
    const out: [number, number][] = [];
    for (let y = 0; y + th <= this.H; y++) for (let x = 0; x + tw <= this.W; x++) out.push([y, x]);
    return out;
  }

  /** μ_cg: template c placed at g in an otherwise empty H×W image. */
  render(c: number, g: readonly [number, number]): Float32Array {
    const [, th, tw] = this.templates.shape;
    const template = reshapeRaw(sliceRaw(this.templates, [c, 0, 0], [c + 1, th, tw]), [th, tw]);
    return embedRaw(template, [this.H, this.W], g).data;
  }

  sample(rng: Rng): RMMSample {
    if (!(rng instanceof Rng)) throw new Error('RMM.sample: pass an Rng');
    const c = rng.categorical(this.classPrior);
    const positions = this.positions;
    const g = positions[rng.int(positions.length)];
    const a = rng.bernoulli(this.pOn) ? 1 : 0;
    const mu = this.render(c, g);
    const image = Float32Array.from(mu, (m) => a * m + rng.normal(0, this.sigma));
    return { image: new Tensor(image, [1, 1, this.H, this.W]), c, g, a };
  }

  private checkImage(op: string, image: Tensor): void {
    if (image.size !== this.H * this.W) throw new Error(`RMM.${op}: expected one ${this.H}×${this.W} image, got ${fmt(image.shape)}`);
  }

  /**
   * Eq 2 by enumeration: argmax over (c, g, a) of ln p(I|c,g,a) + ln p(c,g,a), with the full
   * Gaussian log-likelihood. Returns the best joint score per class and the winner.
   */
  maxSumClassify(image: Tensor): { c: number; scores: number[]; g: [number, number]; a: 0 | 1 } {
    this.checkImage('maxSumClassify', image);
    const I = image.data;
    const D = I.length;
    const positions = this.positions;
    const logNorm = -0.5 * D * Math.log(2 * Math.PI * this.sigma ** 2);
    let best = { c: 0, g: positions[0], a: 0 as 0 | 1, score: -Infinity };
    const scores = new Array<number>(this.numClasses).fill(-Infinity);
    for (let c = 0; c < this.numClasses; c++) {
      for (const g of positions) {
        const mu = this.render(c, g);
        for (const a of [0, 1] as const) {
          let sq = 0;
          for (let i = 0; i < D; i++) sq += (I[i] - a * mu[i]) ** 2;
          const score = logNorm - sq / (2 * this.sigma ** 2) + Math.log(this.classPrior[c]) - Math.log(positions.length) + Math.log(a ? this.pOn : 1 - this.pOn);
          if (score > scores[c]) scores[c] = score;
          if (score > best.score) best = { c, g, a, score };
        }
      }
    }
    return { c: best.c, scores, g: best.g, a: best.a };
  }

  /** Eq 3 as a DCN: conv with w = μ/σ², bias b_cg + b_0, ReLU, global max-pool. Scores [C]. */
  dcnClassify(image: Tensor): { c: number; scores: number[] } {
    this.checkImage('dcnClassify', image);
    const [C, th, tw] = this.templates.shape;
    const s2 = this.sigma ** 2;
    const w = this.templates.div(s2).reshape([C, 1, th, tw]);
    const b0 = Math.log(this.pOn / (1 - this.pOn));
    const bias = this.templates.square().sum([1, 2]).div(-2 * s2).add(b0);
    const out = noGrad(() => {
      const y = image.reshape([1, 1, this.H, this.W]).conv2d(w, bias).relu(); // [1, C, H', W']
      return y.maxPool2d({ kernelSize: [y.shape[2], y.shape[3]] }).reshape([C]);
    });
    const scores = [...out.data];
    return { c: scores.indexOf(Math.max(...scores)), scores };
  }
}
