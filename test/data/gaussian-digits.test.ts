import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor } from '../../src/index.js';
import { binariseAndResample, gaussianDigitsFromMnist, gaussianImage, maskParts, PRIOR, SIDE, syntheticGaussianDigits } from '../../src/data/gaussian-digits.js';
import { officialMnistDigits } from '../../src/data/mnist.js';

/** A filled disc of radius r at (cx, cy) on a 28×28 canvas: a stand-in for a digit's shape. */
function disc(cx: number, cy: number, r: number): Float32Array {
  const img = new Float32Array(28 * 28);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) img[y * 28 + x] = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 1 : 0;
  return img;
}

describe('synthetic Gaussian digits (LB-hidden Algorithm 1)', () => {
  it('splits a square mask into the four parts by 4-neighbourhood', () => {
    const mask = new Uint8Array(64);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mask[y * 8 + x] = 1;
    const parts = maskParts(mask, 8);
    const count = (p: number) => parts.filter((v) => v === p).length;
    expect([count(0), count(1), count(2), count(3)]).toEqual([64 - 16 - 16, 16, 12, 4]);
  });

  it('every image is exactly a sorted N(0, 1024) sample laid out outside → inside', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 4, max: 11 }), (seed, r) => {
        const parts = maskParts(binariseAndResample(disc(14, 14, r), 28));
        const image = gaussianImage(parts, new Rng(seed));
        // the same stream drawn directly gives the same multiset of values
        const rng = new Rng(seed);
        const sample = Array.from({ length: SIDE * SIDE }, () => Math.fround(rng.normal(0, Math.sqrt(PRIOR.variance)))).sort((a, b) => b - a);
        expect([...image].sort((a, b) => b - a)).toEqual(sample);
        // values decrease from part to part: min(outside) ≥ max(outside-boundary) ≥ … ≥ max(inside)
        const byPart = [0, 1, 2, 3].map((p) => [...image].filter((_, i) => parts[i] === p));
        for (let p = 0; p < 3; p++) {
          if (byPart[p].length && byPart[p + 1].length) expect(Math.min(...byPart[p])).toBeGreaterThanOrEqual(Math.max(...byPart[p + 1]));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('splits by source digit (no shape leaks), keeps classes balanced and is seeded', () => {
    const digits: Float32Array[] = [];
    const labels: number[] = [];
    for (let c = 0; c < 3; c++) for (let k = 0; k < 6; k++) { digits.push(disc(10 + c * 3, 14, 4 + k)); labels.push(c); }
    const x = new Tensor(Float32Array.from(digits.flatMap((d) => [...d])), [digits.length, 784]);
    const y = new Tensor(Float32Array.from(labels), [labels.length]);
    const a = syntheticGaussianDigits(x, y, { rng: new Rng(3) });
    const b = syntheticGaussianDigits(x, y, { rng: new Rng(3) });
    expect(a.xTrain.shape).toEqual([18, 1, 32, 32]);
    expect(a.xTest.shape).toEqual([18, 1, 32, 32]);
    expect(a.sourceTrain.filter((s) => a.sourceTest.includes(s))).toEqual([]);
    for (let c = 0; c < 3; c++) expect([...a.yTrain.data].filter((v) => v === c).length).toBe(6);
    expect(a.xTrain.data).toEqual(b.xTrain.data);
    expect(syntheticGaussianDigits(x, y, { rng: new Rng(4) }).xTrain.data).not.toEqual(a.xTrain.data);
  });

  it('rejects bad input with a message naming the function', () => {
    const y = new Tensor(new Float32Array([0, 1]), [2]);
    expect(() => syntheticGaussianDigits(new Tensor(new Float32Array(2 * 783), [2, 783]), y, { rng: new Rng(0) })).toThrow(/syntheticGaussianDigits: digits \[2, 783\]/);
    expect(() => syntheticGaussianDigits(new Tensor(new Float32Array(2 * 784), [2, 784]), y, { rng: new Rng(0), trainFraction: 1 })).toThrow(/trainFraction/);
  });

  it('on the official MNIST: exactly the papers\' 1,000 + 1,000 images per class, train shapes from the training set, test shapes from the test set', () => {
    const d = gaussianDigitsFromMnist({ rng: new Rng(11) });
    const official = officialMnistDigits();
    const perClass = (y: Tensor) => Array.from({ length: 10 }, (_, c) => y.data.filter((v) => v === c).length);
    expect(perClass(d.yTrain)).toEqual(Array(10).fill(1000));
    expect(perClass(d.yTest)).toEqual(Array(10).fill(1000));
    expect(new Set(d.sourceTrain).size).toBe(5000); // 500 distinct source digits per class, two draws each
    expect(new Set(d.sourceTest).size).toBe(5000);
    // labels follow the source in its own official set: training sources index the training set …
    expect(d.sourceTrain.filter((s, i) => d.yTrain.data[i] !== official.yTrain.data[s])).toEqual([]);
    expect(d.sourceTest.filter((s, i) => d.yTest.data[i] !== official.yTest.data[s])).toEqual([]);
    // … which the shapes confirm: a training image is laid out on the mask of official training digit s
    const sortsByPart = (img: Float32Array, digit: Float32Array) => {
      const parts = maskParts(binariseAndResample(digit, 28));
      const lo = [Infinity, Infinity, Infinity, Infinity];
      const hi = [-Infinity, -Infinity, -Infinity, -Infinity];
      img.forEach((v, i) => ((lo[parts[i]] = Math.min(lo[parts[i]], v)), (hi[parts[i]] = Math.max(hi[parts[i]], v))));
      return [0, 1, 2].every((p) => !(hi[p + 1] > lo[p]));
    };
    const image = (x: Tensor, k: number) => x.data.subarray(k * 1024, (k + 1) * 1024);
    const digit = (x: Tensor, s: number) => x.data.subarray(s * 784, (s + 1) * 784);
    for (const k of [0, 1, 4321, 9999]) {
      expect(sortsByPart(image(d.xTrain, k), digit(official.xTrain, d.sourceTrain[k]))).toBe(true);
      expect(sortsByPart(image(d.xTest, k), digit(official.xTest, d.sourceTest[k]))).toBe(true);
    }
    // training sources range over the 60,000 (indices only the training set has) …
    expect(Math.max(...d.sourceTrain)).toBeGreaterThanOrEqual(10000);
    // … and read as test-set indices they give the wrong shapes (a different digit breaks the part order)
    const low = d.sourceTrain.map((s, k) => [s, k]).filter(([s]) => s < 10000).slice(0, 40);
    const misfits = low.filter(([s, k]) => !sortsByPart(image(d.xTrain, k), digit(official.xTest, s))).length;
    expect(misfits).toBeGreaterThan(30);
    expect(d.description).toMatch(/10,000 train \/ 10,000 test 32×32 images \(1,000 \+ 1,000 per class; the papers: 1,000 \+ 1,000\)/);
    expect(d.description).toMatch(/training images come from the official training digits and the test images from the official test digits/);
  }, 60_000);

  it('gives two independent Gaussian draws of the same shape per source digit', () => {
    const d = gaussianDigitsFromMnist({ rng: new Rng(5), sourcesPerClass: 6 });
    expect(d.xTrain.shape).toEqual([60, 1, 32, 32]); // 3 train sources per class × 2 draws
    expect(d.xTest.shape).toEqual([60, 1, 32, 32]);
    const digits = officialMnistDigits().xTrain;
    const image = (k: number) => d.xTrain.data.subarray(k * 1024, (k + 1) * 1024);
    let pooled = 0;
    let pooledSq = 0;
    for (let k = 0; k < 60; k += 2) {
      expect(d.sourceTrain[k]).toBe(d.sourceTrain[k + 1]);
      const s = d.sourceTrain[k];
      const parts = maskParts(binariseAndResample(digits.data.subarray(s * 784, (s + 1) * 784), 28));
      const [a, b] = [image(k), image(k + 1)];
      expect([...a].sort()).not.toEqual([...b].sort()); // different samples
      for (const img of [a, b]) {
        // the part order of the source digit's mask: every outside value ≥ every outside-boundary value ≥ …
        const byPart = [0, 1, 2, 3].map((p) => [...img].filter((_, i) => parts[i] === p));
        for (let p = 0; p < 3; p++) if (byPart[p].length && byPart[p + 1].length) expect(Math.min(...byPart[p])).toBeGreaterThanOrEqual(Math.max(...byPart[p + 1]));
        for (const v of img) (pooled += v), (pooledSq += v * v);
      }
    }
    // 61,440 values from N(0, 1024): the sample mean has sd 0.13, the sample variance sd ≈ 6
    const n = 60 * 1024;
    expect(Math.abs(pooled / n)).toBeLessThan(0.7);
    expect(Math.abs(pooledSq / n - PRIOR.variance)).toBeLessThan(40);
  });

  it('is seeded, keeps the experiments\' small sizes, and rejects sizes the official classes cannot give', () => {
    const a = gaussianDigitsFromMnist({ rng: new Rng(7), sourcesPerClass: 2 });
    expect([a.yTrain.size, a.yTest.size]).toEqual([20, 20]); // tiny: 1 + 1 source digit per class
    const b = gaussianDigitsFromMnist({ rng: new Rng(7), sourcesPerClass: 2 });
    expect(b.sourceTrain).toEqual(a.sourceTrain);
    expect(b.sourceTest).toEqual(a.sourceTest);
    expect(b.xTest.data).toEqual(a.xTest.data);
    expect(gaussianDigitsFromMnist({ rng: new Rng(8), sourcesPerClass: 2 }).sourceTrain).not.toEqual(a.sourceTrain);
    expect(gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 10, trainFraction: 0.8 }).yTest.size).toBe(40); // 8 + 2 per class, 2 draws
    expect(() => gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 1 })).toThrow(RangeError);
    expect(() => gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 1 })).toThrow(/gaussianDigitsFromMnist: sourcesPerClass must be an integer that gives between 1 and 5421 training digits and between 1 and 892 test digits per class/);
    expect(() => gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 1786 })).toThrow(/got 1786/); // 893 test digits of class 5: it has 892
    expect(() => gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 2.5 })).toThrow(/got 2\.5/);
    expect(() => gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 4, drawsPerDigit: 0 })).toThrow(/drawsPerDigit must be a positive integer/);
  }, 60_000);
});
