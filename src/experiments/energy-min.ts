/**
 * LB-hidden App. J (eq 84–90) and K.1 (Fig. 23): cross-entropy = energy + log-partition, so SGD on
 * cross-entropy is energy minimisation up to log Z. Two models, as in Fig. 23: the CNN of Table 9
 * on the synthetic Gaussian digits (top row, eq 91) and the MLP of Table 3 on MNIST (bottom row,
 * eq 92). After each epoch (and before the first) we record, per label l*, the mean energy
 * E(f_Yl*|x) = −logit_l*(x) over the test images of that label, with its SE over those images, and
 * the test error; and check the identity crossEntropy = energy + log Z on every test image.
 */
import { gaussianDigitsFromMnist } from '../data/gaussian-digits.js';
import { inEvalBatches } from '../layers/evaluate.js';
import { crossEntropy } from '../layers/losses.js';
import type { Sequential } from '../layers/layers.js';
import { energyOfLabel } from '../prob/mrf.js';
import { getBackend } from '../tensor/kernels.js';
import type { Rng } from '../tensor/rng.js';
import { sliceRows } from '../tensor/rows.js';
import type { Tensor } from '../tensor/tensor.js';
import { ClaimList, meanWithSe, quantity, type Comparison, type Quantity } from './claims.js';
import { buildCnn, LB_HIDDEN_TABLE9_CNN } from './cnn.js';
import { byMode, mnistFor, sigmoidMlp, train } from './common.js';
import { describeComparisons } from './comparison-text.js';
import { errorAxis, lineChart } from './figures.js';
import type { Experiment, ExperimentContext, Figure, Mode } from './types.js';

/** One label's mean energy over its test images at one epoch (0: before training). */
export interface EnergyPoint {
  epoch: number;
  label: string;
  energy: number;
  se: number;
}

/** One epoch's measurement, returned as a record so that a resumed run replays it (see train). */
export interface EnergyEpoch {
  points: EnergyPoint[];
  /** max over test images of |CE − (E + log Z)| / (1 + |E| + |log Z|). */
  identityError: number;
  testError: number;
}

/** Relative tolerance of the identity: ~170 float32 ulps of the terms' size. */
export const IDENTITY_TOLERANCE = 1e-5;

/**
 * Mean energy −logit_l* per label over test images x (batched: a CNN's feature maps of 10,000
 * images do not fit at once), the identity's largest relative error and the test error.
 */
export function measureEnergies(net: Sequential, x: Tensor, y: Tensor, epoch: number, batchSize = 500): EnergyEpoch {
  const n = y.size;
  const perLabel: number[][] = Array.from({ length: 10 }, () => []);
  let identityError = 0;
  let wrong = 0;
  inEvalBatches(net, x, batchSize, (rows, s) => {
    const count = rows.shape[0];
    const labels = sliceRows(y, s, count);
    const logits = net.forward(rows);
    const { energy, logZ } = energyOfLabel(logits, labels);
    const ce = crossEntropy(logits, labels, { reduction: 'none' });
    const predicted = logits.argmax(-1).data;
    for (let i = 0; i < count; i++) {
      const e = energy.data[i];
      const z = logZ.data[i];
      identityError = Math.max(identityError, Math.abs(ce.data[i] - (e + z)) / (1 + Math.abs(e) + Math.abs(z)));
      perLabel[labels.data[i]].push(e);
      wrong += +(predicted[i] !== labels.data[i]);
    }
  });
  const points = perLabel.flatMap((values, l) => {
    if (values.length === 0) return [];
    const m = meanWithSe(values);
    return [{ epoch, label: String(l), energy: m.value, se: m.se ?? 0 }];
  });
  return { points, identityError, testError: wrong / n };
}

/** Trains one model with the energy recorded before training and after every epoch. */
function trajectory(ctx: ExperimentContext, label: string, net: Sequential, data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor }, epochs: number, lr: number) {
  const records: EnergyEpoch[] = [measureEnergies(net, data.xTest, data.yTest, 0)];
  const logs = train(ctx, label, net, data, {
    epochs,
    lr,
    afterEpoch: (log, restored?: EnergyEpoch) => {
      const r = restored ?? measureEnergies(net, data.xTest, data.yTest, log.epoch);
      records.push(r);
      return r;
    },
  });
  return { records, seconds: logs.map((l) => l.seconds) };
}

/** The two claims of one model: every label's mean energy falls from epoch 1 to the last, and the identity. */
function addClaims(claims: ClaimList, model: Model, records: EnergyEpoch[], epochs: number, size: string): void {
  const first = records.find((r) => r.points[0]?.epoch === 1) ?? records[0];
  const last = records.at(-1)!;
  const values: Record<string, Quantity> = {};
  const test: Comparison[] = [];
  for (const p of last.points) {
    const q = first.points.find((f) => f.label === p.label)!;
    values[`Δ label ${p.label}`] = quantity(p.energy - q.energy, Math.hypot(p.se, q.se));
    test.push({ left: `Δ label ${p.label}`, op: '<', right: 0 });
  }
  const fell = test.filter((t) => values[t.left].value < 0).length;
  claims.add({
    claim: `${model.name}: the mean energy E(f_Yl*|x) = −logit_l* over the test images of each label decreases over training (epoch 1 → last), every label`,
    paperValue: `a decreasing trend, "though there are certain fluctuations", "valid for any label" (${model.figure})`,
    measured: `${fell} of ${test.length} labels fall; Δ = energy at epoch ${epochs} − at epoch 1: ${describeComparisons(values, test)} (${size})`,
    values,
    test,
    note: 'SE over the test images of each label, the two epochs treated as independent (conservative: they are the same images)',
  });
  const identityError = Math.max(...records.map((r) => r.identityError));
  claims.add({
    claim: `${model.name}: crossEntropy = E_DNN + log Z_DNN on every test image (eq 89)`,
    paperValue: 'exact',
    measured: `max |CE − (E + log Z)| / (1 + |E| + |log Z|) over the test images and epochs: ${identityError.toExponential(1)}`,
    values: { 'relative difference': quantity(identityError) },
    test: [{ left: 'relative difference', op: '<', right: IDENTITY_TOLERANCE }],
    note: `relative tolerance ${IDENTITY_TOLERANCE} (≈ 170 float32 ulps of the terms' size): the identity is exact in real arithmetic`,
  });
}

/** Epochs per mode (Fig. 23: 30). */
const EPOCHS: Record<Mode, number> = { tiny: 2, quick: 5, full: 30 };

// Fig. 23 top row: "we use the entire training dataset to train the CNN over 30 epochs"
// tiny: 1 + 1 source digits per class (20 + 20 images); quick: 30 + 30 (600 + 600);
// full: the gaussian-digits default, 500 + 500 official MNIST digits per class (10,000 + 10,000 images)
const SOURCES_PER_CLASS: Record<Mode, number | undefined> = { tiny: 2, quick: 60, full: undefined };

type ModelData = { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor; description: string };

/** One of Fig. 23's two rows: its data and network, how it is trained, and how the run describes it. */
interface Model {
  key: 'cnn' | 'mlp';
  name: string;
  figure: string;
  /** Its short name: the training run's label (checkpoints are keyed by it) and its prefix in the data and scale lines. */
  label: 'CNN' | 'MLP';
  /** Adam's step size. */
  lr: number;
  /** What its images are called in the claims and the scale line. */
  images: string;
  dataset: string;
  /** Its data, drawn with one fork of the context's RNG. */
  load(ctx: ExperimentContext): ModelData;
  build(rng: Rng): Sequential;
  /** What the data line says of the network and its training, after the data's description. */
  setup: string;
  /** Its two figures: the mean energy per label and the test error, over the epochs. */
  figures: { energy: { name: string; title: string }; error: { name: string; title: string } };
}

/** Fig. 23 top row: the CNN of Table 9 on the synthetic Gaussian digits (eq 91). */
const CNN: Model = {
  key: 'cnn',
  name: 'CNN of LB-hidden Table 9 on the synthetic Gaussian digits',
  figure: 'LB-hidden Fig. 23 top row',
  label: 'CNN',
  lr: 0.001,
  images: 'synthetic images',
  dataset: 'synthetic',
  load(ctx) {
    const synthetic = gaussianDigitsFromMnist({ rng: ctx.rng.fork(), sourcesPerClass: byMode(ctx.mode, SOURCES_PER_CLASS) });
    return { x: synthetic.xTrain, y: synthetic.yTrain, xTest: synthetic.xTest, yTest: synthetic.yTest, description: synthetic.description };
  },
  build: (rng) => buildCnn(LB_HIDDEN_TABLE9_CNN, rng).net,
  setup: "LB-hidden Table 9's CNN (conv 3×3×20 + ReLU, maxpool, conv 5×5×60 + ReLU, maxpool, softmax 10), Adam lr 0.001, batch 32 (the paper: SGD, hyper-parameters not stated); raw N(0, 1024) pixels in, f1's initial weights divided by 32.",
  figures: {
    energy: { name: 'cnn-energy-per-label', title: 'CNN (LB-hidden Table 9) on the synthetic digits: mean energy −logit of the true label over its test images, per label, over epochs (Fig. 23 top)' },
    error: { name: 'cnn-test-error', title: 'CNN on the synthetic digits: test error per epoch (Fig. 23 top left)' },
  },
};

/** Fig. 23 bottom row: the MLP of Table 3 on MNIST (eq 92). */
const MLP: Model = {
  key: 'mlp',
  name: 'MLP 784-128-64-10 on MNIST',
  figure: 'LB-hidden Fig. 23 bottom row',
  label: 'MLP',
  lr: 0.002,
  images: 'digits',
  dataset: 'MNIST',
  load(ctx) {
    const mnist = mnistFor(ctx);
    return { x: mnist.xTrain, y: mnist.yTrain, xTest: mnist.xTest, yTest: mnist.yTest, description: mnist.description };
  },
  build: (rng) => sigmoidMlp([784, 128, 64, 10], rng),
  setup: 'Adam lr 0.002, batch 32.',
  figures: {
    energy: { name: 'energy-per-label', title: 'MLP on MNIST: mean energy −logit of the true label over its test images, per label, over epochs (Fig. 23 bottom)' },
    error: { name: 'mlp-test-error', title: 'MLP on MNIST: test error per epoch (Fig. 23 bottom left)' },
  },
};

/** Fig. 23's rows in the order they run (each draws its data and weights from the context's RNG in turn). */
const MODELS: readonly Model[] = [CNN, MLP];

/** One model's run: its data and its per-epoch energy records. */
interface ModelRun {
  model: Model;
  data: ModelData;
  records: EnergyEpoch[];
  seconds: number[];
}

/** Loads one model's data, builds it and trains it with the energy recorded before training and after every epoch. */
function runModel(ctx: ExperimentContext, model: Model, epochs: number): ModelRun {
  const data = model.load(ctx);
  ctx.report({ kind: 'stage', label: `${model.name}` });
  const net = model.build(ctx.rng.fork());
  return { model, data, ...trajectory(ctx, model.label, net, data, epochs, model.lr) };
}

const thousands = (v: number) => v.toLocaleString('en-US');

/** Both claims of every model, in MODELS order. */
function claimsOf(experiment: string, runs: readonly ModelRun[], epochs: number): ClaimList {
  const claims = new ClaimList(experiment);
  for (const { model, data, records } of runs) addClaims(claims, model, records, epochs, `${thousands(data.y.size)} train / ${thousands(data.yTest.size)} test ${model.images}, ${epochs} epochs`);
  return claims;
}

/** Per model: the energy curve, the test error per epoch, the identity's largest error and the wall time per epoch. */
function metricsOf(runs: readonly ModelRun[]): Record<string, unknown> {
  return Object.fromEntries(runs.map(({ model, records, seconds }) => [model.key, { curve: records.map((r) => r.points), testError: records.map((r) => r.testError), identityMaxRelativeError: Math.max(...records.map((r) => r.identityError)), seconds }]));
}

/** Fig. 23: per model, the mean energy per label and the test error over the epochs. */
function figuresOf(runs: readonly ModelRun[]): Figure[] {
  const curve = (records: EnergyEpoch[]) => records.flatMap((r) => r.points.map((p) => ({ epoch: p.epoch, label: p.label, energy: +p.energy.toFixed(4) })));
  const errors = (records: EnergyEpoch[]) => records.map((r, i) => ({ epoch: i, testError: r.testError }));
  return runs.flatMap(({ model, records }) => [
    { ...model.figures.energy, spec: lineChart(curve(records), 'epoch', 'energy', 'label') },
    { ...model.figures.error, spec: lineChart(errors(records), 'epoch', errorAxis()) },
  ]);
}

export const energyMin: Experiment = {
  name: 'energy-min',
  title: 'SGD on cross-entropy minimises the energy of the true label',
  paper: 'LB-hidden App. J (eq 89–92), K.1 (Fig. 23, Table 9)',
  run(ctx) {
    const epochs = byMode(ctx.mode, EPOCHS);
    const runs = MODELS.map((model) => runModel(ctx, model, epochs));
    return {
      data: runs.map(({ model, data }) => `${model.label}: ${data.description} ${model.setup}`).join(' '),
      scale: { ours: runs.map(({ model, data }) => `${model.label} ${thousands(data.y.size)} / ${thousands(data.yTest.size)} (${model.dataset})`).join('; '), paper: 'CNN 10,000 / 10,000 (synthetic); MLP 60,000 / 10,000 (MNIST)' },
      metrics: { epochs, backend: getBackend(), ...metricsOf(runs) },
      claims: claimsOf(this.name, runs, epochs).rows,
      figures: figuresOf(runs),
    };
  },
};
