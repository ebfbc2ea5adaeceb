/**
 * The Lan & Barner CNNs for the synthetic Gaussian digits and the prior-KL measurement that the
 * prior-kl, capacity and random-labels experiments share.
 *
 * Architectures (32×32×1 input, no padding, stride 1, max-pool 2×2):
 *   - LB-repr Table 1, CNN1: f1 conv 3×3×20 → f2 maxpool + ReLU → f3 conv 5×5×60 → f4 maxpool + ReLU
 *     → f5 fully connected 1500 → 10 → softmax (in the loss). CNN2 is the same with 36 filters in f3.
 *   - LB-bayes Table 1 (and LB-hidden Table 10): f1 conv 3×3×K + ReLU → f2 maxpool → f3 conv 5×5×20 +
 *     ReLU → f4 maxpool → f5 fully connected 500 → 20 → fY 20 → 10 softmax, with K = 4, 12, 20
 *     (LB-bayes' CNN1, CNN2, CNN3). The table gives f5 no activation; we put a ReLU after it
 *     (without one f5 and fY would collapse into a single linear map).
 *   - LB-hidden Table 10 (App. K.3): the same layers with K = 4, 12, 36 (its CNN1, CNN2, CNN3); f5
 *     is "Fully connected 1 × 1 × 20" and fY 10, as in LB-bayes Table 1.
 *   - LB-hidden Table 9 (App. K.1's CNN): f1 conv 3×3×20 + ReLU → f2 maxpool → f3 conv 5×5×60 +
 *     ReLU → f4 maxpool → fY 10 softmax: LB-repr's CNN1 with the ReLU before the pooling.
 * ReLU and 2×2 max-pooling commute (both are monotone), so "maxpool + ReLU" and "ReLU → maxpool"
 * compute the same function; each builder follows its paper's order literally.
 *
 * Initialisation (the papers do not state theirs): PyTorch's default, except that f1's initial
 * weights are divided by the input's standard deviation (32 for N(0, 1024)). The default assumes
 * inputs of unit scale; the papers feed the raw N(0, 1024) pixels (so E_F1 lives on the scale of
 * x), and with the default f1 the logits start at ±10 and the LB-bayes networks barely learn (a
 * 600-image check: 19% vs 77% training accuracy after 5 epochs). Dividing f1's weights by 32 is the
 * default initialisation of a network fed x/32, with the input left raw.
 *
 * Prior KL (LB-repr §5.1 eq 14; LB-bayes eq 7–8): f1's K linear channels φ_k(x) = S_k ∘ x + b_k
 * define P(F1) ∝ exp Σ_k φ_k(x), with energy E_F1(x) = −Σ_k φ_k(x), one value per 30×30 position.
 * P̂(F1) is the histogram of those 900 values; the papers compare it with the true prior
 * P(X) = N(0, 1024) through KL[P(X) ‖ P̂(F1)]. Likewise E_F2 = −Σ_k φ'_k(f2) from f3's linear
 * channels on f3's input (121 values). The papers do not say how the energy is put on the scale
 * of x, so we report two numbers:
 *   - raw KL: the energy values as they are, on the prior's bins;
 *   - scale-matched KL: the energy standardised to the prior's mean and variance first,
 *     e ↦ μ + σ·(e − mean(e))/std(e), so only the shape of the distribution is compared.
 * Bins: the papers give none ("pre-defined edges", LB-bayes eq 8). The KL of a finite sample to
 * its own distribution grows with the number of bins, because KL[p‖q] floors an empty bin of q at
 * 1e-10 (prob/histogram.ts `kl`) and the tails' bins of a 1,024-value histogram are often empty.
 * The papers' KL[P(X)‖P̂(x)] of their exact N(0, 1024) images is 0.53–0.81 (LB-repr Fig. 3, 5;
 * LB-bayes Fig. 2, 4). 64 equal bins over μ ± 4σ give exact N(0, 1024) samples of 1,024 values a
 * KL of 0.10 on average (99.9% of them below 0.27), so 64 bins cannot produce the papers' values;
 * 256 bins over the same range (width σ/32 = 1) give 0.47 on average (5–95%: 0.36–0.60), the
 * papers' order. So the main claims use 256 bins (PRIOR_EDGES) and every experiment reports its
 * KL claims under 64 bins (COARSE_EDGES) as a sensitivity check. Mass outside [−128, 128] is
 * dropped from q (it is ~6e-5 of the prior).
 */
import { noGrad } from '../autograd/engine.js';
import { PRIOR } from '../data/gaussian-digits.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../layers/layers.js';
import type { Module } from '../layers/module.js';
import type { EpochLog } from '../layers/train.js';
import { gaussianBinProbs, histogram, kl, linearEdges, type Histogram } from '../prob/histogram.js';
import { mrfEnergy } from '../prob/mrf.js';
import type { Rng } from '../tensor/rng.js';
import { meanWithSe, type Quantity } from './claims.js';
import { sliceRows } from '../tensor/rows.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { HistogramPanel } from './figures.js';

export interface CnnSpec {
  /** Name in the papers (e.g. 'CNN1'). */
  name: string;
  /** The table the architecture comes from. */
  paper: string;
  /** Channels of f1 (conv 3×3) and f3 (conv 5×5). */
  f1: number;
  f3: number;
  /** Width of the fully connected hidden layer f5 (null: f5 is the 10-way output itself). */
  hidden: number | null;
  /** true: conv → ReLU → maxpool (LB-bayes); false: conv → maxpool → ReLU (LB-repr). */
  reluBeforePool: boolean;
}

/** LB-repr Table 1. */
export const LB_REPR_CNN1: CnnSpec = { name: 'CNN1', paper: 'LB-repr Table 1', f1: 20, f3: 60, hidden: null, reluBeforePool: false };
export const LB_REPR_CNN2: CnnSpec = { name: 'CNN2', paper: 'LB-repr Table 1', f1: 20, f3: 36, hidden: null, reluBeforePool: false };

/** LB-bayes Table 1: K = 4, 12, 20 channels in f1 are its CNN1, CNN2, CNN3. */
export function lbBayesCnn(f1Channels: number): CnnSpec {
  const index = [4, 12, 20].indexOf(f1Channels);
  return { name: index >= 0 ? `CNN${index + 1}` : `CNN(f1=${f1Channels})`, paper: 'LB-bayes Table 1', f1: f1Channels, f3: 20, hidden: 20, reluBeforePool: true };
}

/** LB-hidden Table 10: K = 4, 12, 36 channels in f1 are its CNN1, CNN2, CNN3. */
export function lbHiddenCnn(f1Channels: number): CnnSpec {
  const index = [4, 12, 36].indexOf(f1Channels);
  return { ...lbBayesCnn(f1Channels), name: index >= 0 ? `CNN${index + 1}` : `CNN(f1=${f1Channels})`, paper: 'LB-hidden Table 10' };
}

/** LB-hidden Table 9, the CNN of App. K.1 (energy minimisation on the synthetic digits). */
export const LB_HIDDEN_TABLE9_CNN: CnnSpec = { name: 'CNN', paper: 'LB-hidden Table 9', f1: 20, f3: 60, hidden: null, reluBeforePool: true };

export const SIDE_IN = 32;
/** Spatial side after f1 (3×3 valid), f2 (pool 2), f3 (5×5 valid), f4 (pool 2): 30, 15, 11, 5. */
export const SIDES = { f1: 30, f2: 15, f3: 11, f4: 5 } as const;

export interface PaperCnn {
  spec: CnnSpec;
  net: Sequential;
  conv1: Conv2d;
  conv3: Conv2d;
  /** Index in net.layers of f3 (so forwardAll(x)[conv3Index] is f3's input, f2 after its nonlinearity). */
  conv3Index: number;
}

export function buildCnn(spec: CnnSpec, rng: Rng, { inputScale = Math.sqrt(PRIOR.variance) }: { inputScale?: number } = {}): PaperCnn {
  for (const [k, v] of [['f1', spec.f1], ['f3', spec.f3]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`buildCnn: ${k} channels must be a positive integer, got ${v}`);
  }
  if (!(inputScale > 0 && Number.isFinite(inputScale))) throw new Error(`buildCnn: inputScale must be a positive number, got ${inputScale}`);
  const conv1 = new Conv2d(1, spec.f1, 3, { rng });
  const w = conv1.weight.data;
  for (let i = 0; i < w.length; i++) w[i] /= inputScale; // see "Initialisation" above
  const conv3 = new Conv2d(spec.f1, spec.f3, 5, { rng });
  const block = (conv: Conv2d): Module[] => (spec.reluBeforePool ? [conv, new ReLU(), new MaxPool2d(2)] : [conv, new MaxPool2d(2), new ReLU()]);
  const flat = spec.f3 * SIDES.f4 * SIDES.f4;
  const head: Module[] = spec.hidden === null ? [new Linear(flat, 10, { rng })] : [new Linear(flat, spec.hidden, { rng }), new ReLU(), new Linear(spec.hidden, 10, { rng })];
  const net = new Sequential(...block(conv1), ...block(conv3), new Flatten(), ...head);
  return { spec, net, conv1, conv3, conv3Index: 3 };
}

/** Every KL[P(X)‖P̂(x)] the papers print for one of their exact N(0, 1024) test images. */
export const PAPER_KL_X: readonly { value: number; where: string }[] = [
  { value: 0.62, where: 'LB-repr Fig. 3B' },
  { value: 0.81, where: 'LB-repr Fig. 5' },
  { value: 0.53, where: 'LB-bayes Fig. 2B' },
  { value: 0.66, where: 'LB-bayes Fig. 4' },
];

/** Bin counts over μ ± 4σ: the main claims' (matches the papers' KL(x), see above) and the coarse one of the sensitivity check. */
export const PAPER_BINS = 256;
export const COARSE_BINS = 64;
/** The bin counts every KL is measured with, main first. */
export const KL_BIN_COUNTS: readonly number[] = [PAPER_BINS, COARSE_BINS];

const edgesCache = new Map<number, readonly number[]>();
/** `bins` equal bins over μ ± 4σ = [−128, 128] of N(0, 1024) (one array per count, so caches can key on it). */
export function priorEdges(bins: number): readonly number[] {
  let edges = edgesCache.get(bins);
  if (!edges) {
    const sd = Math.sqrt(PRIOR.variance);
    edges = Object.freeze(linearEdges(PRIOR.mean - 4 * sd, PRIOR.mean + 4 * sd, bins));
    edgesCache.set(bins, edges);
  }
  return edges;
}

/** The main claims' bins: 256 equal bins over μ ± 4σ. */
export const PRIOR_EDGES: readonly number[] = priorEdges(PAPER_BINS);
/** The sensitivity check's bins: 64 equal bins over μ ± 4σ (the bins of the earlier results). */
export const COARSE_EDGES: readonly number[] = priorEdges(COARSE_BINS);

const massesCache = new WeakMap<readonly number[], number[]>();
/** Bin masses of P(X) = N(0, 1024) on `edges` (cached per edges array: averages call it per image). */
export function priorMasses(edges: readonly number[] = PRIOR_EDGES): number[] {
  let probs = massesCache.get(edges);
  if (!probs) {
    probs = gaussianBinProbs(edges, PRIOR.mean, PRIOR.variance);
    massesCache.set(edges, probs);
  }
  return probs;
}

/**
 * Values standardised to the given mean and variance: μ + σ·(v − mean(v))/std(v). A constant
 * input (std 0) maps every value to μ.
 */
export function scaleMatch(values: ArrayLike<number>, mean: number = PRIOR.mean, variance: number = PRIOR.variance): Float64Array {
  const n = values.length;
  if (n === 0) throw new Error('scaleMatch: got no values');
  if (!(variance > 0)) throw new Error(`scaleMatch: variance must be positive, got ${variance}`);
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - m) ** 2;
  const sd = Math.sqrt(v / n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`scaleMatch: value ${values[i]} at position ${i} is not finite`);
    out[i] = sd > 0 ? mean + (Math.sqrt(variance) * (values[i] - m)) / sd : mean;
  }
  return out;
}

export interface PriorKl {
  /** KL[P(X) ‖ P̂(values)] on the prior's bins, values as they are. */
  raw: number;
  /** The same after standardising the values to the prior's mean and variance. */
  scaled: number;
  rawHistogram: Histogram;
  scaledHistogram: Histogram;
}

/** KL[P(X) ‖ P̂] (LB-bayes eq 8; LB-repr Fig. 3) of one set of values: raw and scale-matched. */
export function priorKl(values: ArrayLike<number>, edges: readonly number[] = PRIOR_EDGES): PriorKl {
  const prior = priorMasses(edges);
  const rawHistogram = histogram(values, edges);
  const scaledHistogram = histogram(scaleMatch(values), edges);
  return { raw: kl(prior, rawHistogram.probs), scaled: kl(prior, scaledHistogram.probs), rawHistogram, scaledHistogram };
}

export interface LayerReadout {
  /** E_F1 [N, 30, 30] and E_F2 [N, 11, 11]. */
  energyF1: Tensor;
  energyF2: Tensor;
  /** Output probabilities softmax(logits) [N, 10]. */
  probs: Tensor;
}

/** The energies of f1 and f3 and the output probabilities for images x [N, 1, 32, 32], without a graph. */
export function readLayers(cnn: PaperCnn, x: Tensor): LayerReadout {
  if (x.ndim !== 4 || x.shape[1] !== 1 || x.shape[2] !== SIDE_IN || x.shape[3] !== SIDE_IN) throw new Error(`readLayers: expected images [N, 1, 32, 32], got ${fmt(x.shape)}`);
  return noGrad(() => {
    const wasTraining = cnn.net.training;
    cnn.net.eval();
    const outs = cnn.net.forwardAll(x);
    const energyF1 = mrfEnergy(cnn.conv1, x); // LB-repr eq 14: E_F1(x) = −Σ_k f_k(x)
    const energyF2 = mrfEnergy(cnn.conv3, outs[cnn.conv3Index]); // E_F2(f1) = −Σ_k f'_k[f_NL(f1)]
    const probs = outs[outs.length - 1].softmax(-1);
    cnn.net.train(wasTraining);
    return { energyF1, energyF2, probs };
  });
}

/** One image's slice [H·W] of a map [N, H, W]. */
export function imageSlice(t: Tensor, n: number): Float32Array {
  const per = t.size / t.shape[0];
  return t.data.subarray(n * per, (n + 1) * per);
}

/** A KL reading of one set of values: raw and scale-matched. */
export interface KlPair<T = number> {
  raw: T;
  scaled: T;
}
/** KL readings keyed by the bin count ('256', '64'). */
export type KlByBins<T = number> = Record<string, KlPair<T>>;

/**
 * The histogram probabilities of `values` on priorEdges(bins), by direct indexing instead of
 * histogram()'s binary search (the KL averages bin 10,000 images × 900 values per epoch). The same
 * bins as histogram(): [B_i, B_{i+1}), the last closed, values outside dropped. The arithmetic
 * index can be one off where (v − B_0)/width rounds; comparing with the neighbouring edges puts a
 * value exactly where histogram() does.
 */
export function priorBinProbs(values: ArrayLike<number>, bins: number): number[] {
  const edges = priorEdges(bins);
  const low = edges[0];
  const high = edges[bins];
  const width = (high - low) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= low && v <= high)) continue;
    let b = Math.min(Math.floor((v - low) / width), bins - 1);
    if (v < edges[b]) b--;
    else if (b + 1 < bins && v >= edges[b + 1]) b++;
    counts[b]++;
  }
  const n = values.length || 1;
  return counts.map((c) => c / n);
}

/** KL[P(X) ‖ P̂(values)], raw and scale-matched, under each bin count (the standardisation is done once). */
export function priorKlByBins(values: ArrayLike<number>, binCounts: readonly number[] = KL_BIN_COUNTS): KlByBins {
  const scaled = scaleMatch(values);
  return Object.fromEntries(
    binCounts.map((bins) => {
      const prior = priorMasses(priorEdges(bins));
      return [String(bins), { raw: kl(prior, priorBinProbs(values, bins)), scaled: kl(prior, priorBinProbs(scaled, bins)) }];
    }),
  );
}

/**
 * E_F1(x) = −Σ_k (S_k ∘ x + b_k) computed as one convolution, −((Σ_k S_k) ∘ x + Σ_k b_k): the map
 * mrfEnergy gives (LB-repr eq 14), by linearity, up to float rounding, at 1/K of the cost.
 */
export function energyF1(conv1: Conv2d, x: Tensor): Tensor {
  const [k, c, kh, kw] = conv1.weight.shape;
  const per = c * kh * kw;
  const w = new Float32Array(per);
  for (let o = 0; o < k; o++) for (let i = 0; i < per; i++) w[i] += conv1.weight.data[o * per + i];
  const b = conv1.bias ? conv1.bias.data.reduce((s, v) => s + v, 0) : 0;
  return noGrad(() => {
    const e = x.conv2d(new Tensor(w, [1, c, kh, kw]), new Tensor(Float32Array.of(b), [1]), { stride: conv1.stride, padding: conv1.padding });
    return e.reshape([e.shape[0], e.shape[2], e.shape[3]]).neg();
  });
}

/**
 * KL[P(X) ‖ P̂(F1)] of every image x [N, 1, 32, 32], averaged over the images (raw and
 * scale-matched, per bin count), with the standard error of the mean over images (meanWithSe).
 * That SE is the sampling error of the test set for this one trained network, not the spread
 * across trainings (seeds). Computed in batches.
 */
export function averagePriorKlF1(cnn: PaperCnn, x: Tensor, { binCounts = KL_BIN_COUNTS, batchSize = 250 }: { binCounts?: readonly number[]; batchSize?: number } = {}): KlByBins<Quantity> {
  const perImage = Object.fromEntries(binCounts.map((b) => [String(b), { raw: [] as number[], scaled: [] as number[] }]));
  const n = x.shape[0];
  for (let s = 0; s < n; s += batchSize) {
    const count = Math.min(batchSize, n - s);
    const energy = energyF1(cnn.conv1, sliceRows(x, s, count));
    for (let i = 0; i < count; i++) {
      for (const [bins, k] of Object.entries(priorKlByBins(imageSlice(energy, i), binCounts))) {
        perImage[bins].raw.push(k.raw);
        perImage[bins].scaled.push(k.scaled);
      }
    }
  }
  return Object.fromEntries(Object.entries(perImage).map(([bins, v]) => [bins, { raw: meanWithSe(v.raw), scaled: meanWithSe(v.scaled) }]));
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, linearly interpolated between order statistics. */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantileOfSorted: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantileOfSorted: q must be in [0, 1], got ${q}`);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/** How KL[P(X) ‖ P̂(x)] of a set of images is distributed under one binning. */
export interface ImageKlStats {
  /** Mean over images, with its SE over images. */
  mean: Quantity;
  /** Quantiles over images (single-image values: the range one randomly chosen image falls in). */
  p1: number;
  p5: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * KL[P(X) ‖ P̂(x)] of each image x [N, 1, 32, 32] (its own pixels' histogram; every synthetic
 * image is an exact N(0, 1024) sample up to the order of its pixels), summarised per bin count.
 */
export function imageKlStats(x: Tensor, binCounts: readonly number[] = KL_BIN_COUNTS): Record<string, ImageKlStats> {
  const n = x.shape[0];
  return Object.fromEntries(
    binCounts.map((bins) => {
      const prior = priorMasses(priorEdges(bins));
      const values = Array.from({ length: n }, (_, i) => kl(prior, priorBinProbs(imageSlice(x, i), bins)));
      const sorted = [...values].sort((a, b) => a - b);
      const q = (p: number) => quantileOfSorted(sorted, p);
      return [String(bins), { mean: meanWithSe(values), p1: q(0.01), p5: q(0.05), p50: q(0.5), p95: q(0.95), p99: q(0.99) }];
    }),
  );
}

export type ErrorRow = { epoch: number; set: 'train (during epoch)' | 'test'; error: number };

/**
 * An afterEpoch for `train` that appends the epoch's training error (measured during the epoch)
 * and test error to `curve`. It returns the two rows, so that a resumed run replays them (see
 * train in common.ts).
 */
export function recordErrors(curve: ErrorRow[]): (log: EpochLog, restored?: ErrorRow[]) => ErrorRow[] {
  return (log, restored) => {
    const rows = restored ?? [
      { epoch: log.epoch, set: 'train (during epoch)', error: 1 - log.accuracy },
      { epoch: log.epoch, set: 'test', error: 1 - (log.valAccuracy ?? NaN) },
    ];
    curve.push(...rows);
    return rows;
  };
}

export interface TestImageReadout {
  klX: PriorKl;
  klF1: PriorKl;
  klF2: PriorKl;
  /** Fraction of E_F1's values outside the prior's bins (they do not count in the raw KL). */
  energyF1Outside: number;
  /** The same KLs under every bin count of KL_BIN_COUNTS (keyed '256', '64'; x's scale-matched equals its raw up to its sample moments). */
  byBins: { klX: KlByBins; klF1: KlByBins; klF2: KlByBins };
  probs: number[];
  predicted: number;
  /** Histograms of x, E_F1 (raw and scale-matched) and E_F2 (scale-matched) against N(0, 1024) (LB-repr Fig. 3B–D). */
  panels: HistogramPanel[];
}

/** Everything LB-repr Fig. 3 / LB-bayes Fig. 2 show for one test image x [1, 1, 32, 32] (main bins; `byBins` for all). */
export function readTestImage(cnn: PaperCnn, image: Tensor): TestImageReadout {
  if (image.shape[0] !== 1) throw new Error(`readTestImage: expected one image [1, 1, 32, 32], got ${fmt(image.shape)}`);
  const layers = readLayers(cnn, image);
  const eF1 = imageSlice(layers.energyF1, 0);
  const klX = priorKl(image.data);
  const klF1 = priorKl(eF1);
  const klF2 = priorKl(imageSlice(layers.energyF2, 0));
  const probs = [...layers.probs.data];
  const prior = priorMasses();
  const f = (v: number) => v.toFixed(3);
  return {
    klX,
    klF1,
    klF2,
    energyF1Outside: klF1.rawHistogram.outside / eF1.length,
    byBins: { klX: priorKlByBins(image.data), klF1: priorKlByBins(eF1), klF2: priorKlByBins(imageSlice(layers.energyF2, 0)) },
    probs,
    predicted: probs.indexOf(Math.max(...probs)),
    panels: [
      { name: `x: KL ${f(klX.raw)}`, edges: PRIOR_EDGES, probs: klX.rawHistogram.probs, reference: prior },
      { name: `E_F1 raw: KL ${f(klF1.raw)}`, edges: PRIOR_EDGES, probs: klF1.rawHistogram.probs, reference: prior },
      { name: `E_F1 scale-matched: KL ${f(klF1.scaled)}`, edges: PRIOR_EDGES, probs: klF1.scaledHistogram.probs, reference: prior },
      { name: `E_F2 scale-matched: KL ${f(klF2.scaled)}`, edges: PRIOR_EDGES, probs: klF2.scaledHistogram.probs, reference: prior },
    ],
  };
}

/** Pearson's correlation of two equally long series (NaN when either is constant). */
export function pearson(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2) throw new Error(`pearson: need two series of equal length ≥ 2, got ${a.length} and ${b.length}`);
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
