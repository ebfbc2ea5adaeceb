// The pieces the DRMM experiments share: the balanced N_L split, epochs-to-target, per-image MSE,
// the rescaled NN-DRMM and the DCN of the same configuration.
import { describe, expect, it } from 'vitest';
import { balancedLabelled, buildDcn, buildDrmm, epochsToReach, perImageMse } from '../../src/experiments/drmm-common.js';
import { noGrad, rand, Rng, tensor, Tensor } from '../../src/index.js';

describe('drmm-common', () => {
  it('balancedLabelled takes n/10 digits of each class, the first ones in pool order, and leaves the rest', () => {
    const labels = tensor(Array.from({ length: 60 }, (_, i) => (i * 7) % 10));
    const { labelled, rest } = balancedLabelled(labels, 23);
    expect(labelled.length).toBe(23);
    expect([...labelled, ...rest].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const perClass = new Array(10).fill(0);
    labelled.forEach((i) => perClass[labels.data[i]]++);
    expect(perClass).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
    // the first of each class in pool order
    for (let c = 0; c < 10; c++) {
      const firstOfClass = [...labels.data].map((v, i) => [v, i]).filter(([v]) => v === c).slice(0, perClass[c]).map(([, i]) => i);
      expect(labelled.filter((i) => labels.data[i] === c)).toEqual(firstOfClass);
    }
    expect(() => balancedLabelled(tensor([0, 1, 2]), 20)).toThrow(/too few digits of some class for 20/);
  });

  it('epochsToReach gives the first epoch at or below the target, or null', () => {
    const r = [0.3, 0.1, 0.05, 0.07].map((testError, i) => ({ epoch: i + 1, loss: 0, testError, seconds: 0 }));
    expect(epochsToReach(r, 0.1)).toBe(2);
    expect(epochsToReach(r, 0.05)).toBe(3);
    expect(epochsToReach(r, 0.01)).toBeNull();
  });

  it('perImageMse is the mean squared difference of each row', () => {
    const a = new Tensor(Float32Array.from([0, 0, 1, 1]), [2, 1, 1, 2]);
    const b = new Tensor(Float32Array.from([1, 0, 1, 3]), [2, 1, 1, 2]);
    expect(perImageMse(a, b)).toEqual([0.5, 2]);
  });

  it('buildDrmm keeps the NN-DRMM signs and renders at the scale of a digit; buildDcn has the same geometry', () => {
    const config = { name: 'two', levels: [{ channels: 3, kernel: 5, pool: 2 }, { channels: 4, kernel: 3, pool: 2 }] };
    const model = buildDrmm(config, new Rng(1));
    expect([...model.templates.data].every((v) => v >= 0)).toBe(true);
    expect([...model.filters[1].data].every((v) => v >= 0)).toBe(true);
    const images = rand([4, 1, 28, 28], new Rng(2));
    const { latents } = noGrad(() => model.infer(images));
    const rendered = noGrad(() => model.topDown([0, 1, 2, 3], latents));
    const peak = rendered.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.01);
    expect(peak).toBeLessThan(20);
    const dcn = buildDcn(config, new Rng(3));
    expect(noGrad(() => dcn.forward(images)).shape).toEqual([4, 10]);
  });
});
