/**
 * `fit`: supervised training of a module on (x, y) with seeded shuffled mini-batches, per-epoch
 * loss and accuracy and optional validation, as a step definition on the one training loop
 * (loop.ts, which also numbers the epochs: from 1). A progress callback reports every batch and
 * epoch, so a CLI can draw progress bars without the loop knowing about terminals.
 */
import { Rng } from '../tensor/rng.js';
import { takeRows } from '../tensor/rows.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { accuracy, evaluate, type LossFn } from './evaluate.js';
import { crossEntropy } from './losses.js';
import { trainEpochs, type EpochCheckpoint, type EpochLog, type Progress } from './loop.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';

export { accuracy, evaluate, type EvalResult, type LossFn } from './evaluate.js';
export { nonFiniteParameter, type EpochLog, type Progress } from './loop.js';
export { takeRows } from '../tensor/rows.js';

/**
 * Mini-batches of (x, y) in an order shuffled by `rng` (or in order when rng is null). The last
 * batch may be smaller.
 */
export function* batches(x: Tensor, y: Tensor, batchSize: number, rng: Rng | null): Generator<[Tensor, Tensor]> {
  if (x.shape[0] !== y.shape[0]) throw new Error(`batches: x ${fmt(x.shape)} and y ${fmt(y.shape)} have different numbers of rows`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`);
  const n = x.shape[0];
  const order = rng ? rng.permutation(n) : Array.from({ length: n }, (_, i) => i);
  for (let s = 0; s < n; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    yield [takeRows(x, idx), takeRows(y, idx)];
  }
}

export interface FitOptions<R = void> {
  epochs: number;
  batchSize: number;
  rng: Rng;
  loss?: LossFn;
  validation?: { x: Tensor; y: Tensor };
  onProgress?: (p: Progress) => void;
  /**
   * Saves the state after every epoch and, on a rerun, restores it and trains only the epochs
   * not yet done. `afterEpoch`'s records are kept with it (null when it returned nothing).
   */
  checkpoint?: EpochCheckpoint<R | null> | null;
  /**
   * Runs after each epoch; what it returns is that epoch's record. For the epochs restored from
   * the checkpoint it is called again with the record it returned then (`restored`).
   */
  afterEpoch?: (log: EpochLog, restored?: R) => R | void;
}

/** Trains `model` with `optimizer` on (x, y); returns one log entry per epoch (restored ones included). */
export function fit<R = void>(model: Module, optimizer: Optimizer, data: { x: Tensor; y: Tensor }, opts: FitOptions<R>): EpochLog[] {
  const { epochs, batchSize, rng, loss = crossEntropy, validation, afterEpoch } = opts;
  if (!(rng instanceof Rng)) throw new Error('fit: pass { rng: new Rng(seed) } for the batch order');
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  if (data.x.ndim === 0 || data.x.shape[0] === 0) throw new Error(`fit: the training data x ${fmt(data.x.shape)} has no rows`);
  const n = data.x.shape[0];
  let hits = 0;
  return trainEpochs<R | null>({
    name: 'fit', model, optimizer, epochs, checkpoint: opts.checkpoint, onProgress: opts.onProgress,
    onRestored: (log, record) => afterEpoch?.(log, record as R),
    beginEpoch: () => {
      model.train();
      hits = 0;
      const order = batches(data.x, data.y, batchSize, rng);
      let out: Tensor;
      let labels: Tensor;
      return {
        batches: Math.ceil(n / batchSize),
        step: () => {
          const [xb, yb] = order.next().value as [Tensor, Tensor];
          [out, labels] = [model.forward(xb), yb];
          return { loss: loss(out, yb), weight: xb.shape[0] };
        },
        afterStep: () => (hits += accuracy(out, labels) * labels.shape[0]),
      };
    },
    endEpoch: (epoch, meanLoss, seconds) => {
      const log: EpochLog = { epoch, loss: meanLoss, accuracy: hits / n, seconds: 0 };
      if (validation) {
        const v = evaluate(model, validation.x, validation.y, { loss });
        log.valLoss = v.loss;
        log.valAccuracy = v.accuracy;
      }
      log.seconds = seconds();
      return { log, record: afterEpoch?.(log) ?? null };
    },
  }).logs;
}
