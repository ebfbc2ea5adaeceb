// Every computation of a training step goes through the kernel interface: the step is run on a
// backend that counts kernel calls and answers them with the reference kernels. The counts show
// which kernels did the work (the conv bias add and sums, the max-pool argmax, the one-hot
// scatter, the optimiser updates …), and the step's loss, gradients and updated parameters equal
// the reference backend's bit for bit.
import { describe, expect, it } from 'vitest';
import { buildCnn, LB_REPR_CNN1 } from '../../src/experiments/cnn.js';
import { Adam, SGD } from '../../src/layers/optim.js';
import { crossEntropy } from '../../src/layers/losses.js';
import { nodeOf } from '../../src/autograd/engine.js';
import { oneHot } from '../../src/tensor/compute.js';
import { withBackend as on, type Kernels } from '../../src/tensor/kernels.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';
import { DCIM } from '../../src/prob/dcim/model.js';
import { DRMM } from '../../src/prob/drmm/drmm.js';
import '../../src/index.js';
import { COUNTING, countCalls } from '../helpers/counting-backend.js';

interface StepResult {
  loss: number;
  params: Float32Array[];
  grads: Float32Array[];
}

function cnn1Step(): StepResult {
  const rng = new Rng(7);
  const { net } = buildCnn(LB_REPR_CNN1, rng);
  const x = randn([4, 1, 32, 32], rng, { std: 32 });
  const y = new Tensor(Float32Array.from([3, 1, 4, 1]), [4]);
  const optimizer = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const loss = crossEntropy(net.forward(x), y);
  loss.backward();
  const grads = net.parameters().map((p) => p.grad!.data.slice());
  optimizer.step();
  return { loss: loss.item(), params: net.parameters().map((p) => p.data.slice()), grads };
}

function dcimStep(): StepResult {
  const rng = new Rng(11);
  const model = new DCIM([12, 6, 5, 3], { rng });
  const x = randn([5, 12], rng).sigmoid();
  const labels = oneHot([0, 2, 1, 1, 0], 3);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const { loss } = model.bidirectionalLoss(x, labels);
  loss.backward();
  const grads = model.parameters().map((p) => p.grad!.data.slice());
  optimizer.step();
  return { loss: loss.item(), params: model.parameters().map((p) => p.data.slice()), grads };
}

const calls = (m: Map<keyof Kernels, number>, k: keyof Kernels) => m.get(k) ?? 0;

describe('a training step makes no numeric loop outside the kernels', () => {
  it('CNN1 (LB-repr Table 1) with SGD: the expected kernels, and the reference backend’s bits', () => {
    const reference = on('reference', cnn1Step);
    const { result, calls: c } = on(COUNTING, () => countCalls(cnn1Step));
    expect(result).toEqual(reference);
    // two convolutions with bias, two 2×2 poolings, a linear head, six parameters
    expect(calls(c, 'conv2dForward')).toBe(2);
    expect(calls(c, 'addChannelBias')).toBe(0); // conv2dForward adds the bias itself
    expect(calls(c, 'conv2dWeightGrad')).toBe(2);
    expect(calls(c, 'conv2dInputGrad')).toBe(1); // the data's own gradient is skipped
    expect(calls(c, 'channelSums')).toBe(2);
    expect(calls(c, 'maxPool2d')).toBe(2); // the backward reuses the argmax the forward saved
    expect(calls(c, 'maxPool2dBackward')).toBe(2);
    expect(calls(c, 'scatterAdd')).toBeGreaterThanOrEqual(1); // the labels' one-hot rows
    expect(calls(c, 'where')).toBeGreaterThanOrEqual(1); // logSoftmax's shift of non-finite maxima
    expect(calls(c, 'sgdUpdate')).toBe(6);
    expect(calls(c, 'sumOfSquares')).toBeGreaterThan(0);
  });

  it('DCIM 12-6-5-3 (eq 21) with Adam: the expected kernels, and the reference backend’s bits', () => {
    const reference = on('reference', dcimStep);
    const { result, calls: c } = on(COUNTING, () => countCalls(dcimStep));
    expect(result).toEqual(reference);
    expect(calls(c, 'matmul')).toBeGreaterThan(0);
    expect(calls(c, 'adamUpdate')).toBe(reference.params.length);
    expect(calls(c, 'sgdUpdate')).toBe(0);
  });

  it('DRMM: the E-step’s masks come from the max-pool kernel and a scatter, the projection from where', () => {
    const run = () => {
      const rng = new Rng(5);
      const model = new DRMM({ rng, inputShape: [1, 10, 10], levels: [{ channels: 3, kernel: 3, pool: 2 }, { channels: 4, kernel: 2, pool: 1 }], numClasses: 4 });
      const { latents } = model.infer(randn([2, 1, 10, 10], rng));
      model.projectNonnegative();
      return { masks: latents.masks.map((m) => m.data), templates: model.templates.data };
    };
    const reference = on('reference', run);
    const { result, calls: c } = on(COUNTING, () => countCalls(run));
    expect(result).toEqual(reference);
    expect(calls(c, 'maxPool2d')).toBe(4); // per level: the bottom-up pass's pooling and the E-step's winners
    expect(calls(c, 'scatterAdd')).toBe(2);
    expect(calls(c, 'where')).toBeGreaterThanOrEqual(2); // μ and W⁽²⁾ projected
    expect(reference.masks.every((m) => m.every((v) => v === 0 || v === 1))).toBe(true);
  });

  it('max-pooling keeps its argmax with the recorded node, and drops it when backward frees the graph', () => {
    const x = randn([1, 2, 4, 4], new Rng(3), { requiresGrad: true });
    const y = x.maxPool2d({ kernelSize: 2 });
    const saved = nodeOf(y)!.saved;
    expect(saved).toBeInstanceOf(Int32Array);
    expect((saved as Int32Array).length).toBe(y.size);
    y.sum().backward();
    expect(nodeOf(y)!.saved).toBeUndefined();
  });
});
