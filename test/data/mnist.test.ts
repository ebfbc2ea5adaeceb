import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { loadMnist, mnistDigits } from '../../src/data/mnist.js';

/** FNV-1a over an image's float bits: a cheap identity for set membership. */
function imageHash(x: Float32Array, i: number): number {
  const bits = new Uint32Array(x.buffer, x.byteOffset + i * 784 * 4, 784);
  let h = 0x811c9dc5;
  for (const w of bits) h = Math.imul(h ^ w, 0x01000193);
  return h >>> 0;
}

const sameBytes = (p: ArrayBufferView, q: ArrayBufferView) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(q.buffer, q.byteOffset, q.byteLength));

const counts = (y: Float32Array) => Array.from({ length: 10 }, (_, c) => y.filter((v) => v === c).length);

describe('MNIST from the mnist package', () => {
  it('holds 10,000 real digits with pixels in [0, 1]', () => {
    const { x, y } = mnistDigits();
    expect(y.size).toBe(10000);
    expect(x.shape).toEqual([10000, 784]);
    expect(Math.max(...x.data.subarray(0, 784 * 10))).toBeLessThanOrEqual(1);
    expect(counts(y.data).every((c) => c > 800)).toBe(true);
  });

  it('splits 8,000 / 2,000 stratified by class, disjoint and seeded', () => {
    const a = loadMnist({ rng: new Rng(1) });
    expect(a.xTrain.shape).toEqual([8000, 784]);
    expect(a.yTest.size).toBe(2000);
    const all = counts(mnistDigits().y.data);
    counts(a.yTest.data).forEach((c, k) => expect(Math.abs(c - all[k] / 5)).toBeLessThanOrEqual(1));
    const b = loadMnist({ rng: new Rng(1) });
    // (byte comparison: a deep toEqual over 1.5 million floats takes seconds)
    expect(sameBytes(b.xTest.data, a.xTest.data) && sameBytes(b.xTrain.data, a.xTrain.data)).toBe(true);
    expect(b.yTrain.data).toEqual(a.yTrain.data);
    expect(loadMnist({ rng: new Rng(2) }).yTest.data).not.toEqual(a.yTest.data);
    counts(a.yTrain.data).forEach((c, k) => expect(Math.abs(c - (all[k] * 4) / 5)).toBeLessThanOrEqual(1));
    // no image of the test set appears in the training set: the two are a partition of the package
    const train = new Set(Array.from({ length: 8000 }, (_, i) => imageHash(a.xTrain.data, i)));
    const leaked = Array.from({ length: 2000 }, (_, i) => imageHash(a.xTest.data, i)).filter((h) => train.has(h)).length;
    expect(leaked).toBeLessThanOrEqual(5); // the package itself holds a few exact duplicates
    const sorted = (hashes: number[]) => Uint32Array.from(hashes).sort();
    const everything = sorted(Array.from({ length: 10000 }, (_, i) => imageHash(mnistDigits().x.data, i)));
    const split = sorted([...Array.from({ length: 8000 }, (_, i) => imageHash(a.xTrain.data, i)), ...Array.from({ length: 2000 }, (_, i) => imageHash(a.xTest.data, i))]);
    expect(sameBytes(split, everything)).toBe(true);
  });

  it('gives images in NCHW layout and rejects bad sizes', () => {
    expect(loadMnist({ rng: new Rng(0), layout: 'image', trainSize: 100 }).xTrain.shape).toEqual([100, 1, 28, 28]);
    expect(() => loadMnist({ rng: new Rng(0), testSize: 10000 })).toThrow(/loadMnist: testSize must be an integer in \[1, 9999\]/);
    expect(() => loadMnist({ rng: new Rng(0), trainSize: 8001 })).toThrow(/loadMnist: trainSize must be an integer in \[1, 8000\] \(what remains after a test set of 2000\), got 8001/);
  });
});
