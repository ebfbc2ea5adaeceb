/**
 * A small training loop: seeded shuffled mini-batches, `fit` (per-epoch loss and accuracy, with
 * optional validation) and `evaluate` (eval mode, no graph). A progress callback reports every
 * batch and epoch, so a CLI can draw progress bars without the loop knowing about terminals.
 */
import { noGrad } from '../autograd/engine.js';
import { Rng } from '../tensor/rng.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from './losses.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';

/** Rows `idx` of x (along the first axis). */
export function takeRows(x: Tensor, idx: ArrayLike<number>): Tensor {
  const row = x.size / x.shape[0];
  const out = new Float32Array(idx.length * row);
  for (let k = 0; k < idx.length; k++) out.set(x.data.subarray(idx[k] * row, (idx[k] + 1) * row), k * row);
  return new Tensor(out, [idx.length, ...x.shape.slice(1)]);
}

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

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** Fraction of rows whose argmax matches the label (labels as indices or one-hot rows). */
export function accuracy(output: Tensor, target: Tensor): number {
  const predicted = output.argmax(-1).data;
  const labels = target.ndim === 1 ? target.data : target.argmax(-1).data;
  let hits = 0;
  predicted.forEach((p, i) => (hits += +(p === labels[i])));
  return hits / predicted.length;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
}

/** Mean loss and accuracy over (x, y), in eval mode and without recording a graph. */
export function evaluate(model: Module, x: Tensor, y: Tensor, { batchSize = 500, loss = crossEntropy as LossFn } = {}): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let hits = 0;
  noGrad(() => {
    for (const [xb, yb] of batches(x, y, batchSize, null)) {
      const out = model.forward(xb);
      total += loss(out, yb).item() * xb.shape[0];
      hits += accuracy(out, yb) * xb.shape[0];
    }
  });
  model.train(wasTraining);
  return { loss: total / x.shape[0], accuracy: hits / x.shape[0] };
}

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

export type Progress =
  | { kind: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { kind: 'epoch'; log: EpochLog; epochs: number };

export interface FitOptions {
  epochs: number;
  batchSize: number;
  rng: Rng;
  loss?: LossFn;
  validation?: { x: Tensor; y: Tensor };
  onProgress?: (p: Progress) => void;
  /** First epoch number (to resume a run); epochs counts the total. */
  startEpoch?: number;
}

/** The first parameter entry that is NaN or ±∞, with its gradient (null when all are finite). */
export function nonFiniteParameter(model: Module): { name: string; index: number; value: number; grad: number | null } | null {
  for (const [name, p] of model.namedParameters()) {
    const w = p.data;
    for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) return { name, index: i, value: w[i], grad: p.grad ? p.grad.data[i] : null };
  }
  return null;
}

/** Trains `model` with `optimizer` on (x, y); returns one log entry per epoch. */
export function fit(model: Module, optimizer: Optimizer, data: { x: Tensor; y: Tensor }, opts: FitOptions): EpochLog[] {
  const { epochs, batchSize, rng, loss = crossEntropy, validation, onProgress, startEpoch = 0 } = opts;
  if (!(rng instanceof Rng)) throw new Error('fit: pass { rng: new Rng(seed) } for the batch order');
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  if (data.x.ndim === 0 || data.x.shape[0] === 0) throw new Error(`fit: the training data x ${fmt(data.x.shape)} has no rows`);
  const logs: EpochLog[] = [];
  const nBatches = Math.ceil(data.x.shape[0] / batchSize);
  for (let epoch = startEpoch; epoch < epochs; epoch++) {
    const start = performance.now();
    model.train();
    let total = 0;
    let hits = 0;
    let b = 0;
    for (const [xb, yb] of batches(data.x, data.y, batchSize, rng)) {
      optimizer.zeroGrad();
      const out = model.forward(xb);
      const l = loss(out, yb);
      const value = l.item();
      // Stop before the step: a non-finite loss would turn every parameter into NaN.
      if (!Number.isFinite(value)) throw new Error(`fit: the loss became ${value} at epoch ${epoch}, batch ${b}; lower the learning rate or check the data`);
      l.backward();
      optimizer.step();
      // The loss was finite before the step; a NaN or ∞ gradient makes parameters NaN in the step
      // itself, which the next loss shows (if nothing downstream hides it) without saying where:
      // check here and name the parameter and the step.
      const bad = nonFiniteParameter(model);
      if (bad) throw new Error(`fit: parameter ${bad.name}[${bad.index}] became ${bad.value} (gradient ${bad.grad}) at epoch ${epoch}, batch ${b}, with a finite loss ${value}`);
      total += value * xb.shape[0];
      hits += accuracy(out, yb) * xb.shape[0];
      onProgress?.({ kind: 'batch', epoch, batch: b++, batches: nBatches, loss: value });
    }
    const log: EpochLog = { epoch, loss: total / data.x.shape[0], accuracy: hits / data.x.shape[0], seconds: 0 };
    if (validation) {
      const v = evaluate(model, validation.x, validation.y, { loss });
      log.valLoss = v.loss;
      log.valAccuracy = v.accuracy;
    }
    log.seconds = (performance.now() - start) / 1000;
    logs.push(log);
    onProgress?.({ kind: 'epoch', log, epochs });
  }
  return logs;
}
