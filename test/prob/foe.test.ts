import { describe, expect, it } from 'vitest';
import { gradcheck, gradcheckParams, nn, optim, prob, Rng, randn, Tensor } from '../../src/index.js';

/** Smooth images from a Gaussian MRF: white noise convolved with a 3×3 box (a correlated Gaussian field). */
function smoothImages(n: number, side: number, rng: Rng): Tensor {
  const noise = randn([n, 1, side + 2, side + 2], rng);
  const box = new Tensor(new Float32Array(9).fill(1 / 3), [1, 1, 3, 3]);
  return noise.conv2d(box);
}

describe('Field of Experts (LB-hidden eq 95)', () => {
  it('its energy gradient passes gradcheck, in the image and in the parameters', () => {
    const rng = new Rng(0);
    const foe = new prob.FieldOfExperts({ rng, numFilters: 2, scales: [0.5, 1, 2] });
    const x = randn([1, 1, 5, 5], rng);
    expect(gradcheck((t) => foe.energy(t), [x]).ok).toBe(true);
    // parameters: every filter tap and mixture logit
    expect(gradcheckParams(foe.parameters(), () => foe.energy(x)).ok).toBe(true);
  });

  it('contrastive divergence on Gaussian-MRF samples lowers the energy of data relative to noise; seeded runs agree', () => {
    const run = () => {
      const rng = new Rng(1);
      const data = smoothImages(16, 8, rng);
      const noise = randn(data.shape, rng); // white noise of the same marginal variance scale
      const foe = new prob.FieldOfExperts({ rng, numFilters: 4 });
      const gap = () => foe.energy(data).mean().item() - foe.energy(noise).mean().item();
      const before = gap();
      const opt = new optim.Adam(foe.parameters(), { lr: 0.02 });
      for (let i = 0; i < 30; i++) foe.cdStep(data, opt, { steps: 3, stepSize: 0.1, rng });
      return { before, after: gap(), filters: [...foe.filters.data] };
    };
    const a = run();
    expect(a.after).toBeLessThan(a.before);
    expect(a.after).toBeLessThan(0);
    expect(run()).toEqual(a);
  });

  it('initConvFromFoE copies the filters into a CNN first layer and checks shapes', () => {
    const rng = new Rng(2);
    const foe = new prob.FieldOfExperts({ rng, numFilters: 12 });
    const conv = new nn.Conv2d(1, 12, 3, { rng });
    prob.initConvFromFoE(conv, foe);
    expect(conv.weight.data).toEqual(foe.filters.data);
    expect([...conv.bias!.data].every((v) => v === 0)).toBe(true);
    expect(() => prob.initConvFromFoE(new nn.Conv2d(1, 8, 3, { rng }), foe)).toThrow(/initConvFromFoE: conv weight \[8, 1, 3, 3\] must match the FoE filters \[12, 1, 3, 3\]/);
  });
});
