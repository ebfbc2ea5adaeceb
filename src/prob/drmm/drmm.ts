/**
 * The Deep Rendering Mixture Model (DRMM paper eq 4–8, Algorithm 1), in its nonnegative form.
 *
 * Rendering (eq 5, recursive form): z^(L) = μ_c, then for ℓ = L … 1, every unit u of z^(ℓ)
 * (channel k, pooled position (i, j)) has a switch a_u ∈ {0, 1} and a translational nuisance
 * g_u ∈ {0..p−1}² (its position inside the p×p pooling window), and renders its filter
 * W^(ℓ)[k] scaled by a_u·z_u with the filter's top-left corner at (i·p + g_y, j·p + g_x) of the
 * finer map z^(ℓ−1). In operator form that is an unpooling to g followed by the transposed
 * convolution with W^(ℓ): exactly the adjoint of the bottom-up convolution. NN-DRMM keeps the
 * intermediate templates nonnegative with a ReLU after each render above the image level.
 * The image is I = z^(0) + N(0, σ²).
 *
 * Inference (eq 7–8): ⟨Λ_g μ_c, I⟩ is maximised over all paths fine-to-coarse,
 *     I^(ℓ) = MaxPool(ReLU(Conv(I^(ℓ−1), W^(ℓ)))),   score_c = ⟨μ_c, I^(L)⟩,
 * because max over a_u of a_u·x is ReLU(x) and max over g_u is max-pooling. The factorisation is
 * exact when every intermediate template is nonnegative, which holds when μ_c ≥ 0 and
 * W^(ℓ) ≥ 0 for ℓ ≥ 2 (W^(1) may have any sign); the level biases α of the paper are 0 here, as
 * in its eq 7. `bruteForceMaxSum` checks this by enumerating every path of a tiny model.
 *
 * Choices where the paper leaves details open (all made so that bottomUp = bruteForceMaxSum holds
 * exactly):
 * - Levels are convolutional: Λ^(ℓ) renders each unit's filter W^(ℓ)[k] (valid convolution
 *   geometry, kernel k_ℓ) and g^(ℓ)_u is the unit's position in its non-overlapping p_ℓ×p_ℓ
 *   pooling window, so the conv output must tile exactly into windows.
 * - One switch a_u per unit per level ("absorbed into g", eq 4); the affine biases α of Λ are 0
 *   (eq 7). The max-sum objective is eq 7's ⟨Λ_g μ_c, I⟩: the switch prior π_a and the norm term
 *   −‖Λ_g μ_c‖²/(2σ²) of the Gaussian likelihood are not in it (with them max-sum no longer
 *   factorises into a DCN beyond one level). So the switch prior only matters for `sample`, and
 *   the inferred path is the Gaussian MAP only when ‖Λ_g μ_c‖ is the same for every path, e.g.
 *   isometric rendering with templates of one norm (tested); the shallow RMM, whose bias b_cg
 *   carries the norm, is exact in general.
 * - Nonnegativity (NN-DRMM), `nonnegativity` option. 'project' (the default): μ ≥ 0 and
 *   W^(ℓ≥2) ≥ 0 are kept by projection (clipping) after each G-step; the ReLU between levels in
 *   `topDown` is then a no-op on exact renderings. 'topDownRelu': the paper's own form (§3.2,
 *   "Recursive and Nonnegative Forms": z^(ℓ) ≥ 0 for ℓ ∈ [L], "enforced in training via the use of
 *   a ReLU operation in the top-down reconstruction phase"): no projection, μ and W free, and
 *   `topDown` applies a ReLU to every intermediate template z^(L) = μ_c, …, z^(1). The bottom-up
 *   pass is the same in both (conv + ReLU + max-pool with the raw parameters), so with negative
 *   μ or W^(ℓ≥2) it is the DCN's pass rather than the exact max-sum of the rendering model.
 * - The E-step's ĝ is class-independent: with μ_c ≥ 0 the best path below the top is the same for
 *   every class (max-product distributes over the nonnegative template), so one set of masks
 *   serves all classes, and Algorithm 1's G-step renders the labelled class through it.
 */
import { noGrad } from '../../autograd/engine.js';
import { maxPoolWinners } from '../../autograd/ops/conv.js';
import { crossEntropy, mse } from '../../layers/losses.js';
import { Module } from '../../layers/module.js';
import type { Optimizer } from '../../layers/optim.js';
import { binaryRaw, reshapeRaw, scatterAddRaw, whereRaw } from '../../tensor/compute.js';
import { Rng } from '../../tensor/rng.js';
import { fmt } from '../../tensor/shape.js';
import { rand, Tensor } from '../../tensor/tensor.js';
import { convTranspose, unpool } from './conv-transpose.js';

export interface DRMMLevel {
  /** Output channels K_ℓ of this level. */
  channels: number;
  /** Filter size k_ℓ (square). */
  kernel: number;
  /** Pooling window p_ℓ (square, stride p_ℓ). */
  pool: number;
}

export interface DRMMOptions {
  rng: Rng;
  inputShape: [number, number, number]; // [C0, H, W]
  levels: DRMMLevel[];
  numClasses: number;
  sigma?: number;
  pOn?: number;
  /** How the intermediate templates are kept nonnegative (see the file comment); default 'project'. */
  nonnegativity?: Nonnegativity;
}

/** 'project': clip μ and W^(ℓ≥2) at 0 after each G-step; 'topDownRelu': ReLU on every intermediate template in `topDown` (paper §3.2). */
export type Nonnegativity = 'project' | 'topDownRelu';

/** The latent rendering path chosen for each image by bottom-up inference (hard E-step). */
export interface Latents {
  /** Per level ℓ = 1..L: a 0/1 mask over the conv-output map [N, K_ℓ, H'_ℓ, W'_ℓ] marking, for
   * every pooled unit, the position g_u it selects if its switch a_u is on. */
  masks: Tensor[];
}

/**
 * Class-conditional frequencies of every unit's nuisance choice, per level ℓ: a flat array
 * [C, K_ℓ, H_ℓ, W_ℓ, 1 + p_ℓ²] whose last axis (switch off, then the p² window positions) sums to 1.
 */
export interface LatentPrior {
  levels: Float32Array[];
}

export class DRMM extends Module {
  readonly filters: Tensor[]; // W^(ℓ) [K_ℓ, K_{ℓ−1}, k, k]
  readonly templates: Tensor; // μ [C, K_L, H_L, W_L]
  readonly levels: DRMMLevel[];
  readonly inputShape: [number, number, number];
  /** Spatial sizes [H_ℓ, W_ℓ] of z^(ℓ), ℓ = 0..L, and of the conv outputs H'_ℓ = p·H_ℓ. */
  readonly sizes: [number, number][];
  readonly sigma: number;
  readonly pOn: number;
  readonly nonnegativity: Nonnegativity;

  constructor(opts: DRMMOptions) {
    super();
    if (!(opts?.rng instanceof Rng)) throw new Error('DRMM: pass { rng: new Rng(seed) }');
    const { rng, inputShape, levels, numClasses, sigma = 0.1, pOn = 0.5, nonnegativity = 'project' } = opts;
    if (levels.length < 1) throw new Error('DRMM: needs at least one level');
    if (nonnegativity !== 'project' && nonnegativity !== 'topDownRelu') throw new Error(`DRMM: nonnegativity must be 'project' or 'topDownRelu', got ${String(nonnegativity)}`);
    this.nonnegativity = nonnegativity;
    this.levels = levels;
    this.inputShape = inputShape;
    this.sigma = sigma;
    this.pOn = pOn;
    this.sizes = [[inputShape[1], inputShape[2]]];
    let channels = inputShape[0];
    this.filters = levels.map((lv, i) => {
      const [h, w] = this.sizes[i];
      const [ch, cw] = [h - lv.kernel + 1, w - lv.kernel + 1];
      if (ch < 1 || cw < 1 || ch % lv.pool !== 0 || cw % lv.pool !== 0) {
        throw new Error(`DRMM: level ${i + 1} (kernel ${lv.kernel}, pool ${lv.pool}) does not tile its ${h}×${w} input: the conv output ${ch}×${cw} must be a positive multiple of the pool size`);
      }
      this.sizes.push([ch / lv.pool, cw / lv.pool]);
      // W^(1) of any sign; W^(ℓ≥2) nonnegative (NN-DRMM), so that max-sum factorises exactly.
      const f = rand([lv.channels, channels, lv.kernel, lv.kernel], rng, { low: i === 0 ? -1 : 0, high: 1 });
      channels = lv.channels;
      return this.registerParameter(`filter${i + 1}`, f);
    });
    const [hL, wL] = this.sizes[levels.length];
    this.templates = this.registerParameter('templates', rand([numClasses, channels, hL, wL], rng));
  }

  get numClasses(): number {
    return this.templates.shape[0];
  }

  forward(image: Tensor): Tensor {
    return this.bottomUp(image).scores;
  }

  /** Eq 8 per level, then score_c = ⟨μ_c, I^(L)⟩ (eq 7). Differentiable in the parameters. */
  bottomUp(image: Tensor): { scores: Tensor; maps: Tensor[]; convs: Tensor[] } {
    this.checkImage(image);
    const maps = [image];
    const convs: Tensor[] = [];
    this.filters.forEach((w, i) => {
      const y = maps[i].conv2d(w);
      convs.push(y);
      maps.push(y.relu().maxPool2d({ kernelSize: this.levels[i].pool }));
    });
    const top = maps[maps.length - 1].flatten(1);
    return { scores: top.matmul(this.templates.flatten(1).transpose()), maps, convs };
  }

  /** The hard E-step's latents: per pooled unit, its argmax position g_u, kept where a_u = [conv > 0]. */
  infer(image: Tensor): { scores: Tensor; latents: Latents } {
    const { scores, convs } = this.bottomUp(image);
    return { scores, latents: this.latentsFrom(convs) };
  }

  /** The E-step's masks from the conv outputs of a bottom-up pass (see `infer`). */
  private latentsFrom(convs: Tensor[]): Latents {
    // ĝ per p×p window: the position of the first maximum, switched on only where the template
    // explains something (maximum > 0).
    const masks = convs.map((y, i) => {
      const { values, winners } = maxPoolWinners(y, { kernelSize: this.levels[i].pool });
      const on = binaryRaw('gt', values, new Tensor(new Float32Array(1), []));
      return reshapeRaw(scatterAddRaw(reshapeRaw(on, [-1]), 0, reshapeRaw(winners, [-1]), [y.size]), y.shape);
    });
    return { masks };
  }

  /**
   * One bottom-up pass that serves both halves of an EG step: its values give the E-step's
   * latents (the masks carry no gradient) and its graph the G-step's classification terms.
   */
  private eStepWithGraph(images: Tensor): { scores: Tensor; latents: Latents } {
    const { scores, convs } = this.bottomUp(images);
    return { scores, latents: this.latentsFrom(convs) };
  }

  /**
   * Top-down reconstruction Î = Λ_ĝ μ_ĉ (NN-DRMM: ReLU on the intermediate templates below the
   * top, and on z^(L) = μ_ĉ too with nonnegativity 'topDownRelu'): unpool z^(ℓ) to the chosen
   * positions, then transposed convolution with W^(ℓ). Differentiable in the templates and filters.
   */
  topDown(c: number | readonly number[], latents: Latents): Tensor {
    const N = latents.masks[0].shape[0];
    const classes = typeof c === 'number' ? new Array<number>(N).fill(c) : c;
    if (classes.length !== N || classes.some((k) => !Number.isInteger(k) || k < 0 || k >= this.numClasses)) {
      throw new Error(`DRMM.topDown: expected ${N} class indices in 0..${this.numClasses - 1} (one per image of the latents), got [${classes.join(', ')}]`);
    }
    let z = this.templates.gather(0, classIndex(classes, this.templates.shape));
    if (this.nonnegativity === 'topDownRelu') z = z.relu();
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const p = this.levels[i].pool;
      const up = unpool(z, latents.masks[i], p);
      z = convTranspose(up, this.filters[i]);
      if (i > 0) z = z.relu();
    }
    return z;
  }

  /**
   * Ancestral sampling (eq 4–6): c ~ uniform (or the given `classes`), then per level and unit a
   * switch and a position g: by default a ~ Bern(pOn) and g uniform in its pooling window; with a
   * `prior` (see `latentPrior`), the unit's choice is drawn from its class-conditional
   * frequencies. I = Λ_g μ_c + N(0, σ²). `sample(rng)` draws one image, `sample(rng, n)` a batch.
   */
  sample(rng: Rng, n = 1, { classes: given, prior }: { classes?: readonly number[]; prior?: LatentPrior } = {}): { images: Tensor; classes: number[]; latents: Latents } {
    if (!(rng instanceof Rng)) throw new Error('DRMM.sample: pass an Rng');
    if (!Number.isInteger(n) || n < 1) throw new Error(`DRMM.sample: n must be a positive integer, got ${n}`);
    if (given && (given.length !== n || given.some((c) => !Number.isInteger(c) || c < 0 || c >= this.numClasses))) {
      throw new Error(`DRMM.sample: classes must be ${n} indices in 0..${this.numClasses - 1}, got [${given.join(', ')}]`);
    }
    if (prior) this.checkPrior('sample', prior);
    const classes = given ? [...given] : Array.from({ length: n }, () => rng.int(this.numClasses));
    const masks = this.levels.map((lv, i) => {
      const [h, w] = [this.sizes[i + 1][0] * lv.pool, this.sizes[i + 1][1] * lv.pool];
      const units = lv.channels * this.sizes[i + 1][0] * this.sizes[i + 1][1];
      const options = lv.pool * lv.pool + 1;
      const m = new Float32Array(n * lv.channels * h * w);
      for (let s = 0; s < n; s++) {
        for (let u = 0; u < units; u++) {
          let choice: number; // 0 = switch off, 1 + dy·p + dx = on at (dy, dx)
          if (prior) {
            const freq = prior.levels[i].subarray((classes[s] * units + u) * options, (classes[s] * units + u + 1) * options);
            choice = rng.categorical(Array.from(freq));
          } else {
            if (!rng.bernoulli(this.pOn)) continue;
            const [dy, dx] = [rng.int(lv.pool), rng.int(lv.pool)];
            choice = 1 + dy * lv.pool + dx;
          }
          if (choice === 0) continue;
          const [plane, pi, pj] = [s * lv.channels + Math.floor(u / (units / lv.channels)), Math.floor(u / this.sizes[i + 1][1]) % this.sizes[i + 1][0], u % this.sizes[i + 1][1]];
          const [dy, dx] = [Math.floor((choice - 1) / lv.pool), (choice - 1) % lv.pool];
          m[(plane * h + pi * lv.pool + dy) * w + pj * lv.pool + dx] = 1;
        }
      }
      return new Tensor(m, [n, lv.channels, h, w]);
    });
    const latents = { masks };
    const clean = noGrad(() => this.topDown(classes, latents));
    const images = new Tensor(clean.data.map((v) => v + rng.normal(0, this.sigma)), clean.shape);
    return { images, classes, latents };
  }

  /**
   * The class-conditional nuisance prior π_g|c estimated from labelled images the way a hard-EM
   * M-step would: for every class, level and unit, the frequencies of the E-step's choices
   * (switch off, or on at one of the p² window positions), with add-`smoothing` counts.
   */
  latentPrior(images: Tensor, labels: Tensor, { smoothing = 0.5, batchSize = 256 } = {}): LatentPrior {
    this.checkImage(images);
    if (labels.size !== images.shape[0]) throw new Error(`DRMM.latentPrior: ${labels.size} labels for ${images.shape[0]} images`);
    const C = this.numClasses;
    const counts = this.levels.map((lv, i) => new Float32Array(C * lv.channels * this.sizes[i + 1][0] * this.sizes[i + 1][1] * (lv.pool * lv.pool + 1)).fill(smoothing));
    const per = images.size / images.shape[0];
    for (let start = 0; start < images.shape[0]; start += batchSize) {
      const n = Math.min(batchSize, images.shape[0] - start);
      const batch = new Tensor(images.data.slice(start * per, (start + n) * per), [n, ...images.shape.slice(1)]);
      const { latents } = noGrad(() => this.infer(batch));
      this.levels.forEach((lv, i) => {
        const [hp, wp] = this.sizes[i + 1];
        const [h, w] = [hp * lv.pool, wp * lv.pool];
        const units = lv.channels * hp * wp;
        const options = lv.pool * lv.pool + 1;
        const mask = latents.masks[i].data;
        for (let s = 0; s < n; s++) {
          const c = labels.data[start + s];
          if (!Number.isInteger(c) || c < 0 || c >= C) throw new Error(`DRMM.latentPrior: label ${c} is not in 0..${C - 1}`);
          for (let u = 0; u < units; u++) {
            const [k, pi, pj] = [Math.floor(u / (hp * wp)), Math.floor(u / wp) % hp, u % wp];
            let choice = 0;
            for (let dy = 0; dy < lv.pool && !choice; dy++) {
              for (let dx = 0; dx < lv.pool; dx++) {
                if (mask[((s * lv.channels + k) * h + pi * lv.pool + dy) * w + pj * lv.pool + dx]) { choice = 1 + dy * lv.pool + dx; break; }
              }
            }
            counts[i][(c * units + u) * options + choice] += 1;
          }
        }
      });
    }
    const levels = counts.map((t, i) => {
      const options = this.levels[i].pool ** 2 + 1;
      for (let r = 0; r < t.length; r += options) {
        let total = 0;
        for (let o = 0; o < options; o++) total += t[r + o];
        // A class without images (and no smoothing) gets the uniform choice.
        for (let o = 0; o < options; o++) t[r + o] = total > 0 ? t[r + o] / total : 1 / options;
      }
      return t;
    });
    return { levels };
  }

  /** The single most probable latent path of class c under `prior` (every unit takes its most frequent choice). */
  modeLatents(classes: readonly number[], prior: LatentPrior): Latents {
    this.checkPrior('modeLatents', prior);
    const masks = this.levels.map((lv, i) => {
      const [hp, wp] = this.sizes[i + 1];
      const [h, w] = [hp * lv.pool, wp * lv.pool];
      const units = lv.channels * hp * wp;
      const options = lv.pool * lv.pool + 1;
      const m = new Float32Array(classes.length * lv.channels * h * w);
      classes.forEach((c, s) => {
        for (let u = 0; u < units; u++) {
          const freq = prior.levels[i].subarray((c * units + u) * options, (c * units + u + 1) * options);
          let choice = 0;
          for (let o = 1; o < options; o++) if (freq[o] > freq[choice]) choice = o;
          if (choice === 0) continue;
          const [k, pi, pj] = [Math.floor(u / (hp * wp)), Math.floor(u / wp) % hp, u % wp];
          m[((s * lv.channels + k) * h + pi * lv.pool + Math.floor((choice - 1) / lv.pool)) * w + pj * lv.pool + ((choice - 1) % lv.pool)] = 1;
        }
      });
      return new Tensor(m, [classes.length, lv.channels, h, w]);
    });
    return { masks };
  }

  private checkPrior(op: string, prior: LatentPrior): void {
    const ok = prior?.levels?.length === this.levels.length && this.levels.every((lv, i) => prior.levels[i].length === this.numClasses * lv.channels * this.sizes[i + 1][0] * this.sizes[i + 1][1] * (lv.pool * lv.pool + 1));
    if (!ok) throw new Error(`DRMM.${op}: the latent prior does not match this model's levels (estimate it with latentPrior on this model)`);
  }

  /**
   * The best ⟨Λ_g μ_c, I⟩ per class over every rendering path (all switches and positions at all
   * levels), by enumeration, for one image [1, C0, H, W] of a tiny model. Plain loops, no autograd.
   */
  bruteForceMaxSum(image: Tensor, { maxPaths = 2_000_000 } = {}): { scores: number[]; c: number } {
    this.checkImage(image);
    if (image.shape[0] !== 1) throw new Error(`DRMM.bruteForceMaxSum: expects one image, got ${fmt(image.shape)}`);
    let paths = 1;
    this.levels.forEach((lv, i) => (paths *= (lv.pool * lv.pool + 1) ** (lv.channels * this.sizes[i + 1][0] * this.sizes[i + 1][1])));
    if (paths > maxPaths) throw new Error(`DRMM.bruteForceMaxSum: ${paths} rendering paths per class exceed maxPaths = ${maxPaths}; use a smaller model`);
    const [, K, h, w] = this.templates.shape;
    const scores = Array.from({ length: this.numClasses }, (_, c) => {
      const mu = this.templates.data.slice(c * K * h * w, (c + 1) * K * h * w);
      return this.bestBelow(mu, this.levels.length, image.data);
    });
    return { scores, c: scores.indexOf(Math.max(...scores)) };
  }

  /** max over the choices of level ℓ's units (and recursively below) of ⟨rendered image, I⟩. */
  private bestBelow(z: Float32Array, level: number, image: Float32Array): number {
    if (level === 0) return z.reduce((s, v, i) => s + v * image[i], 0);
    const i = level - 1;
    const lv = this.levels[i];
    const W = this.filters[i];
    const [K, Kb, k] = [W.shape[0], W.shape[1], W.shape[2]];
    const [h, w] = this.sizes[level];
    const [hb, wb] = this.sizes[i];
    const units = K * h * w;
    const options = lv.pool * lv.pool + 1; // off, or one of the p² positions
    const choice = new Array<number>(units).fill(0);
    let best = -Infinity;
    for (;;) {
      const below = new Float32Array(Kb * hb * wb);
      for (let u = 0; u < units; u++) {
        if (choice[u] === 0 || z[u] === 0) continue;
        const [kk, pi, pj] = [Math.floor(u / (h * w)), Math.floor(u / w) % h, u % w];
        const [y0, x0] = [pi * lv.pool + Math.floor((choice[u] - 1) / lv.pool), pj * lv.pool + ((choice[u] - 1) % lv.pool)];
        for (let c = 0; c < Kb; c++) {
          for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) below[(c * hb + y0 + dy) * wb + x0 + dx] += z[u] * W.data[((kk * Kb + c) * k + dy) * k + dx];
        }
      }
      if (i > 0) for (let j = 0; j < below.length; j++) below[j] = Math.max(0, below[j]);
      best = Math.max(best, this.bestBelow(below, level - 1, image));
      let d = 0; // next combination (odometer over the units' choices)
      while (d < units && ++choice[d] === options) choice[d++] = 0;
      if (d === units) break;
    }
    return best;
  }

  /**
   * The EG objective of Algorithm 1 for a labelled batch, given latents from the E-step:
   * reconstruction error + classification cross-entropy + KL[p(c|I) ‖ p(c)] (uniform prior).
   * `scores` may pass this batch's bottom-up scores when they are already computed with a graph.
   */
  objective(images: Tensor, labels: Tensor, latents: Latents, { klWeight = 0.1, reconWeight = 1 } = {}, scores: Tensor = this.bottomUp(images).scores): Tensor {
    const recon = mse(this.topDown([...labels.data], latents), images);
    const logP = scores.logSoftmax(1);
    const kl = logP.exp().mul(logP.add(Math.log(this.numClasses))).sum(1).mean(); // KL[p(c|I) ‖ uniform]
    return recon.mul(reconWeight).add(crossEntropy(scores, labels)).add(kl.mul(klWeight));
  }

  /** One EG step (Algorithm 1): E-step bottom-up + top-down, G-step one gradient step. Returns the objective before the step. */
  egStep(images: Tensor, labels: Tensor, optimizer: Optimizer, opts: { klWeight?: number; reconWeight?: number } = {}): number {
    optimizer.zeroGrad();
    const { scores, latents } = this.eStepWithGraph(images);
    const loss = this.objective(images, labels, latents, opts, scores);
    loss.backward();
    optimizer.step();
    if (this.nonnegativity === 'project') this.projectNonnegative();
    return loss.item();
  }

  /**
   * The EG objective on unlabelled images (the semi-supervised DRMM of §4, Table 1): the class is
   * latent too, so the E-step's ĉ = argmax_c score_c renders the reconstruction Λ_ĝ μ_ĉ; the KL
   * term compares the batch's average posterior (1/N)Σ_n p(c|I_n) with the uniform prior, which
   * keeps the inferred classes balanced without pushing each posterior towards uniform.
   */
  unlabelledObjective(images: Tensor, latents: Latents, { klWeight = 0.1, reconWeight = 1 } = {}, scores: Tensor = this.bottomUp(images).scores): Tensor {
    const classes = [...scores.argmax(1).data];
    const recon = mse(this.topDown(classes, latents), images);
    const pBar = scores.softmax(1).mean(0); // [C]
    const kl = pBar.mul(pBar.add(1e-8).log().add(Math.log(this.numClasses))).sum(); // KL[p̄(c) ‖ uniform]
    return recon.mul(reconWeight).add(kl.mul(klWeight));
  }

  /**
   * One semi-supervised EG step: E-step on both batches, then one gradient step on
   * objective(labelled) + unlabelledWeight · unlabelledObjective(unlabelled). Returns the
   * objective before the step.
   */
  egStepSemi(
    labelled: { images: Tensor; labels: Tensor },
    unlabelled: Tensor,
    optimizer: Optimizer,
    opts: { klWeight?: number; reconWeight?: number; unlabelledWeight?: number } = {},
  ): number {
    const { unlabelledWeight = 1, ...weights } = opts;
    optimizer.zeroGrad();
    const e = this.eStepWithGraph(labelled.images);
    const u = this.eStepWithGraph(unlabelled);
    const loss = this.objective(labelled.images, labelled.labels, e.latents, weights, e.scores).add(this.unlabelledObjective(unlabelled, u.latents, weights, u.scores).mul(unlabelledWeight));
    loss.backward();
    optimizer.step();
    if (this.nonnegativity === 'project') this.projectNonnegative();
    return loss.item();
  }

  /** Keeps μ ≥ 0 and W^(ℓ≥2) ≥ 0 after an update (the NN-DRMM constraint). */
  projectNonnegative(): void {
    const zero = new Tensor(new Float32Array(1), []);
    for (const t of [this.templates, ...this.filters.slice(1)]) t.data.set(whereRaw(binaryRaw('lt', t, zero), zero, t).data); // −0 and NaN stay
  }

  private checkImage(image: Tensor): void {
    const [c, h, w] = this.inputShape;
    if (image.ndim !== 4 || image.shape[1] !== c || image.shape[2] !== h || image.shape[3] !== w) {
      throw new Error(`DRMM: expected images [N, ${c}, ${h}, ${w}], got ${fmt(image.shape)}`);
    }
  }
}

/** Index tensor selecting rows `classes` of a [C, …] tensor with gather along axis 0. */
function classIndex(classes: readonly number[], shape: readonly number[]): Tensor {
  const per = shape.slice(1).reduce((p, d) => p * d, 1);
  return new Tensor(Float32Array.from({ length: classes.length * per }, (_, i) => classes[Math.floor(i / per)]), [classes.length, ...shape.slice(1)]);
}

/** Repeats every value over a p×p block: [N, K, h, w] → [N, K, h·p, w·p]. */
export function upsample(z: Tensor, p: number): Tensor {
  const [n, k, h, w] = z.shape;
  return z.reshape([n, k, h, 1, w, 1]).expand([n, k, h, p, w, p]).reshape([n, k, h * p, w * p]);
}
