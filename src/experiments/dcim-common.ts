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
 *
 * Eq 22's draw. The paper samples x^{d−1} "from p_θ(x^{d−1}|x⁰)" and computes p(·|x⁰) by
 * approximation (2) throughout (§2.2; its experiments use "only DNN inference or sampling only a
 * single layer", §1): the forward pass's means x̄^{d−1}, then one layer of independent Bernoulli
 * units. That is `sampler: 'approximation'`, the default here; 'chain' draws x¹ → … → x^{d−1}
 * exactly through the DCIM's conditionals (eq 13), the engine's default.
 */
import { noGrad } from '../autograd/engine.js';
import { glorotUniform } from '../layers/init.js';
import { Adam } from '../layers/optim.js';
import { inEvalBatches } from '../layers/evaluate.js';
import { trainEpochs } from '../layers/loop.js';
import { batches } from '../layers/train.js';
import { DcimConv } from '../prob/dcim/conv.js';
import type { DCIM } from '../prob/dcim/model.js';
import type { SampledReverseOptions } from '../prob/dcim/objectives.js';
import { binaryMean, drawBinary } from '../prob/dcim/units.js';
import { oneHot } from '../tensor/compute.js';
import { Rng } from '../tensor/rng.js';
import { rowRange, rowsByClass, sliceRows, takeRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';
import { meanWithSe, type Quantity } from './claims.js';
import { experimentRun } from './progress.js';
import type { ExperimentContext } from './types.js';

/** 'discriminative': log p(x^d|x⁰) only; 'eq21': + log q(x⁰|x^d); 'eq22': + log q(x⁰|x^{d−1}), x^{d−1} ~ p(·|x⁰). */
export type DcimObjective = 'discriminative' | 'eq21' | 'eq22';

/** How eq 22 draws x^{d−1} from p(x^{d−1} | x⁰) (see the file's comment). */
export type Eq22Sampler = NonNullable<SampledReverseOptions['sampler']>;

export interface DcimEpoch {
  epoch: number;
  /** Mean training objective over the epoch's batches. */
  loss: number;
  trainAccuracy: number;
  valAccuracy: number;
  /** The objective's reverse term, −log q(x⁰|·)/n⁰ (per pixel); absent for discriminative training. */
  trainReverseLoss?: number;
  valReverseLoss?: number;
  /** Standard error of valReverseLoss over the validation images (and, for eq 22, their x^{d−1} draws). */
  valReverseLossSe?: number;
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

/**
 * x^{d−1} drawn from p(x^{d−1} | x⁰) as eq 22 draws it, in the engine's order of draws
 * (sampledReverseLoss, src/prob/dcim/objectives.ts), so that a loss evaluated here equals the
 * trained one for the same Rng. `means` are the expectations of `x0` when already computed.
 */
function drawBelowTop(model: DCIM, x0: Tensor, rng: Rng, sampler: Eq22Sampler, means?: Tensor[]): Tensor {
  return noGrad(() =>
    sampler === 'chain' ? model.sample(x0, rng, { upTo: model.depth - 1 })[model.depth - 2] : drawBinary((means ?? model.expectations(x0))[model.depth - 2], model.coding, rng),
  );
}

/**
 * Each image's reverse loss per pixel, −log q(x⁰ | ·)/n⁰ [N]: given the class for eq 21, given
 * x^{d−1} drawn from p(·|x⁰) for eq 22 (one draw per image). Its mean is the objective's reverse term / n⁰.
 */
export function reverseLossPerImage(model: DCIM, objective: 'eq21' | 'eq22', x0: Tensor, xd: Tensor, rng: Rng, sampler: Eq22Sampler = 'approximation', means?: Tensor[]): Tensor {
  const logq = objective === 'eq21' || model.depth < 2 ? model.logProbInputGiven(x0, xd, model.depth) : model.logProbInputGiven(x0, drawBelowTop(model, x0, rng, sampler, means), model.depth - 1);
  return logq.neg().div(model.sizes[0]);
}

/** The objective's batch loss: forward cross-entropy plus the reverse term weighted by `reverseWeight`. */
function objectiveLoss(model: DCIM, objective: DcimObjective, x: Tensor, xd: Tensor, rng: Rng, reverseWeight: number, sampler: Eq22Sampler): Tensor {
  if (objective === 'discriminative') return model.logProbOutputGiven(x, xd).mean().neg();
  const parts = objective === 'eq21' ? model.bidirectionalLoss(x, xd) : model.sampledReverseLoss(x, xd, rng, { sampler });
  return parts.forwardLoss.add(parts.reverseLoss.mul(reverseWeight));
}

/** Accuracy of the forward model on n digits and, for a generative objective, its reverse loss per pixel (mean ± SE over the images). */
export interface DcimEvaluation {
  n: number;
  accuracy: number;
  /** Indices of the misclassified digits (few at paper scale), for paired comparisons of two models on the same digits. */
  errors: number[];
  reverseLoss?: Quantity;
}

/**
 * accuracy(B) − accuracy(A) of two classifiers on the same n digits, from the indices each got
 * wrong, with the paired standard error √((b + c)/n − d²)/√n (b, c: digits only A, only B got
 * right; d the difference). Much smaller than the unpaired SE when the two agree on most digits.
 */
export function pairedAccuracyDifference(errorsA: readonly number[], errorsB: readonly number[], n: number): Quantity {
  const a = new Set(errorsA);
  const b = new Set(errorsB);
  const onlyA = [...b].filter((i) => !a.has(i)).length; // A right, B wrong
  const onlyB = [...a].filter((i) => !b.has(i)).length; // B right, A wrong
  const d = (onlyB - onlyA) / n;
  return { value: d, se: Math.sqrt(Math.max(0, (onlyA + onlyB) / n - d * d) / n), unit: 'percent' };
}

/** Accuracy of the forward model and, for a generative objective, its reverse loss per pixel. */
export function evaluateDcim(model: DCIM, objective: DcimObjective, x: Tensor, y: Tensor, rng: Rng, { batchSize = 250, sampler = 'approximation' as Eq22Sampler } = {}): DcimEvaluation {
  const errors: number[] = [];
  const n = y.size;
  const perImage = new Float64Array(n);
  const classes = model.sizes[model.depth];
  inEvalBatches(model, x, batchSize, (xb, at) => {
    const yb = sliceRows(y, at, xb.shape[0]);
    const means = model.expectations(xb);
    const predicted = means[model.depth - 1].argmax(-1).data;
    predicted.forEach((p, i) => p !== yb.data[i] && errors.push(at + i));
    if (objective !== 'discriminative') perImage.set(reverseLossPerImage(model, objective, xb, oneHot(yb, classes), rng, sampler, means).data, at);
  });
  const accuracy = 1 - errors.length / n;
  return objective === 'discriminative' ? { n, accuracy, errors } : { n, accuracy, errors, reverseLoss: meanWithSe([...perImage]) };
}

/**
 * Trains `model` with Adam on `objective`, reporting progress to the context. After every epoch
 * it measures accuracy (and the reverse loss) on the first `curveSize` validation digits (default:
 * all) and on as many training digits (the training curve of DCIM Fig. 1). The reverse term is
 * weighted by `reverseWeight` (default 1/n⁰: per pixel); eq 22 draws x^{d−1} with `sampler`.
 */
export function trainDcim(
  ctx: ExperimentContext,
  label: string,
  model: DCIM,
  data: DcimData,
  options: { objective: DcimObjective; epochs: number; lr?: number; batchSize?: number; reverseWeight?: number; sampler?: Eq22Sampler; curveSize?: number },
): DcimEpoch[] {
  const { objective, epochs, lr = 1e-3, batchSize = 64, reverseWeight = 1 / model.sizes[0], sampler = 'approximation', curveSize = data.yTest.size } = options;
  const optimizer = new Adam(model.parameters(), { lr });
  const order = ctx.rng.fork();
  const sampling = ctx.rng.fork(); // x^{d−1} draws of eq 22
  const evalRng = ctx.rng.fork();
  const classes = model.sizes[model.depth];
  const first = (n: number) => rowRange(0, Math.min(n, curveSize));
  const [xProbe, yProbe] = [takeRows(data.xTrain, first(data.yTrain.size)), takeRows(data.yTrain, first(data.yTrain.size))];
  const [xCurve, yCurve] = curveSize >= data.yTest.size ? [data.xTest, data.yTest] : [takeRows(data.xTest, first(data.yTest.size)), takeRows(data.yTest, first(data.yTest.size))];
  return trainEpochs<DcimEpoch>({
    // Epoch checkpoints as in `train` (common.ts), with all three Rngs: a rerun resumes bit for bit.
    ...experimentRun(ctx, label, {
      net: model, optimizer, batchOrder: [order, sampling, evalRng],
      data: { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest },
      options: { ...options, lr, batchSize, reverseWeight, sampler, curveSize, dcim: true },
    }),
    epochs,
    beginEpoch: () => {
      const rows = batches(data.xTrain, data.yTrain, batchSize, order);
      return {
        batches: Math.ceil(data.yTrain.size / batchSize),
        step: () => {
          const [xb, yb] = rows.next().value as [Tensor, Tensor];
          return { loss: objectiveLoss(model, objective, xb, oneHot(yb, classes), sampling, reverseWeight, sampler), weight: yb.size };
        },
      };
    },
    endEpoch: (epoch, loss, seconds) => {
      const train = evaluateDcim(model, objective, xProbe, yProbe, evalRng, { sampler });
      const val = evaluateDcim(model, objective, xCurve, yCurve, evalRng, { sampler });
      const record: DcimEpoch = { epoch, loss, trainAccuracy: train.accuracy, valAccuracy: val.accuracy, seconds: seconds() };
      if (train.reverseLoss && val.reverseLoss) Object.assign(record, { trainReverseLoss: train.reverseLoss.value, valReverseLoss: val.reverseLoss.value, valReverseLossSe: val.reverseLoss.se });
      return { log: { epoch, loss, accuracy: record.trainAccuracy, valAccuracy: record.valAccuracy, seconds: record.seconds }, record };
    },
  }).records;
}

/**
 * Reference points for the reverse loss (per pixel, on the validation digits, mean ± SE over the
 * images): a q that draws the mean training digit whatever the class, and one that draws its
 * class's mean digit. Under approximation (2), q(x⁰ | x^d) of eq 21 is a product of Bernoullis
 * given the class alone, so the class-mean loss is the lowest it can reach; eq 22 conditions on
 * x^{d−1} drawn for this very image and can go below it.
 */
export function reverseLossReferences(data: DcimData): { meanDigit: number; meanDigitSe: number; classMeanDigit: number; classMeanDigitSe: number } {
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
  const logs = Array.from({ length: classes + 1 }, (_, row) =>
    Array.from({ length: pixels }, (_, i) => {
      const p = clip(sums[row * pixels + i] / Math.max(1, counts[row]));
      return [Math.log(p), Math.log(1 - p)] as const;
    }),
  );
  const bce = (row: number, r: number) => {
    let s = 0;
    for (let i = 0; i < pixels; i++) {
      const t = data.xTest.data[r * pixels + i];
      s -= t * logs[row][i][0] + (1 - t) * logs[row][i][1];
    }
    return s / pixels;
  };
  const meanDigit = meanWithSe(Array.from(data.yTest.data, (_, r) => bce(classes, r)));
  const classMeanDigit = meanWithSe(Array.from(data.yTest.data, (c, r) => bce(c, r)));
  return { meanDigit: meanDigit.value, meanDigitSe: meanDigit.se ?? 0, classMeanDigit: classMeanDigit.value, classMeanDigitSe: classMeanDigit.se ?? 0 };
}

/**
 * Whether a run learned enough for a claim about it to be tested (a quick run that did not is
 * "not tested at this scale", whatever its numbers): the forward model classifies the
 * validation digits at least halfway from chance to perfect (≥ 55 % for 10 classes), and q's
 * reverse loss lies below the mean digit's by at least a quarter of the gap between the mean
 * digit and the class-mean digits (the class information a q given the class can use).
 */
export function learnedEnough(run: { accuracy: number; reverseLoss?: number }, references: { meanDigit: number; classMeanDigit: number }, classes = 10): { forward: boolean; reverse: boolean } {
  const chance = 1 / classes;
  const forward = run.accuracy >= chance + (1 - chance) / 2;
  const reverse = run.reverseLoss !== undefined && run.reverseLoss <= references.meanDigit - (references.meanDigit - references.classMeanDigit) / 4;
  return { forward, reverse };
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
 * Either way the picture is the input layer's probabilities given the layer above it. One class
 * at a time, so that a convolutional model's wide layers stay small in memory.
 */
export function classSamples(model: DCIM, rng: Rng, mode: 'full' | 'oneLayerThenMean', perClass = 10): ClassSamples {
  const numClasses = model.sizes[model.depth];
  const parts = Array.from({ length: numClasses }, (_, c) =>
    noGrad(() => {
      const classes = Array.from({ length: perClass }, () => c);
      const { inputMean } = model.sampleReverse(oneHot(classes, numClasses), rng, { mode });
      const probs = model.forward(inputMean);
      const predicted = [...probs.argmax(-1).data];
      const probability = predicted.map((p, i) => probs.data[i * numClasses + p]);
      return { images: inputMean, classes, predicted, probability };
    }),
  );
  const pixels = model.sizes[0];
  const images = new Float32Array(numClasses * perClass * pixels);
  parts.forEach((p, c) => images.set(p.images.data, c * perClass * pixels));
  return {
    images: new Tensor(images, [numClasses * perClass, pixels]),
    classes: parts.flatMap((p) => p.classes),
    predicted: parts.flatMap((p) => p.predicted),
    probability: parts.flatMap((p) => p.probability),
  };
}

/** The first `k` samples of each class (the pictures show 10 per class; the statistics use more). */
export function firstPerClass(s: ClassSamples, k: number): ClassSamples {
  const rows = rowsByClass(s.classes).flatMap((r) => r.slice(0, k)).sort((a, b) => a - b);
  return { images: takeRows(s.images, rows), classes: rows.map((i) => s.classes[i]), predicted: rows.map((i) => s.predicted[i]), probability: rows.map((i) => s.probability[i]) };
}

/** Fraction of samples that the forward model assigns to the class they were sampled from. */
export function sampleAgreement(s: ClassSamples): number {
  return s.predicted.filter((c, i) => c === s.classes[i]).length / s.classes.length;
}

/**
 * How different the samples of one class are from each other: the per-pixel standard deviation
 * across a class's samples, averaged over pixels, one value per class (in class order). Near 0
 * when q has learned one mean shape per class; larger when its samples show several writing
 * styles (DCIM Fig. 3).
 */
export function withinClassSpreadPerClass(s: ClassSamples): number[] {
  const n = s.images.shape[1];
  return rowsByClass(s.classes)
    .filter((rows) => rows.length > 0)
    .map((rows) => {
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
      return spread / n;
    });
}

/** withinClassSpreadPerClass averaged over the classes. */
export function withinClassSpread(s: ClassSamples): number {
  const perClass = withinClassSpreadPerClass(s);
  return perClass.length === 0 ? 0 : perClass.reduce((a, v) => a + v, 0) / perClass.length;
}

/** What merge needs of a set of class samples: recognition, confidence and spread (no per-sample arrays). */
export interface SampleSummary {
  count: number;
  /** Fraction of the samples the forward model assigns to the class they were sampled from. */
  agreement: number;
  meanProbability: number;
  spreadPerClass: number[];
}

export function summariseSamples(s: ClassSamples): SampleSummary {
  return { count: s.classes.length, agreement: sampleAgreement(s), meanProbability: s.probability.reduce((a, v) => a + v, 0) / Math.max(1, s.probability.length), spreadPerClass: withinClassSpreadPerClass(s) };
}

/** DCIM Fig. 2 captions: "class probability" over each sample. */
export function sampleCaptions(s: ClassSamples): string[] {
  return s.predicted.map((c, i) => `${c} ${s.probability[i].toFixed(2)}`);
}

/** One trained DCIM as a unit stores it for merge: settings, curves, the final evaluation and the samples' statistics. */
export interface DcimRunSummary {
  label: string;
  objective: DcimObjective;
  /** Weight of the reverse term −log q(x⁰|·) (per image) in the objective; 1/n⁰ is per pixel. */
  reverseWeight: number;
  sampler?: Eq22Sampler;
  trainSize: number;
  epochs: number;
  log: DcimEpoch[];
  /** On every validation digit, after the last epoch. */
  validation: DcimEvaluation;
  /** For eq 22: q's loss given the class alone, −log q(x⁰|x^d)/n⁰ (the quantity eq 21 reports), on the same digits. */
  reverseLossGivenClass?: Quantity;
  /** Per sampling mode of q (DCIM Fig. 2, 3). */
  samples: Partial<Record<'full' | 'oneLayerThenMean', SampleSummary>>;
}

/**
 * Trains one DCIM (trainDcim), evaluates it on every validation digit and draws `perClass`
 * samples per class from q in each of `sampleModes`; returns the summary and the samples (whose
 * first 10 per class the pictures show).
 */
export function trainAndSummarise(
  ctx: ExperimentContext,
  label: string,
  model: DCIM,
  data: DcimData,
  options: Parameters<typeof trainDcim>[4] & { sampleModes?: readonly ('full' | 'oneLayerThenMean')[]; perClass?: number },
): { summary: DcimRunSummary; samples: Partial<Record<'full' | 'oneLayerThenMean', ClassSamples>> } {
  const { sampleModes = [], perClass = 100, ...training } = options;
  const log = trainDcim(ctx, label, model, data, training);
  const evalRng = ctx.rng.fork();
  const sampleRng = ctx.rng.fork();
  const sampler = training.objective === 'eq22' ? (training.sampler ?? 'approximation') : undefined;
  const validation = evaluateDcim(model, training.objective, data.xTest, data.yTest, evalRng, { sampler: sampler ?? 'approximation' });
  const givenClass = training.objective === 'eq22' ? evaluateDcim(model, 'eq21', data.xTest, data.yTest, evalRng).reverseLoss : undefined;
  const samples = Object.fromEntries(sampleModes.map((m) => [m, classSamples(model, sampleRng, m, perClass)])) as Partial<Record<'full' | 'oneLayerThenMean', ClassSamples>>;
  const summary: DcimRunSummary = {
    label,
    objective: training.objective,
    reverseWeight: training.objective === 'discriminative' ? 0 : (training.reverseWeight ?? 1 / model.sizes[0]),
    ...(sampler ? { sampler } : {}),
    trainSize: data.yTrain.size,
    epochs: training.epochs,
    log,
    validation,
    ...(givenClass ? { reverseLossGivenClass: givenClass } : {}),
    samples: Object.fromEntries(Object.entries(samples).map(([m, s]) => [m, summariseSamples(s)])),
  };
  return { summary, samples };
}

