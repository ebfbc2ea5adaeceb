import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, gradcheck, prob, Rng, randn, tensor, Tensor } from '../../src/index.js';

const seed = fc.integer({ min: 0, max: 1e6 });
const close = (a: Tensor, b: Tensor, tol: number) => {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(Math.abs(v - b.data[i])).toBeLessThanOrEqual(tol));
};

describe('Gibbs distribution of a layer (LB-hidden eq 18)', () => {
  it('sums to 1, is invariant to shifting the energies, and stays finite at 1e4', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), (s, r, n, shift) => {
        const e = randn([r, n], new Rng(s), { std: 5 });
        const g = prob.gibbs(e);
        g.probs.sum(1).data.forEach((v) => expect(v).toBeCloseTo(1, 5));
        // float32 energies near |shift| carry an absolute rounding error of ~|shift|·2⁻²⁴
        close(prob.gibbs(e.add(shift)).probs, g.probs, 1e-5 + 4e-7 * Math.abs(shift));
        const big = prob.gibbs(e.mul(2000));
        big.probs.data.forEach((v) => expect(Number.isFinite(v)).toBe(true));
      }),
    );
  });

  it('reproduces the worked example of LB-hidden §5.1 (P ≈ 0.20 and 0.07)', () => {
    // f1 = f2 = f4 = 1 and f6 = f7 = 0 (saturated sigmoids); the text does not give f3 and f5.
    // Its numbers imply e^f3 + e^f5 = e/0.2 − 3e − 2 ≈ 3.44, i.e. f3 = f5 ≈ 0.54.
    const p = prob.layerGibbs(tensor([1, 1, 0.54, 1, 0.54, 0, 0])).probs.data;
    for (const n of [0, 1, 3]) expect(p[n].toFixed(2)).toBe('0.20');
    for (const n of [5, 6]) expect(p[n].toFixed(2)).toBe('0.07');
  });

  it('exponential family: ∇F(θ) = mean parameters, log p = θ − F', () => {
    const theta = randn([6], new Rng(1), { requiresGrad: true });
    const ef = prob.exponentialFamily(theta);
    ef.logNormaliser.sum().backward();
    close(theta.grad!, ef.meanParameters, 1e-6);
    close(ef.logProbs.exp(), ef.meanParameters, 1e-6);
  });
});

describe('product of experts (LB-hidden eq 9–11, LB-bayes eq 16–20)', () => {
  it('PoE form equals softmax(f·γ + b) for dense inputs', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 2, max: 6 }), (s, n, k, l) => {
        const rng = new Rng(s);
        const [f, gamma, b] = [randn([n, k], rng, { std: 2 }), randn([k, l], rng), randn([l], rng)];
        const pe = prob.poe(f, gamma, b);
        close(pe.probs, f.matmul(gamma).add(b).softmax(1), 1e-5);
        close(pe.experts.sum(1), tensor(new Array(n).fill(1)), 1e-5);
      }),
    );
  });

  it('PoE form equals softmax for a flattened convolutional input (one expert per channel)', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 5 }), (s, n, q, hw, l) => {
        const rng = new Rng(s);
        const f = randn([n, q, hw, hw], rng);
        const gamma = randn([q * hw * hw, l], rng, { std: 0.5 });
        const b = randn([l], rng);
        const pe = prob.poe(f, gamma, b);
        close(pe.probs, f.flatten(1).matmul(gamma).add(b).softmax(1), 1e-5);
        expect(pe.logZF.shape).toEqual([n, q]);
        close(pe.experts.sum([2, 3]), tensor(new Array(n * q).fill(1)).reshape([n, q]), 1e-5); // each channel a distribution
      }),
    );
  });
});

describe('cross-entropy = energy + log Z (LB-hidden eq 89)', () => {
  it('holds on random logits and labels', () => {
    fc.assert(
      fc.property(seed, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 9 }), (s, n, l) => {
        const rng = new Rng(s);
        const logits = randn([n, l], rng, { std: 3 });
        const labels = tensor(Array.from({ length: n }, () => rng.int(l)));
        const { energy, logZ } = prob.energyOfLabel(logits, labels);
        close(F.crossEntropy(logits, labels, { reduction: 'none' }), energy.add(logZ), 1e-5);
        energy.data.forEach((e, i) => expect(e).toBe(-logits.data[i * l + labels.data[i]]));
      }),
    );
  });

  it('energyOfLabel is differentiable and rejects bad labels', () => {
    const logits = randn([3, 4], new Rng(0));
    expect(gradcheck((z) => prob.energyOfLabel(z, tensor([0, 3, 1])).energy.sum(), [logits]).ok).toBe(true);
    expect(() => prob.energyOfLabel(logits, tensor([0, 4, 1]))).toThrow(/energyOfLabel: label 4 at position 1 is out of range \[0, 3\]/);
  });
});
