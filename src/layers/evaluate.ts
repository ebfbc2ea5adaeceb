/**
 * Evaluation over a data set, the one helper behind every test error and validation loss: the
 * model in eval mode (Dropout off), no graph recorded, consecutive batches of rows in order.
 */
import { noGrad } from '../autograd/engine.js';
import { sliceRows } from '../tensor/rows.js';
import type { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from './losses.js';
import type { Module } from './module.js';

/**
 * Calls `visit(rows, first)` for consecutive batches of at most `batchSize` rows of x (`first`:
 * the index of the batch's first row), with `model` in eval mode and without a graph; the
 * model's training mode is restored afterwards.
 */
export function inEvalBatches(model: Module, x: Tensor, batchSize: number, visit: (rows: Tensor, first: number) => void): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`inEvalBatches: batchSize must be a positive integer, got ${batchSize}`);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < x.shape[0]; s += batchSize) visit(sliceRows(x, s, Math.min(batchSize, x.shape[0] - s)), s);
    });
  } finally {
    model.train(wasTraining);
  }
}

/** Fraction of rows whose argmax matches the label (labels as indices or one-hot rows). */
export function accuracy(output: Tensor, target: Tensor): number {
  const predicted = output.argmax(-1).data;
  const labels = target.ndim === 1 ? target.data : target.argmax(-1).data;
  let hits = 0;
  predicted.forEach((p, i) => (hits += +(p === labels[i])));
  return hits / predicted.length;
}

/** Fraction of rows of x whose argmax under `model.forward` differs from the label in y (class indices). */
export function classificationError(model: Module & { forward(x: Tensor): Tensor }, x: Tensor, y: Tensor, batchSize = 500): number {
  let wrong = 0;
  inEvalBatches(model, x, batchSize, (rows, first) => {
    model.forward(rows).argmax(-1).data.forEach((p, i) => (wrong += +(p !== y.data[first + i])));
  });
  return wrong / x.shape[0];
}

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface EvalResult {
  loss: number;
  accuracy: number;
}

/** Mean loss and accuracy over (x, y), in eval mode and without recording a graph. */
export function evaluate(model: Module, x: Tensor, y: Tensor, { batchSize = 500, loss = crossEntropy as LossFn } = {}): EvalResult {
  let total = 0;
  let hits = 0;
  inEvalBatches(model, x, batchSize, (rows, first) => {
    const out = model.forward(rows);
    const labels = sliceRows(y, first, rows.shape[0]);
    total += loss(out, labels).item() * rows.shape[0];
    hits += accuracy(out, labels) * rows.shape[0];
  });
  return { loss: total / x.shape[0], accuracy: hits / x.shape[0] };
}
