// energy-min's measurement: per-label mean energy −logit_l* over test images, and CE = E + log Z.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/engine.js';
import { buildCnn, LB_HIDDEN_TABLE9_CNN } from '../../src/experiments/cnn.js';
import { sigmoidMlp } from '../../src/experiments/common.js';
import { IDENTITY_TOLERANCE, measureEnergies } from '../../src/experiments/energy-min.js';
import { Rng, Tensor } from '../../src/index.js';

describe('measureEnergies', () => {
  it('averages −logit of the true label over each label’s images, whatever the batch size, and finds CE = E + log Z', () => {
    const rng = new Rng(2);
    const net = sigmoidMlp([6, 5, 10], rng);
    const n = 23;
    const x = new Tensor(Float32Array.from({ length: n * 6 }, () => rng.normal(0, 1)), [n, 6]);
    const y = new Tensor(Float32Array.from({ length: n }, (_, i) => i % 10), [n]);
    const logits = noGrad(() => net.forward(x));
    const byHand = Array.from({ length: 10 }, (_, l) => {
      const e = [...y.data].flatMap((v, i) => (v === l ? [-logits.data[i * 10 + l]] : []));
      return e.reduce((s, v) => s + v, 0) / e.length;
    });
    const wrongByHand = [...y.data].filter((v, i) => logits.argmax(-1).data[i] !== v).length / n;
    for (const batch of [1, 4, 500]) {
      const m = measureEnergies(net, x, y, 3, batch);
      expect(m.points.map((p) => p.label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      m.points.forEach((p, l) => expect(p.energy).toBeCloseTo(byHand[l], 5));
      expect(m.points.every((p) => p.epoch === 3 && p.se > 0)).toBe(true);
      expect(m.identityError).toBeLessThan(IDENTITY_TOLERANCE);
      expect(m.testError).toBeCloseTo(wrongByHand, 12);
    }
  });

  it('handles the Table 9 CNN on 32×32 images (batched forward passes)', () => {
    const cnn = buildCnn(LB_HIDDEN_TABLE9_CNN, new Rng(5));
    const rng = new Rng(6);
    const x = new Tensor(Float32Array.from({ length: 7 * 1024 }, () => rng.normal(0, 32)), [7, 1, 32, 32]);
    const y = new Tensor(Float32Array.from([0, 1, 2, 3, 0, 1, 2]), [7]);
    const m = measureEnergies(cnn.net, x, y, 0, 3);
    expect(m.points.map((p) => p.label)).toEqual(['0', '1', '2', '3']); // labels without images are left out
    expect(m.identityError).toBeLessThan(IDENTITY_TOLERANCE);
  });
});
