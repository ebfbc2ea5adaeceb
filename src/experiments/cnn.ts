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
 * Bins (PRIOR_EDGES): 64 equal bins over μ ± 4σ = [−128, 128] (width σ/8 = 4). KL[p‖q] floors an
 * empty bin of q at 1e-10 (see prob/histogram.ts `kl`), and mass outside [−128, 128] is dropped
 * from q (it is ~6e-5 of the prior).
 */
import { noGrad } from '../autograd/engine.js';
import { PRIOR } from '../data/gaussian-digits.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../layers/layers.js';
import type { Module } from '../layers/module.js';
import type { EpochLog } from '../layers/train.js';
import { gaussianBinProbs, histogram, kl, linearEdges, type Histogram } from '../prob/histogram.js';
import { mrfEnergy } from '../prob/mrf.js';
import type { Rng } from '../tensor/rng.js';
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

/** The prior's bins: 64 equal bins over μ ± 4σ of N(0, 1024). */
export const PRIOR_EDGES: readonly number[] = linearEdges(PRIOR.mean - 4 * Math.sqrt(PRIOR.variance), PRIOR.mean + 4 * Math.sqrt(PRIOR.variance), 64);

let priorMassesCache: { edges: readonly number[]; probs: number[] } | null = null;
/** Bin masses of P(X) = N(0, 1024) on `edges` (cached for PRIOR_EDGES: averages call it per image). */
export function priorMasses(edges: readonly number[] = PRIOR_EDGES): number[] {
  if (priorMassesCache?.edges === edges) return priorMassesCache.probs;
  const probs = gaussianBinProbs(edges, PRIOR.mean, PRIOR.variance);
  if (edges === PRIOR_EDGES) priorMassesCache = { edges, probs };
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

/** KL[P(X) ‖ P̂(F1)] averaged over images x [N, 1, 32, 32] (raw and scale-matched), in batches. */
export function averagePriorKlF1(cnn: PaperCnn, x: Tensor, batchSize = 250): { raw: number; scaled: number } {
  let raw = 0;
  let scaled = 0;
  const n = x.shape[0];
  for (let s = 0; s < n; s += batchSize) {
    const count = Math.min(batchSize, n - s);
    const energy = noGrad(() => mrfEnergy(cnn.conv1, sliceRows(x, s, count)));
    for (let i = 0; i < count; i++) {
      const k = priorKl(imageSlice(energy, i));
      raw += k.raw;
      scaled += k.scaled;
    }
  }
  return { raw: raw / n, scaled: scaled / n };
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
      { epoch: log.epoch + 1, set: 'train (during epoch)', error: 1 - log.accuracy },
      { epoch: log.epoch + 1, set: 'test', error: 1 - (log.valAccuracy ?? NaN) },
    ];
    curve.push(...rows);
    return rows;
  };
}

/** Rows [start, start + count) of x (a copy). */
export function sliceRows(x: Tensor, start: number, count: number): Tensor {
  const per = x.size / x.shape[0];
  return new Tensor(x.data.slice(start * per, (start + count) * per), [count, ...x.shape.slice(1)]);
}

/** Fraction of rows of x whose argmax under the network differs from y (eval mode, batched). */
export function errorRate(cnn: PaperCnn, x: Tensor, y: Tensor, batchSize = 500): number {
  let wrong = 0;
  const n = x.shape[0];
  noGrad(() => {
    const wasTraining = cnn.net.training;
    cnn.net.eval();
    for (let s = 0; s < n; s += batchSize) {
      const count = Math.min(batchSize, n - s);
      const pred = cnn.net.forward(sliceRows(x, s, count)).argmax(-1).data;
      for (let i = 0; i < count; i++) wrong += +(pred[i] !== y.data[s + i]);
    }
    cnn.net.train(wasTraining);
  });
  return wrong / n;
}

export interface TestImageReadout {
  klX: PriorKl;
  klF1: PriorKl;
  klF2: PriorKl;
  /** Fraction of E_F1's values outside the prior's bins (they do not count in the raw KL). */
  energyF1Outside: number;
  probs: number[];
  predicted: number;
  /** Histograms of x, E_F1 (raw and scale-matched) and E_F2 (scale-matched) against N(0, 1024) (LB-repr Fig. 3B–D). */
  panels: HistogramPanel[];
}

/** Everything LB-repr Fig. 3 / LB-bayes Fig. 2 show for one test image x [1, 1, 32, 32]. */
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

/** Row n of x as a one-image batch [1, ...] (a copy). */
export function rowOf(x: Tensor, n: number): Tensor {
  return sliceRows(x, n, 1);
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
