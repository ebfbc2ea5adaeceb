// Convolutional DCIM layers (DCIM §3.2): the transposed convolution is conv2d's adjoint, a DCIM of
// convolutions computes the CNN's forward pass, and its reverse model satisfies eq 19–20.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2dTranspose, gradcheckParams, nn, oneHot, prob, Rng, rand, randn, Tensor } from '../../src/index.js';

const { DCIM, DcimConv } = prob.dcim;

const dot = (a: Tensor, b: Tensor) => a.mul(b).sum().item();

describe('conv2dTranspose', () => {
  it('is the adjoint of conv2d in its input: ⟨T(y), x⟩ = ⟨y, conv(x)⟩ for any stride and padding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1 }), (seed, k, stride, padding) => {
        const rng = new Rng(seed);
        const [n, c, o, h, w] = [1 + rng.int(2), 1 + rng.int(3), 1 + rng.int(3), k + rng.int(5), k + 1 + rng.int(5)];
        const weight = randn([o, c, k, k], rng);
        const x = randn([n, c, h, w], rng);
        const cx = x.conv2d(weight, undefined, { stride, padding });
        const y = randn(cx.shape, rng);
        const ty = conv2dTranspose(y, weight, { stride, padding, outputSize: [h, w] });
        expect(ty.shape).toEqual([n, c, h, w]);
        const [lhs, rhs] = [dot(ty, x), dot(y, cx)];
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(rhs)));
      }),
      { numRuns: 60 },
    );
  });

  it('rejects an output size that the convolution does not map to the input', () => {
    const weight = randn([2, 1, 3, 3], new Rng(0));
    expect(() => conv2dTranspose(randn([1, 2, 4, 4], new Rng(1)), weight, { outputSize: [7, 6] })).toThrow(/conv2dTranspose: a convolution of a 7×6 input gives 5×4, but the input is 4×4/);
    expect(() => conv2dTranspose(randn([1, 3, 4, 4], new Rng(1)), weight, { outputSize: [6, 6] })).toThrow(/3 channels but weight \[2, 1, 3, 3\] has 2 output channels/);
  });
});

/** A small CNN in the paper's pattern: conv, strided "pooling" conv, dense, dense (sigmoid, softmax top). */
function smallCnn(rng: Rng, act: 'sigmoid' | 'tanh' = 'sigmoid') {
  const Act = act === 'sigmoid' ? nn.Sigmoid : nn.Tanh;
  const c1 = new nn.Conv2d(1, 2, 3, { rng });
  const c2 = new nn.Conv2d(2, 3, 2, { rng, stride: 2 });
  const d1 = new nn.Linear(3 * 2 * 2, 4, { rng });
  const d2 = new nn.Linear(4, 3, { rng });
  const net = new nn.Sequential(c1, new Act(), c2, new Act(), new nn.Flatten(), d1, new Act(), d2, new nn.Softmax());
  const layers = [new DcimConv(c1, [1, 7, 6]), new DcimConv(c2, [2, 5, 4]), d1, d2];
  return { net, model: new DCIM(layers, { coding: act === 'sigmoid' ? '01' : 'pm1', top: 'categorical' }) };
}

describe('convolutional DCIM', () => {
  it('its expectations are the CNN forward pass (DCIM eq 14 with convolutions)', () => {
    const rng = new Rng(3);
    for (const act of ['sigmoid', 'tanh'] as const) {
      const { net, model } = smallCnn(rng, act);
      expect(model.sizes).toEqual([42, 40, 12, 4, 3]);
      const x = rand([3, 1, 7, 6], rng);
      const e = model.expectations(x.reshape([3, 42]));
      expect(e[3].data).toEqual(net.forward(x).data);
    }
  });

  it('eq 19–20 holds: log p − log q leaves only partition and boundary terms (random weights, both codings)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom<'sigmoid' | 'tanh'>('sigmoid', 'tanh'), (seed, act) => {
        const rng = new Rng(seed);
        const { model } = smallCnn(rng, act);
        for (const p of model.parameters()) p.data.forEach((_, i) => (p.data[i] = rng.normal(0, 1.5)));
        const n = 4;
        const off = act === 'sigmoid' ? 0 : -1;
        const config = model.sizes.map((size, k) =>
          k === model.depth ? oneHot(Array.from({ length: n }, () => rng.int(size)), size) : new Tensor(Float32Array.from({ length: n * size }, () => (rng.bernoulli(0.5) ? 1 : off)), [n, size]),
        );
        const sum = (ts: Tensor[]) => ts.reduce((a, t) => a.add(t));
        const lhs = model.logProbForward(config[0], config.slice(1)).sub(model.logProbReverse(config));
        const rhs = sum(model.logZReverse(config)).sub(sum(model.logZForward(config))).add(model.boundaryTerms(config));
        lhs.data.forEach((v, i) => expect(Math.abs(v - rhs.data[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(v))));
      }),
      { numRuns: 30 },
    );
  });

  it('both generative objectives pass a parameter gradient check', () => {
    const rng = new Rng(5);
    const { model } = smallCnn(rng);
    const x0 = rand([2, 42], rng).sub(0.5).sign().relu();
    const xd = oneHot([0, 2], 3);
    for (const loss of [() => model.bidirectionalLoss(x0, xd).loss, () => model.sampledReverseLoss(x0, xd, new Rng(3)).loss]) {
      const r = gradcheckParams(model.parameters(), loss, { atol: 2e-3, rtol: 2e-2 });
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    }
  });

  it('samples in reverse through the convolutions and refuses to list its reverse weights as matrices', () => {
    const rng = new Rng(6);
    const { model } = smallCnn(rng);
    const { layers, inputMean } = model.sampleReverse(oneHot([1, 2], 3), rng, { mode: 'oneLayerThenMean' });
    expect(layers.map((l) => l.shape)).toEqual([[2, 42], [2, 40], [2, 12], [2, 4]]);
    expect(inputMean.shape).toEqual([2, 42]);
    expect(() => model.reverse()).toThrow(/DCIM.reverse: layer 0 is convolutional/);
  });

  it('rejects an input shape that does not match the convolution', () => {
    const conv = new nn.Conv2d(2, 3, 3, { rng: new Rng(0) });
    expect(() => new DcimConv(conv, [1, 8, 8])).toThrow(/DcimConv: inShape \[1, 8, 8\] has 1 channels but the convolution takes 2/);
    expect(() => new DcimConv(conv, [2, 2, 8])).toThrow(/does not fit the input/);
    expect(() => new DcimConv(new nn.Conv2d(1, 1, 3, { rng: new Rng(0), bias: false }), [1, 8, 8])).toThrow(/no bias/);
  });
});
