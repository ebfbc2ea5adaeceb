/**
 * What the two DCIM experiments (DCIM §3.1 dense, §3.2 CNN) share: training a DCIM with one of
 * the paper's objectives, measuring accuracy and the reverse model's loss, and sampling
 * class-conditional images from the reverse model q (DCIM Fig. 2, 3).
 *
 * Loss scale. The paper reports the reverse model's loss as 0.23 / 0.14 (§3.2), which is a
 * binary cross-entropy per pixel (Keras averages it over the image), not the per-image
 * −log q(x⁰|·) of eq 21, which is ~100 nats. We train and report on that scale: the reverse term
 * of eq 21/22 divided by the number of pixels n⁰ (`reverseWeight` = 1/n⁰), added to the
 * classifier's cross-entropy. Inputs are the grey values in [0, 1], used as soft targets of the
 * input layer's Bernoulli units (the input layer's conditional is exact, eq 6/8 applied to q).
 */
import { noGrad } from '../autograd/engine.js';
import { glorotUniform } from '../layers/init.js';
import { Adam } from '../layers/optim.js';
import { batches, takeRows, type EpochLog } from '../layers/train.js';
import { DcimConv } from '../prob/dcim/conv.js';
import type { DCIM } from '../prob/dcim/model.js';
import { binaryMean } from '../prob/dcim/units.js';
import { oneHot } from '../tensor/compute.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { trainingCheckpoint } from './progress.js';
import type { ExperimentContext } from './types.js';

/** 'discriminative': log p(x^d|x⁰) only; 'eq21': + log q(x⁰|x^d); 'eq22': + log q(x⁰|x^{d−1}), x^{d−1} ~ p(·|x⁰). */
export type DcimObjective = 'discriminative' | 'eq21' | 'eq22';

export interface DcimEpoch {
  epoch: number;
  /** Mean training objective over the epoch's batches. */
  loss: number;
  trainAccuracy: number;
  valAccuracy: number;
  /** The objective's reverse term, −log q(x⁰|·)/n⁰ (per pixel); absent for discriminative training. */
  trainReverseLoss?: number;
  valReverseLoss?: number;
  seconds: number;
}

export interface DcimData {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

/**
 * Keras' default initialisation, which the paper used: Glorot-uniform weights, zero biases (the
 * reverse model's input bias a⁰ starts at 0 too). Deep sigmoid stacks learn far more slowly from
 * the smaller ±1/√fanIn default of nn.Linear / nn.Conv2d.
 */
export function kerasInit(model: DCIM, rng: Rng, gain = 1): DCIM {
  for (const layer of model.layers) {
    const m = layer instanceof DcimConv ? layer.conv : layer;
    glorotUniform(m.weight, rng, gain);
    m.bias!.data.fill(0);
  }
  model.inputBias.data.fill(0);
  return model;
}

/**
 * Data-dependent start for deep sigmoid stacks (LSUV, Mishkin & Matas 2016): layer by layer on
 * the batch `x`, each hidden unit's (or channel's) pre-activation is shifted to mean 0 and scaled
 * to standard deviation `std` by rescaling its weights and bias. Sigmoid units then start
 * unsaturated and centred, which a network of eight sigmoid layers needs to leave chance level in
 * a few hundred steps. The top layer is left as initialised.
 */
export function centreUnits(model: DCIM, x: Tensor, std = 1): void {
  noGrad(() => {
    let below = x;
    model.layers.forEach((layer, k) => {
      if (k === model.depth - 1) return;
      const [weight, bias] = layer instanceof DcimConv ? [layer.conv.weight, layer.conv.bias!] : [layer.weight, layer.bias!];
      const a = layer.forward(below);
      const [n, units] = a.shape;
      const channels = weight.shape[0];
      const per = units / channels; // positions per channel (1 for a dense layer)
      const fanIn = weight.size / channels;
      for (let c = 0; c < channels; c++) {
        let [m, m2] = [0, 0];
        for (let r = 0; r < n; r++) {
          for (let p = 0; p < per; p++) {
            const v = a.data[r * units + c * per + p];
            m += v;
            m2 += v * v;
          }
        }
        m /= n * per;
        const scale = std / Math.max(Math.sqrt(Math.max(0, m2 / (n * per) - m * m)), 1e-3);
        for (let i = 0; i < fanIn; i++) weight.data[c * fanIn + i] *= scale;
        bias.data[c] = scale * (bias.data[c] - m);
      }
      below = binaryMean(layer.forward(below), model.coding);
    });
  });
}

/**
 * Starts the reverse model at the mean digit: sets q's input bias a⁰ so that, on the batch
 * (x, labels), the mean over the batch of the input layer's reverse pre-activation
 * c⁰ = (W¹)ᵀx̄¹ + a⁰ (x̄¹ from the classes by approximation (2), as in eq 21) is the logit of the
 * mean image. Without it a centred deep stack begins with saturated input units (a per-pixel
 * loss above 1).
 */
export function centreInputBias(model: DCIM, x: Tensor, labels: Tensor): void {
  noGrad(() => {
    model.inputBias.data.fill(0);
    const xd = oneHot(labels, model.sizes[model.depth]);
    const above = model.depth === 1 ? xd : model.reverseExpectations(xd, model.depth, 1)[0];
    const c = model.reversePreActivation(1, above).mean(0);
    const image = x.mean(0);
    image.data.forEach((m, i) => {
      const p = Math.min(1 - 1e-3, Math.max(1e-3, m));
      model.inputBias.data[i] = Math.log(p / (1 - p)) - c.data[i];
    });
  });
}

/** The objective's batch loss: forward cross-entropy plus the reverse term weighted by 1/n⁰. */
function objectiveLoss(model: DCIM, objective: DcimObjective, x: Tensor, xd: Tensor, rng: Rng, reverseWeight: number): { loss: Tensor; reverse: number } {
  if (objective === 'discriminative') return { loss: model.logProbOutputGiven(x, xd).mean().neg(), reverse: NaN };
  const parts = objective === 'eq21' ? model.bidirectionalLoss(x, xd) : model.sampledReverseLoss(x, xd, rng);
  const perPixel = parts.reverseLoss.div(model.sizes[0]);
  return { loss: parts.forwardLoss.add(parts.reverseLoss.mul(reverseWeight)), reverse: perPixel.item() };
}

/** Accuracy of the forward model and, for a generative objective, its reverse loss per pixel. */
export function evaluateDcim(model: DCIM, objective: DcimObjective, x: Tensor, y: Tensor, rng: Rng, batchSize = 250): { accuracy: number; reverseLoss?: number } {
  return noGrad(() => {
    let hits = 0;
    let reverse = 0;
    const classes = model.sizes[model.depth];
    for (const [xb, yb] of batches(x, y, batchSize, null)) {
      const predicted = model.forward(xb).argmax(-1).data;
      predicted.forEach((p, i) => (hits += +(p === yb.data[i])));
      if (objective !== 'discriminative') reverse += objectiveLoss(model, objective, xb, oneHot(yb, classes), rng, 0).reverse * yb.size;
    }
    const n = y.size;
    return objective === 'discriminative' ? { accuracy: hits / n } : { accuracy: hits / n, reverseLoss: reverse / n };
  });
}

/**
 * Trains `model` with Adam on `objective`, reporting progress to the context. After every epoch
 * it measures accuracy (and the reverse loss) on the validation digits and on a fixed subset of
 * the training digits of the same size (the training curve of DCIM Fig. 1).
 */
export function trainDcim(
  ctx: ExperimentContext,
  label: string,
  model: DCIM,
  data: DcimData,
  options: { objective: DcimObjective; epochs: number; lr?: number; batchSize?: number; reverseWeight?: number },
): DcimEpoch[] {
  const { objective, epochs, lr = 1e-3, batchSize = 64, reverseWeight = 1 / model.sizes[0] } = options;
  const optimizer = new Adam(model.parameters(), { lr });
  const order = ctx.rng.fork();
  const sampling = ctx.rng.fork(); // x^{d−1} draws of eq 22
  const evalRng = ctx.rng.fork();
  // Epoch checkpoints as in `train` (common.ts), with all three Rngs: a rerun resumes bit for bit.
  const checkpoint = trainingCheckpoint<DcimEpoch>(ctx, label, {
    net: model, optimizer, batchOrder: [order, sampling, evalRng],
    data: { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest },
    options: { ...options, lr, batchSize, reverseWeight, dcim: true },
  });
  const resumed = checkpoint?.restore({ needRecords: true }) ?? null;
  const log = resumed ? (resumed.records as DcimEpoch[]) : [];
  const logs: EpochLog[] = resumed ? [...resumed.logs] : [];
  if (resumed) ctx.report({ kind: 'stage', label: `${label}: resumed after epoch ${log.length}/${epochs}` });
  const classes = model.sizes[model.depth];
  const trainProbe = Array.from({ length: Math.min(data.yTrain.size, data.yTest.size) }, (_, i) => i);
  const [xProbe, yProbe] = [takeRows(data.xTrain, trainProbe), takeRows(data.yTrain, trainProbe)];
  const batchCount = Math.ceil(data.yTrain.size / batchSize);
  for (let epoch = log.length + 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    let total = 0;
    let b = 0;
    for (const [xb, yb] of batches(data.xTrain, data.yTrain, batchSize, order)) {
      optimizer.zeroGrad();
      const { loss } = objectiveLoss(model, objective, xb, oneHot(yb, classes), sampling, reverseWeight);
      const value = loss.item();
      if (!Number.isFinite(value)) throw new Error(`trainDcim (${label}): the ${objective} loss became ${value} in epoch ${epoch}, batch ${b + 1}`);
      loss.backward();
      optimizer.step();
      total += value * yb.size;
      ctx.report({ kind: 'batch', batch: ++b, batches: batchCount });
    }
    const train = evaluateDcim(model, objective, xProbe, yProbe, evalRng);
    const val = evaluateDcim(model, objective, data.xTest, data.yTest, evalRng);
    const record: DcimEpoch = { epoch, loss: total / data.yTrain.size, trainAccuracy: train.accuracy, valAccuracy: val.accuracy, seconds: (performance.now() - start) / 1000 };
    if (objective !== 'discriminative') Object.assign(record, { trainReverseLoss: train.reverseLoss, valReverseLoss: val.reverseLoss });
    log.push(record);
    logs.push({ epoch: epoch - 1, loss: record.loss, accuracy: record.trainAccuracy, valAccuracy: record.valAccuracy, seconds: record.seconds });
    checkpoint?.save({ logs, records: log });
    ctx.report({ kind: 'epoch', label, epoch, epochs, loss: record.loss, accuracy: record.valAccuracy });
  }
  return log;
}

/**
 * Reference points for the reverse loss (per pixel, on the validation digits): a q that draws
 * the mean training digit whatever the class, and one that draws its class's mean digit. Under
 * approximation (2), q(x⁰ | x^d) of eq 21 is a product of Bernoullis given the class alone, so
 * the class-mean loss is the lowest it can reach; eq 22 conditions on x^{d−1} drawn for this very
 * image and can go below it.
 */
export function reverseLossReferences(data: DcimData): { meanDigit: number; classMeanDigit: number } {
  const pixels = data.xTrain.shape[1];
  const classes = 1 + Math.max(...data.yTrain.data, ...data.yTest.data);
  const sums = new Float64Array((classes + 1) * pixels); // rows 0..classes−1: per class; last row: all
  const counts = new Float64Array(classes + 1);
  data.yTrain.data.forEach((c, r) => {
    for (const row of [c, classes]) {
      counts[row]++;
      for (let i = 0; i < pixels; i++) sums[row * pixels + i] += data.xTrain.data[r * pixels + i];
    }
  });
  const clip = (p: number) => Math.min(1 - 1e-3, Math.max(1e-3, p));
  const bce = (row: number, r: number) => {
    let s = 0;
    for (let i = 0; i < pixels; i++) {
      const p = clip(sums[row * pixels + i] / Math.max(1, counts[row]));
      const t = data.xTest.data[r * pixels + i];
      s -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
    }
    return s / pixels;
  };
  let [meanDigit, classMeanDigit] = [0, 0];
  data.yTest.data.forEach((c, r) => {
    meanDigit += bce(classes, r);
    classMeanDigit += bce(c, r);
  });
  return { meanDigit: meanDigit / data.yTest.size, classMeanDigit: classMeanDigit / data.yTest.size };
}

export interface ClassSamples {
  /** Input-layer probabilities q(x⁰ = 1 | ·) of each sample, [classes·perClass, n⁰], class-major. */
  images: Tensor;
  classes: number[];
  /** The forward model's class and its probability for each sample (DCIM Fig. 2 captions). */
  predicted: number[];
  probability: number[];
}

/**
 * `perClass` samples of every class from the reverse model (DCIM Fig. 2): 'full' samples every
 * hidden layer down to x¹; 'oneLayerThenMean' samples x^{d−1} only and then takes expectations.
 * Either way the picture is the input layer's probabilities given the layer above it.
 */
export function classSamples(model: DCIM, rng: Rng, mode: 'full' | 'oneLayerThenMean', perClass = 10): ClassSamples {
  const numClasses = model.sizes[model.depth];
  const classes = Array.from({ length: numClasses * perClass }, (_, i) => Math.floor(i / perClass));
  return noGrad(() => {
    const { inputMean } = model.sampleReverse(oneHot(classes, numClasses), rng, { mode });
    const probs = model.forward(inputMean);
    const predicted = [...probs.argmax(-1).data];
    const probability = predicted.map((c, i) => probs.data[i * numClasses + c]);
    return { images: inputMean, classes, predicted, probability };
  });
}

/** Fraction of samples that the forward model assigns to the class they were sampled from. */
export function sampleAgreement(s: ClassSamples): number {
  return s.predicted.filter((c, i) => c === s.classes[i]).length / s.classes.length;
}

/**
 * How different the samples of one class are from each other: the per-pixel standard deviation
 * across a class's samples, averaged over pixels and classes. Near 0 when q has learned one mean
 * shape per class; larger when its samples show several writing styles (DCIM Fig. 3).
 */
export function withinClassSpread(s: ClassSamples): number {
  const [k, n] = s.images.shape;
  const groups = new Map<number, number[]>();
  s.classes.forEach((c, i) => groups.set(c, [...(groups.get(c) ?? []), i]));
  let total = 0;
  for (const rows of groups.values()) {
    let spread = 0;
    for (let p = 0; p < n; p++) {
      let m = 0;
      let m2 = 0;
      for (const r of rows) {
        const v = s.images.data[r * n + p];
        m += v;
        m2 += v * v;
      }
      m /= rows.length;
      spread += Math.sqrt(Math.max(0, m2 / rows.length - m * m));
    }
    total += spread / n;
  }
  return k === 0 ? 0 : total / groups.size;
}

/** DCIM Fig. 2 captions: "class probability" over each sample. */
export function sampleCaptions(s: ClassSamples): string[] {
  return s.predicted.map((c, i) => `${c} ${s.probability[i].toFixed(2)}`);
}
