/**
 * Pieces the three DRMM experiments share (DRMM paper §4): the digits as images, the model
 * configurations, the NN-DRMM built with a scale suited to [0, 1] pixels, the DCN of the same
 * configuration, and EG training (Algorithm 1 with a G-step) with per-epoch test error.
 */
import { noGrad } from '../autograd/engine.js';
import { describeMnist, loadMnist } from '../data/mnist.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../layers/layers.js';
import { Adam } from '../layers/optim.js';
import { takeRows, type EpochLog } from '../layers/train.js';
import { DRMM, type DRMMLevel } from '../prob/drmm/drmm.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { train } from './common.js';
import { trainingCheckpoint } from './progress.js';
import type { ExperimentContext } from './types.js';

export interface DigitImages {
  xTrain: Tensor; // [N, 1, 28, 28], pixels in [0, 1]
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  description: string;
}

/** Official MNIST digits as [N, 1, 28, 28] images: stratified subsamples of the official training and test sets. */
export function digitImages(ctx: ExperimentContext, trainSize: number, testSize: number): DigitImages {
  const split = loadMnist({ rng: ctx.rng.fork(), trainSize, testSize, layout: 'image' });
  return { ...split, description: `${describeMnist(split)}, 28×28; the paper trains on the 60,000 and tests on the 10,000.` };
}

/** The configurations compared: a 1-level model (the shallow RFM's configuration) and a 2-level DRMM. */
export interface DrmmConfig {
  name: string;
  levels: DRMMLevel[];
}

export function describeConfig(c: DrmmConfig): string {
  return c.levels.map((l) => `conv ${l.kernel}×${l.kernel}×${l.channels} → ReLU → max-pool ${l.pool}×${l.pool}`).join(' → ') + ' → ⟨μ_c, ·⟩ (10 classes)';
}

/**
 * An NN-DRMM for 28×28 digits, initialised at a scale where one rendering is of the order of a
 * digit: the DRMM constructor draws W^(1) ~ U(−1, 1), W^(ℓ≥2) and μ ~ U(0, 1), which renders
 * images ~10³ too bright; each is rescaled by 1/fan-in (1/√fan-in for W^(1)), keeping the signs
 * that make max-sum exact (μ ≥ 0, W^(ℓ≥2) ≥ 0).
 */
export function buildDrmm(config: DrmmConfig, rng: Rng, { sigma = 0.3 } = {}): DRMM {
  const model = new DRMM({ rng, inputShape: [1, 28, 28], numClasses: 10, levels: config.levels, sigma });
  noGrad(() => {
    model.filters.forEach((w, i) => {
      const fanIn = w.size / w.shape[0];
      const scale = i === 0 ? 1 / Math.sqrt(fanIn) : 2 / fanIn;
      for (let j = 0; j < w.size; j++) w.data[j] *= scale;
    });
    const fanIn = model.templates.size / model.templates.shape[0];
    for (let j = 0; j < model.templates.size; j++) model.templates.data[j] *= 2 / Math.sqrt(fanIn);
  });
  return model;
}

/**
 * The DCN of the same configuration (the discriminative relaxation of the DRMM, paper §3.2):
 * the same convolutions, ReLUs and max-pools with free weights and biases, and a linear read-out
 * instead of the nonnegative templates, trained by back-propagation of the cross-entropy.
 */
export function buildDcn(config: DrmmConfig, rng: Rng): Sequential {
  const layers = [];
  let [channels, side] = [1, 28];
  for (const l of config.levels) {
    layers.push(new Conv2d(channels, l.channels, l.kernel, { rng }), new ReLU(), new MaxPool2d(l.pool));
    [channels, side] = [l.channels, (side - l.kernel + 1) / l.pool];
  }
  return new Sequential(...layers, new Flatten(), new Linear(channels * side * side, 10, { rng }));
}

/** Fraction of misclassified rows, in batches without a graph. */
export function testError(model: { forward(x: Tensor): Tensor }, x: Tensor, y: Tensor, batchSize = 500): number {
  let wrong = 0;
  noGrad(() => {
    for (let s = 0; s < x.shape[0]; s += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, x.shape[0] - s) }, (_, k) => s + k);
      const predicted = model.forward(takeRows(x, idx)).argmax(1).data;
      predicted.forEach((p, k) => (wrong += +(p !== y.data[s + k])));
    }
  });
  return wrong / x.shape[0];
}

export interface EgOptions {
  epochs: number;
  lr: number;
  batchSize: number;
  klWeight: number;
  reconWeight: number;
  /** Unlabelled images for the semi-supervised variant: each labelled batch is paired with one of these. */
  unlabelled?: Tensor;
  unlabelledBatchSize?: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  testError: number;
  seconds: number;
}

/**
 * EG training (DRMM Algorithm 1, §4): per mini-batch, an E-step (bottom-up max-sum for ĉ and the
 * argmax positions ĝ, top-down rendering Λ_ĝ μ_c), then a G-step (one Adam step on
 * reconstruction + cross-entropy + KL) and the projection onto the NN-DRMM constraint. With
 * `unlabelled`, an epoch passes once over the unlabelled pool, cycling through the labelled set.
 */
export function trainEg(ctx: ExperimentContext, label: string, model: DRMM, data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor }, opts: EgOptions): EpochRecord[] {
  const { epochs, lr, batchSize, klWeight, reconWeight, unlabelled, unlabelledBatchSize = batchSize } = opts;
  const optimizer = new Adam(model.parameters(), { lr });
  const rng = ctx.rng.fork();
  // Epoch checkpoints as in `train` (common.ts): a rerun resumes instead of training again.
  const { unlabelled: _pool, ...settings } = opts;
  const checkpoint = trainingCheckpoint<EpochRecord>(ctx, label, { net: model, optimizer, batchOrder: rng, data, options: { ...settings, unlabelledShape: unlabelled?.shape ?? null, eg: true } });
  const resumed = checkpoint?.restore({ needRecords: true }) ?? null;
  const records: EpochRecord[] = resumed ? (resumed.records as EpochRecord[]) : [];
  const logs: EpochLog[] = resumed ? [...resumed.logs] : [];
  if (resumed) ctx.report({ kind: 'stage', label: `${label}: resumed after epoch ${records.length}/${epochs}` });
  const nLabelled = data.x.shape[0];
  for (let epoch = records.length; epoch < epochs; epoch++) {
    const start = performance.now();
    let total = 0;
    let steps = 0;
    const order = rng.permutation(nLabelled);
    if (unlabelled) {
      const uOrder = rng.permutation(unlabelled.shape[0]);
      const batches = Math.ceil(uOrder.length / unlabelledBatchSize);
      let cursor = 0;
      for (let b = 0; b < batches; b++) {
        const idx = Array.from({ length: Math.min(batchSize, nLabelled) }, () => order[cursor++ % nLabelled]);
        const uIdx = uOrder.slice(b * unlabelledBatchSize, (b + 1) * unlabelledBatchSize);
        total += model.egStepSemi({ images: takeRows(data.x, idx), labels: takeRows(data.y, idx) }, takeRows(unlabelled, uIdx), optimizer, { klWeight, reconWeight });
        steps++;
        ctx.report({ kind: 'batch', batch: b + 1, batches });
      }
    } else {
      const batches = Math.ceil(nLabelled / batchSize);
      for (let b = 0; b < batches; b++) {
        const idx = order.slice(b * batchSize, (b + 1) * batchSize);
        total += model.egStep(takeRows(data.x, idx), takeRows(data.y, idx), optimizer, { klWeight, reconWeight });
        steps++;
        ctx.report({ kind: 'batch', batch: b + 1, batches });
      }
    }
    const loss = total / steps;
    if (!Number.isFinite(loss)) throw new Error(`trainEg(${label}): the EG objective became ${loss} at epoch ${epoch + 1}; lower the learning rate`);
    const err = testError(model, data.xTest, data.yTest);
    const seconds = (performance.now() - start) / 1000;
    records.push({ epoch: epoch + 1, loss, testError: err, seconds });
    logs.push({ epoch, loss, accuracy: NaN, valAccuracy: 1 - err, seconds });
    checkpoint?.save({ logs, records });
    ctx.report({ kind: 'epoch', label, epoch: epoch + 1, epochs, loss, accuracy: 1 - err });
  }
  return records;
}

/** Back-propagation training of the DCN (Adam, cross-entropy), with the same per-epoch records. */
export function trainDcn(ctx: ExperimentContext, label: string, net: Sequential, data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor }, { epochs, lr, batchSize }: { epochs: number; lr: number; batchSize: number }): EpochRecord[] {
  return train(ctx, label, net, data, { epochs, lr, batchSize }).map((log) => ({ epoch: log.epoch + 1, loss: log.loss, testError: 1 - (log.valAccuracy ?? NaN), seconds: log.seconds }));
}

/** The first epoch whose test error is at most `target` (null: never reached). */
export function epochsToReach(records: readonly EpochRecord[], target: number): number | null {
  return records.find((r) => r.testError <= target)?.epoch ?? null;
}

/**
 * Splits a training pool into n labelled digits, balanced over the 10 classes (the first digits of
 * each class in the pool's order, as in the usual N_L protocol), and the rest (unlabelled).
 */
export function balancedLabelled(y: Tensor, n: number): { labelled: number[]; rest: number[] } {
  const quota = new Array<number>(10).fill(Math.floor(n / 10));
  for (let c = 0; c < n % 10; c++) quota[c]++;
  const labelled: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < y.size; i++) {
    const c = y.data[i];
    if (quota[c] > 0) {
      quota[c]--;
      labelled.push(i);
    } else rest.push(i);
  }
  if (labelled.length !== n) throw new Error(`balancedLabelled: the training pool has too few digits of some class for ${n} balanced labels`);
  return { labelled, rest };
}

/** Mean squared reconstruction error per pixel of each image. */
export function perImageMse(a: Tensor, b: Tensor): number[] {
  const n = a.shape[0];
  const per = a.size / n;
  return Array.from({ length: n }, (_, i) => {
    let e = 0;
    for (let j = 0; j < per; j++) e += (a.data[i * per + j] - b.data[i * per + j]) ** 2;
    return e / per;
  });
}
