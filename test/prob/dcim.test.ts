import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, gradcheckParams, nn, oneHot, optim, prob, Rng, rand, Tensor } from '../../src/index.js';

const { DCIM } = prob.dcim;
type Coding = 'pm1' | '01';

/** A random full configuration [x⁰, …, x^d] of binary layers (one-hot on a categorical top). */
function randomConfig(model: InstanceType<typeof DCIM>, n: number, rng: Rng): Tensor[] {
  return model.sizes.map((size, k) => {
    if (k === model.depth && model.top === 'categorical') return oneHot(Array.from({ length: n }, () => rng.int(size)), size);
    const v = Float32Array.from({ length: n * size }, () => (rng.bernoulli(0.5) ? 1 : model.coding === '01' ? 0 : -1));
    return new Tensor(v, [n, size]);
  });
}

/** Backward of `loss` against central differences on every parameter entry of `model`. */
function checkParameterGradients(model: nn.Module, loss: () => Tensor): void {
  const r = gradcheckParams(model.parameters(), loss, { atol: 2e-3, rtol: 2e-2 });
  expect(r.ok, JSON.stringify(r.worst)).toBe(true);
}

const codings: Coding[] = ['01', 'pm1'];

describe('DCIM expectations = the network forward pass (DCIM eq 14)', () => {
  it.each(codings)('coding %s', (coding) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const Act = coding === '01' ? nn.Sigmoid : nn.Tanh;
        const net = new nn.Sequential(new nn.Linear(5, 4, { rng }), new Act(), new nn.Linear(4, 3, { rng }), new Act(), new nn.Linear(3, 2, { rng }), new nn.Softmax());
        const model = DCIM.fromSequential(net);
        expect(model.coding).toBe(coding);
        const x0 = rand([3, 5], rng);
        const outs = net.forwardAll(x0);
        const e = model.expectations(x0);
        [outs[2], outs[4], outs[6]].forEach((o, k) => expect(e[k].data).toEqual(o.data));
      }),
      { numRuns: 20 },
    );
  });
});

describe('DCIM construction', () => {
  it("new DCIM(net) shares the network's Linear layers and reads coding and top off it", () => {
    const rng = new Rng(1);
    const net = new nn.Sequential(new nn.Linear(3, 4, { rng }), new nn.Tanh(), new nn.Linear(4, 2, { rng }), new nn.Tanh());
    const model = new DCIM(net);
    expect([model.coding, model.top, model.sizes]).toEqual(['pm1', 'binary', [3, 4, 2]]);
    expect(model.layers[0]).toBe(net.layers[0]);
    const x0 = rand([2, 3], rng);
    expect(model.expectations(x0)[1].data).toEqual(net.forward(x0).data);
    expect(() => new DCIM(net, { coding: '01' })).toThrow(/implies coding 'pm1'/);
    const bad = new nn.Sequential(new nn.Linear(3, 4, { rng }), new nn.Linear(4, 2, { rng }));
    expect(() => DCIM.fromSequential(bad)).toThrow(/follows another Linear/);
    expect(() => DCIM.fromSequential(new nn.Sequential(new nn.Linear(3, 4, { rng }), new nn.ReLU()))).toThrow(/ReLU/);
  });
});

describe('DCIM eq 19–20: forward and reverse log-probabilities differ only by partition and boundary terms', () => {
  it.each([
    ['01', 'categorical'], ['01', 'binary'], ['pm1', 'categorical'], ['pm1', 'binary'],
  ] as const)('coding %s, %s top', (coding, top) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 4 }), (seed, sizes) => {
        const rng = new Rng(seed);
        const model = new DCIM(sizes, { rng, coding, top });
        for (const p of model.parameters()) p.data.forEach((_, i) => (p.data[i] = rng.normal(0, 1.5)));
        const config = randomConfig(model, 4, rng);
        const lhs = model.logProbForward(config[0], config.slice(1)).sub(model.logProbReverse(config));
        const sum = (ts: Tensor[]) => ts.reduce((a, t) => a.add(t));
        const rhs = sum(model.logZReverse(config)).sub(sum(model.logZForward(config))).add(model.boundaryTerms(config));
        lhs.data.forEach((v, i) => expect(Math.abs(v - rhs.data[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))));
        // With the two boundary biases at 0 (b^d = 0, a⁰ = 0), eq 20 in its printed form:
        // log p − log q = Σ log Z̃ − Σ log Z, nothing else.
        model.layers[model.depth - 1].bias!.data.fill(0);
        model.inputBias.data.fill(0);
        const lhs0 = model.logProbForward(config[0], config.slice(1)).sub(model.logProbReverse(config));
        const rhs0 = sum(model.logZReverse(config)).sub(sum(model.logZForward(config)));
        lhs0.data.forEach((v, i) => expect(Math.abs(v - rhs0.data[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))));
      }),
      { numRuns: 40 },
    );
  });
});

describe('DCIM sampling and approximation (2)', () => {
  it('the mean of many ancestral samples converges to the exact marginals', () => {
    const rng = new Rng(4);
    const model = new DCIM([3, 4, 3, 2], { rng, coding: '01' });
    for (const p of model.parameters()) p.data.forEach((_, i) => (p.data[i] = rng.normal(0, 1.5)));
    const x0 = new Tensor(new Float32Array([1, 0, 1]), [1, 3]);
    const exact = model.exactMarginals(x0);
    const n = 20000;
    const samples = model.sample(new Tensor(new Float32Array(n * 3).map((_, i) => x0.data[i % 3]), [n, 3]), rng);
    samples.forEach((s, k) => {
      const mean = s.mean(0);
      mean.data.forEach((m, j) => expect(Math.abs(m - exact[k].data[j])).toBeLessThan(4 * Math.sqrt(0.25 / n) + 1e-3));
    });
    exact[2].data.reduce((a, v) => a + v, 0);
    expect(exact[2].data.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5); // the categorical top sums to 1
  });

  it('its error vanishes as the weights are scaled towards 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<Coding>('01', 'pm1'), (seed, coding) => {
        const rng = new Rng(seed);
        const model = new DCIM([4, 5, 4, 3], { rng, coding });
        const original = (model.layers as nn.Linear[]).map((l) => l.weight.data.map((v) => v * 6));
        const x0 = rand([1, 4], rng);
        const errorAt = (scale: number) => {
          (model.layers as nn.Linear[]).forEach((l, i) => l.weight.data.set(original[i].map((v) => v * scale)));
          const exact = model.exactMarginals(x0);
          const approx = model.expectations(x0);
          // compare P(x = 1): for ±1 units, (1 + mean)/2
          return Math.max(...exact.flatMap((m, k) => [...m.data].map((p, j) => {
            const a = approx[k].data[j];
            const isTop = k === exact.length - 1;
            return Math.abs(p - (coding === 'pm1' && !isTop ? (1 + a) / 2 : a));
          })));
        };
        // Not monotone at large weights (saturated units are nearly deterministic, so (2) is
        // accurate again there); towards 0 the error vanishes like O(scale²).
        const errors = [0.2, 0.1, 0.05, 0.02, 0.01].map(errorAt);
        for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThanOrEqual(errors[i - 1] + 1e-6);
        expect(errors[4]).toBeLessThanOrEqual(errors[3] / 2 + 1e-6); // halving the scale at least halves it (quadratic: ÷4)
        expect(errors[4]).toBeLessThan(5e-3);
      }),
      { numRuns: 15 },
    );
  });

  it('refuses to enumerate models that are too large', () => {
    const model = new DCIM([2, 17, 2], { rng: new Rng(0) });
    expect(() => model.exactMarginals(rand([1, 2], new Rng(0)))).toThrow(/layer 1 has 17 units; enumeration is limited to 16/);
  });

  it('reverse sampling in both modes returns layers of the right shapes and values', () => {
    const rng = new Rng(2);
    const model = new DCIM([6, 5, 4, 3], { rng });
    const xd = oneHot([0, 2], 3);
    const full = model.sampleReverse(xd, rng, { mode: 'full' });
    expect(full.layers.map((l) => l.shape)).toEqual([[2, 6], [2, 5], [2, 4]]);
    expect([...full.layers[0].data].every((v) => v === 0 || v === 1)).toBe(true);
    const mean = model.sampleReverse(xd, rng, { mode: 'oneLayerThenMean' });
    expect([...mean.layers[2].data].every((v) => v === 0 || v === 1)).toBe(true); // x^{d−1} sampled
    expect([...mean.layers[0].data].some((v) => v > 0 && v < 1)).toBe(true); // then expectations
    const q = model.reverse();
    expect(q.weights.map((w) => w.shape)).toEqual([[6, 5], [5, 4], [4, 3]]);
  });
});

describe('DCIM objectives (eq 21, 22)', () => {
  it('the bidirectional loss passes gradcheck in the input and in every parameter', () => {
    const rng = new Rng(7);
    const model = new DCIM([4, 3, 2], { rng });
    const x0 = rand([3, 4], rng);
    const xd = oneHot([0, 1, 1], 2);
    expect(gradcheck((x) => model.bidirectionalLoss(x, xd).loss, [x0]).ok).toBe(true);
    checkParameterGradients(model, () => model.bidirectionalLoss(x0, xd).loss);
  });

  it('the sampled-reverse loss passes a parameter gradient check (fixed sample) and both losses train', () => {
    const rng = new Rng(8);
    const model = new DCIM([4, 3, 3, 2], { rng, coding: 'pm1' });
    const x0 = rand([5, 4], rng, { low: -1, high: 1 }).sign();
    const xd = oneHot([0, 1, 1, 0, 1], 2);
    checkParameterGradients(model, () => model.sampledReverseLoss(x0, xd, new Rng(3)).loss);
    checkParameterGradients(model, () => model.sampledReverseLoss(x0, xd, new Rng(3), { sampler: 'approximation' }).loss);
    const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
    const first = model.bidirectionalLoss(x0, xd).loss.item();
    for (let i = 0; i < 50; i++) {
      opt.zeroGrad();
      model.bidirectionalLoss(x0, xd).loss.backward();
      opt.step();
    }
    expect(model.bidirectionalLoss(x0, xd).loss.item()).toBeLessThan(first);
  });
});
