import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { loadMnist, mnistDigits } from '../../src/data/mnist.js';

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
    expect(b.xTest.data).toEqual(a.xTest.data);
    expect(loadMnist({ rng: new Rng(2) }).yTest.data).not.toEqual(a.yTest.data);
    // no image of the test set appears in the training set
    const key = (x: Float32Array, i: number) => x.subarray(i * 784, (i + 1) * 784).join(',');
    const train = new Set(Array.from({ length: 8000 }, (_, i) => key(a.xTrain.data, i)));
    const leaked = Array.from({ length: 2000 }, (_, i) => key(a.xTest.data, i)).filter((k) => train.has(k)).length;
    expect(leaked).toBeLessThanOrEqual(5); // the package itself holds a few exact duplicates
  });

  it('gives images in NCHW layout and rejects bad sizes', () => {
    expect(loadMnist({ rng: new Rng(0), layout: 'image', trainSize: 100 }).xTrain.shape).toEqual([100, 1, 28, 28]);
    expect(() => loadMnist({ rng: new Rng(0), testSize: 10000 })).toThrow(/loadMnist: testSize must be an integer in \[1, 9999\]/);
  });
});
