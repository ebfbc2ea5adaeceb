/** Pieces the experiments share: mode-dependent sizes, the papers' MLPs, training with progress. */
import { Linear, Sequential, Sigmoid } from '../layers/layers.js';
import { normal } from '../layers/init.js';
import { Adam, SGD } from '../layers/optim.js';
import { fit, type EpochLog } from '../layers/train.js';
import { describeMnist, loadMnist, type MnistSplit } from '../data/mnist.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { reportProgress, trainingCheckpoint } from './progress.js';
import type { ExperimentContext, Mode } from './types.js';

export function byMode<T>(mode: Mode, values: Record<Mode, T>): T {
  return values[mode];
}

/** The official MNIST sized by mode: stratified subsamples for tiny and quick, the papers' 60,000 / 10,000 in full. */
export function mnistFor(ctx: ExperimentContext): MnistSplit & { description: string } {
  const trainSize = byMode(ctx.mode, { tiny: 600, quick: 8000, full: 60000 });
  const testSize = byMode(ctx.mode, { tiny: 200, quick: 2000, full: 10000 });
  const split = loadMnist({ rng: ctx.rng.fork(), trainSize, testSize });
  return { ...split, description: `${describeMnist(split)}.` };
}

/**
 * A sigmoid MLP with the given layer sizes and a linear (logit) output, softmax in the loss.
 * Weights start as PyTorch's default uniform, or, with `gaussianStd`, as i.i.d. N(0, σ²) with
 * zero biases (LB-hidden K.2's "Gaussian random numbers").
 */
export function sigmoidMlp(sizes: readonly number[], rng: Rng, opts: { gaussianStd?: number } = {}): Sequential {
  const layers = sizes.slice(1).flatMap((n, i) => {
    const lin = new Linear(sizes[i], n, { rng });
    if (opts.gaussianStd !== undefined) {
      normal(lin.weight, rng, 0, opts.gaussianStd);
      lin.bias?.data.fill(0);
    }
    return i < sizes.length - 2 ? [lin, new Sigmoid()] : [lin];
  });
  return new Sequential(...layers);
}

/** The Linear layers of a Sequential, in order. */
export function linears(net: Sequential): Linear[] {
  return net.layers.filter((m): m is Linear => m instanceof Linear);
}

/**
 * Trains with Adam (or SGD with momentum when asked), reporting epochs and batches to the context. `afterEpoch` runs after each
 * epoch (e.g. to record statistics of the weights); what it returns is that epoch's record.
 *
 * With a checkpoint folder in the context (the runner sets one), the state is saved after every
 * epoch under `label`, and a rerun of the experiment resumes from it: a finished run restores its
 * final weights instead of training again, an unfinished one continues from its last epoch. For
 * the epochs that are restored rather than trained, `afterEpoch(log, record)` is called again with
 * the record it returned then, and must use that instead of measuring the (later) weights:
 *
 *   afterEpoch: (log, restored) => { const r = restored ?? measure(); curve.push(r); return r; }
 *
 * An afterEpoch that returns nothing cannot be replayed, so its training starts over on a rerun.
 */
export function train<R = void>(
  ctx: ExperimentContext,
  label: string,
  net: Sequential,
  data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor },
  options: { epochs: number; lr?: number; batchSize?: number; weightDecay?: number; flushSubnormals?: boolean; optimizer?: 'adam' | 'sgd'; momentum?: number; afterEpoch?: (log: EpochLog, restored?: R) => R | void },
): EpochLog[] {
  const { epochs, lr = 0.002, batchSize = 32, weightDecay = 0, flushSubnormals = false, momentum = 0, afterEpoch } = options;
  const optimizer = options.optimizer === 'sgd' ? new SGD(net.parameters(), { lr, momentum, weightDecay, flushSubnormals }) : new Adam(net.parameters(), { lr, weightDecay, flushSubnormals });
  const batchOrder = ctx.rng.fork();
  // an afterEpoch that returned no records cannot be replayed: such a run trains from the start
  const checkpoint = trainingCheckpoint<R | null>(ctx, label, { net, optimizer, batchOrder, data, options, needRecords: afterEpoch !== undefined });
  return fit<R>(net, optimizer, { x: data.x, y: data.y }, {
    epochs,
    batchSize,
    rng: batchOrder,
    validation: { x: data.xTest, y: data.yTest },
    checkpoint,
    afterEpoch,
    onProgress: reportProgress(ctx, label),
  });
}

export const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
export const num = (v: number, digits = 3) => v.toFixed(digits);
