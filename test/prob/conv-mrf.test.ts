import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nn, prob, Rng, randn, Tensor } from '../../src/index.js';

const geometry = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  c: fc.integer({ min: 1, max: 3 }),
  k: fc.integer({ min: 1, max: 4 }),
  ks: fc.integer({ min: 1, max: 3 }),
  extra: fc.integer({ min: 0, max: 4 }),
  stride: fc.integer({ min: 1, max: 2 }),
  padding: fc.integer({ min: 0, max: 1 }),
});

describe('convolution as a matrix (LB-hidden App. E)', () => {
  it('W·vec(x) + b equals Conv2d(x), dense and sparse', () => {
    fc.assert(
      fc.property(geometry, fc.boolean(), (g, sparse) => {
        const rng = new Rng(g.seed);
        const conv = new nn.Conv2d(g.c, g.k, g.ks, { rng, stride: g.stride, padding: g.padding });
        const side = g.ks + g.extra;
        const x = randn([1, g.c, side, side], rng);
        const y = conv.forward(x);
        const W = prob.convAsMatrix(conv.weight, [g.c, side, side], { stride: g.stride, padding: g.padding, format: sparse ? 'sparse' : 'dense' });
        const wx = W instanceof Tensor ? W.matmul(x.reshape([-1])).data : W.matvec(x);
        const perChannel = y.size / g.k;
        y.data.forEach((v, i) => expect(Math.abs(v - (wx[i] + conv.bias!.data[Math.floor(i / perChannel)]))).toBeLessThanOrEqual(1e-5 * (1 + g.c * g.ks * g.ks)));
        if (!(W instanceof Tensor)) expect(W.nnz).toBeLessThanOrEqual(y.size * g.c * g.ks * g.ks);
      }),
    );
  });
});

describe('MRF energy of a convolutional layer (LB-bayes eq 7)', () => {
  it('equals −(sum over channels of the pre-activations), and one conv with the channel-summed kernel', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const rng = new Rng(g.seed);
        const conv = new nn.Conv2d(g.c, g.k, g.ks, { rng, stride: g.stride, padding: g.padding });
        const x = randn([2, g.c, g.ks + g.extra, g.ks + g.extra], rng);
        const e = prob.mrfEnergy(conv, x);
        const y = conv.forward(x);
        expect(e.shape).toEqual([2, y.shape[2], y.shape[3]]);
        // −Σ_k φ_k(x) by hand
        const hw = y.shape[2] * y.shape[3];
        e.data.forEach((v, i) => {
          const [b, p] = [Math.floor(i / hw), i % hw];
          let s = 0;
          for (let k = 0; k < g.k; k++) s += y.data[(b * g.k + k) * hw + p];
          expect(v).toBeCloseTo(-s, 4);
        });
        // linearity: Σ_k (S_k ∘ x + b_k) = (Σ_k S_k) ∘ x + Σ_k b_k
        const merged = new nn.Conv2d(g.c, 1, g.ks, { rng, stride: g.stride, padding: g.padding });
        merged.weight.data.set(conv.weight.sum(0, true).data);
        merged.bias!.data[0] = conv.bias!.sum().item();
        prob.mrfEnergy(merged, x).data.forEach((v, i) => expect(Math.abs(v - e.data[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))));
      }),
    );
  });
});
