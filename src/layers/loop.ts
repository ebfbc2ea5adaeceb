/**
 * The one training loop. Everything that trains in gibbsgrad (`fit`, the experiments' `train`,
 * DCIM's objectives, DRMM's EG and its DCN) is a step definition on it: the loop owns the epoch
 * and batch counting, the optimiser step of a back-propagated loss, the non-finite checks, the
 * epoch logs and records, checkpoint restore and save, and the progress reports.
 *
 * Numbering: epochs and batches count from 1. Epoch e is the e-th pass over the data; its log,
 * its record, its progress report and a checkpoint written after it all carry e, the number of
 * epochs done, and a run resumed after epoch e continues with epoch e + 1.
 */
import { withoutGradNorms } from '../autograd/engine.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';

export interface EpochLog {
  /** From 1: the number of epochs done when this log was written. */
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

export type Progress =
  | { kind: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | { kind: 'epoch'; log: EpochLog; epochs: number }
  | { kind: 'resumed'; epochsDone: number; epochs: number };

/**
 * One batch's work. A loss tensor is back-propagated by the loop, which then takes the optimiser
 * step; a number is the loss of an update the step made itself (DRMM's E-step and G-step). The
 * epoch's loss is the mean of the batch losses weighted by `weight` (rows, or 1 per batch).
 */
export interface BatchResult {
  loss: Tensor | number;
  weight: number;
}

/** An epoch as its step definition sees it: how many batches, and what batch b (from 1) does. */
export interface EpochPlan {
  batches: number;
  step(batch: number): BatchResult;
  /** After batch b's update (e.g. an evaluation inside the epoch). */
  afterStep?(batch: number): void;
}

/** Everything the epochs done so far left: one log and one record per epoch. */
export interface TrainingState<R> {
  logs: EpochLog[];
  records: R[];
}

/** Where a run's state goes after every epoch, and comes back from on a rerun (restore also loads the weights, optimiser and Rngs). */
export interface EpochCheckpoint<R> {
  restore(): TrainingState<R> | null;
  save(state: TrainingState<R>): void;
}

export interface TrainingLoop<R> {
  /** Names the run in errors. */
  name: string;
  model: Module;
  optimizer: Optimizer;
  epochs: number;
  /** Begins epoch e: draws its batch order and returns its plan. */
  beginEpoch(epoch: number): EpochPlan;
  /**
   * After the epoch's last batch: its evaluation, as the epoch's log and record. `loss` is the
   * weighted mean batch loss; `seconds()` the time since the epoch began.
   */
  endEpoch(epoch: number, loss: number, seconds: () => number): { log: EpochLog; record: R };
  checkpoint?: EpochCheckpoint<R> | null;
  /** Called for every epoch restored from the checkpoint, in order, before training continues. */
  onRestored?(log: EpochLog, record: R): void;
  onProgress?(p: Progress): void;
}

/** The first parameter entry that is NaN or ±∞, with its gradient (null when all are finite). */
export function nonFiniteParameter(model: Module): { name: string; index: number; value: number; grad: number | null } | null {
  for (const [name, p] of model.namedParameters()) {
    const w = p.data;
    for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) return { name, index: i, value: w[i], grad: p.grad ? p.grad.data[i] : null };
  }
  return null;
}

/** Runs the epochs not yet done (all of them without a checkpoint to resume from); returns every epoch's log and record. */
export function trainEpochs<R>(loop: TrainingLoop<R>): TrainingState<R> {
  const { name, model, optimizer, epochs, checkpoint, onProgress } = loop;
  const resumed = checkpoint?.restore() ?? null;
  const logs = resumed ? [...resumed.logs] : [];
  const records = resumed ? [...resumed.records] : [];
  if (resumed) {
    onProgress?.({ kind: 'resumed', epochsDone: logs.length, epochs });
    logs.forEach((log, i) => loop.onRestored?.(log, records[i]));
  }
  for (let epoch = logs.length + 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    const plan = loop.beginEpoch(epoch);
    let total = 0;
    let weight = 0;
    // The steps keep no gradient norms for explain(): nothing can picture a step's graph.
    withoutGradNorms(() => {
      for (let batch = 1; batch <= plan.batches; batch++) {
        const result = plan.step(batch);
        const where = `at epoch ${epoch}, batch ${batch}`;
        const value = result.loss instanceof Tensor ? result.loss.item() : result.loss;
        // A non-finite loss would turn every parameter into NaN: stop before the step (after it,
        // for a step that updated the parameters itself).
        if (!Number.isFinite(value)) throw new Error(`${name}: the loss became ${value} ${where}; lower the learning rate or check the data`);
        if (result.loss instanceof Tensor) {
          optimizer.zeroGrad();
          result.loss.backward();
          optimizer.step();
          // The loss was finite before the step; a NaN or ∞ gradient makes parameters NaN in the
          // step itself, which the next loss shows (if nothing downstream hides it) without saying
          // where: check here and name the parameter and the step.
          const bad = nonFiniteParameter(model);
          if (bad) throw new Error(`${name}: parameter ${bad.name}[${bad.index}] became ${bad.value} (gradient ${bad.grad}) ${where}, with a finite loss ${value}`);
        }
        plan.afterStep?.(batch);
        total += value * result.weight;
        weight += result.weight;
        onProgress?.({ kind: 'batch', epoch, batch, batches: plan.batches, loss: value });
      }
    });
    const { log, record } = loop.endEpoch(epoch, total / weight, () => (performance.now() - start) / 1000);
    logs.push(log);
    records.push(record);
    checkpoint?.save({ logs, records });
    onProgress?.({ kind: 'epoch', log, epochs });
  }
  return { logs, records };
}
