// The statistics that diagonal-gibbs and iid-conditions compute from trained weights, on weights
// whose answer is known.
import { describe, expect, it } from 'vitest';
import { neighbourCorrelation } from '../../src/experiments/diagonal-gibbs.js';
import { biasFreeMlp, weightSums } from '../../src/experiments/iid-conditions.js';
import { linears } from '../../src/experiments/common.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

describe('neighbourCorrelation (LB-hidden A.4: "internal correlation")', () => {
  it('is ≈ −1/side² within its i.i.d. spread for i.i.d. weights, near 1 for smooth images and −1 for a checkerboard', () => {
    for (const seed of [1, 2, 3]) {
      const { rho, iidSd } = neighbourCorrelation(randn([8, 1024], new Rng(seed)), 32);
      expect(iidSd).toBeCloseTo(1 / Math.sqrt(8 * 2 * 32 * 31), 12);
      expect(Math.abs(rho + 1 / 1024)).toBeLessThan(4 * iidSd);
    }
    const side = 16;
    const ramp = new Tensor(Float32Array.from({ length: side * side }, (_, i) => Math.floor(i / side) + (i % side)), [1, side * side]);
    expect(neighbourCorrelation(ramp, side).rho).toBeGreaterThan(0.9);
    const checker = new Tensor(Float32Array.from({ length: side * side }, (_, i) => ((Math.floor(i / side) + (i % side)) % 2 === 0 ? 1 : -1)), [1, side * side]);
    expect(neighbourCorrelation(checker, side).rho).toBeCloseTo(-1, 6);
    expect(() => neighbourCorrelation(randn([2, 10], new Rng(0)), 3)).toThrow(/not 3×3 images/);
  });
});

describe('iid-conditions pieces (LB-hidden App. F.1)', () => {
  it('the MLP of Table 3 has no biases, and weightSums are the row sums Σ_n β_nk', () => {
    const net = biasFreeMlp(new Rng(4));
    const layers = linears(net);
    expect(layers.map((l) => l.weight.shape)).toEqual([[128, 784], [64, 128], [10, 64]]);
    expect(layers.every((l) => l.bias === null)).toBe(true);
    expect(net.parameters().length).toBe(3);
    expect(weightSums(new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]))).toEqual([6, 15]);
  });
});
