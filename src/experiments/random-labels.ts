/**
 * LB-repr §5.2.2 (Fig. 5, 6) and LB-bayes §4.4 (Fig. 4, 5): random labels. CNN1 (LB-repr Table 1)
 * is trained on the synthetic Gaussian digits with labels drawn uniformly at random (training
 * and test labels alike, as in Zhang et al.): it memorises the training set (training error → 0)
 * while the test error stays ≈ 90%, yet its first layer still models the prior — KL[P(X)‖P̂(F1)]
 * of a test image stays small (LB-repr: 0.60 with KL[P(X)‖P̂(x)] = 0.81; LB-bayes: 0.47 vs 0.66).
 */
import { gaussianDigitsFromMnist } from '../data/gaussian-digits.js';
import type { Rng } from '../tensor/rng.js';
import { getBackend } from '../tensor/kernels.js';
import { classificationError } from '../layers/evaluate.js';
import type { EpochLog } from '../layers/train.js';
import { sliceRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/engine.js';
import { ClaimList, errorRate, type Comparison, type Quantity } from './claims.js';
import { averagePriorKlF1, buildCnn, COARSE_BINS, imageKlStats, KL_BIN_COUNTS, LB_REPR_CNN1, PAPER_BINS, readTestImage, recordErrors, type ErrorRow, type ImageKlStats, type KlByBins, type PaperCnn, type TestImageReadout } from './cnn.js';
import { describeComparisons } from './comparison-text.js';
import { addCloseToPriorClaims } from './prior-claims.js';
import { byMode, num, pct, train } from './common.js';
import { barChart, errorAxis, histogramPanels, imageGrid, lineChart } from './figures.js';
import type { Experiment, ExperimentContext, Figure, Mode } from './types.js';

/** Fraction of f4's units (after its ReLU) that are positive over the first ≤ 500 rows of x: 0 means the network's output no longer depends on its input. */
export function activeF4Fraction(cnn: PaperCnn, x: Tensor): number {
  return noGrad(() => {
    const f4 = cnn.net.forwardAll(sliceRows(x, 0, Math.min(500, x.shape[0])))[cnn.conv3Index + 3].data;
    let active = 0;
    for (let i = 0; i < f4.length; i++) active += +(f4[i] > 0);
    return active / f4.length;
  });
}

/** Ten classes: a classifier of labels independent of the images errs with probability 0.9. */
export const CHANCE_ERROR = 0.9;
/** How far from chance "around 90%" may be (3 points: 10 binomial SEs at 10,000 test images). */
export const CHANCE_TOLERANCE = 0.03;

/** n labels drawn uniformly from 0…classes−1. */
export function randomLabels(n: number, rng: Rng, classes = 10): Tensor {
  return new Tensor(Float32Array.from({ length: n }, () => rng.int(classes)), [n]);
}

/** Per mode: how many source digits per class, how many epochs and Adam's step size. */
interface Settings {
  /** undefined: the gaussian-digits default. */
  sourcesPerClass: number | undefined;
  epochs: number;
  lr: number;
}

// Memorising random labels takes many epochs: few images in quick mode, the papers' 200 epochs in full mode.
// tiny: 1 + 1 source digits per class (20 + 20 images); quick: 5 + 5 (100 + 100);
// full: the gaussian-digits default, 500 + 500 official MNIST digits per class (10,000 + 10,000 images).
// Adam's step size: at 0.001 on ≈ 10,000 images every f4 ReLU dies within the first epoch (random
// labels make non-constant logits pure loss, and switching f4 off removes them; measured: 0% of f4
// units active after epoch 1, with SGD + momentum at 0.01 too) and the output stays constant for
// all 200 epochs. At 0.0001 a third of them stay active and the loss falls (2.290 after 4 epochs).
// 100 images memorise at 0.001 before that happens.
const SETTINGS: Record<Mode, Settings> = {
  tiny: { sourcesPerClass: 2, epochs: 3, lr: 0.001 },
  quick: { sourcesPerClass: 10, epochs: 30, lr: 0.001 },
  full: { sourcesPerClass: undefined, epochs: 200, lr: 0.0001 },
};

/** Small batches: memorising noise needs many steps (100 images at batch 16 reach ~90% training accuracy in 10 epochs). */
const BATCH_SIZE = 16;

type Digits = ReturnType<typeof gaussianDigitsFromMnist>;

/** The synthetic digits with labels drawn uniformly at random, training and test alike (as in Zhang et al.). */
interface RandomlyLabelled {
  digits: Digits;
  yTrain: Tensor;
  yTest: Tensor;
}

/** Everything the claims, metrics and figures are read from. */
interface Measurements {
  settings: Settings;
  data: RandomlyLabelled;
  curve: ErrorRow[];
  logs: EpochLog[];
  errors: { trainError: number; testError: number; trueLabelTestError: number; activeF4: number };
  prior: { testIndex: number; image: Tensor; readout: TestImageReadout; average: KlByBins<Quantity>; imageKl: Record<string, ImageKlStats> };
}

/** The synthetic digits, then their training and test labels replaced by random ones (one RNG for both). */
function randomlyLabelledDigits(ctx: ExperimentContext, sourcesPerClass: number | undefined): RandomlyLabelled {
  const digits = gaussianDigitsFromMnist({ rng: ctx.rng.fork(), sourcesPerClass });
  const labelRng = ctx.rng.fork();
  const yTrain = randomLabels(digits.yTrain.size, labelRng);
  const yTest = randomLabels(digits.yTest.size, labelRng);
  return { digits, yTrain, yTest };
}

/** Trains CNN1 on the random labels with Adam, recording the training and test error of every epoch. */
function trainNetwork(ctx: ExperimentContext, label: string, data: RandomlyLabelled, settings: Settings): { cnn: PaperCnn; curve: ErrorRow[]; logs: EpochLog[] } {
  const cnn = buildCnn(LB_REPR_CNN1, ctx.rng.fork());
  const curve: ErrorRow[] = [];
  const { digits, yTrain, yTest } = data;
  const logs = train(ctx, label, cnn.net, { x: digits.xTrain, y: yTrain, xTest: digits.xTest, yTest }, { epochs: settings.epochs, lr: settings.lr, batchSize: BATCH_SIZE, afterEpoch: recordErrors(curve) });
  return { cnn, curve, logs };
}

/** Training and test error on the random labels, test error against the true digits, and the share of f4 still active. */
function measureErrors(cnn: PaperCnn, { digits, yTrain, yTest }: RandomlyLabelled): Measurements['errors'] {
  const trainError = classificationError(cnn.net, digits.xTrain, yTrain);
  const testError = classificationError(cnn.net, digits.xTest, yTest);
  const trueLabelTestError = classificationError(cnn.net, digits.xTest, digits.yTest);
  const activeF4 = activeF4Fraction(cnn, digits.xTest);
  return { trainError, testError, trueLabelTestError, activeF4 };
}

/** Whether f1 still models the prior: the KLs of one random test image, their average over the test set, and the images' own KL. */
function measurePrior(ctx: ExperimentContext, cnn: PaperCnn, { digits }: RandomlyLabelled): Measurements['prior'] {
  const testIndex = ctx.rng.fork().int(digits.yTest.size);
  const image = sliceRows(digits.xTest, testIndex, 1);
  const readout = readTestImage(cnn, image);
  const average = averagePriorKlF1(cnn, digits.xTest);
  const imageKl = imageKlStats(digits.xTest);
  return { testIndex, image, readout, average, imageKl };
}

/** "20 train / 20 test images, 3 epochs (the papers: …)". */
function scaleOf(m: Measurements): string {
  return `${m.data.digits.yTrain.size} train / ${m.data.digits.yTest.size} test images, ${m.settings.epochs} epochs (the papers: 10,000 + 10,000, 200 epochs)`;
}

/** Zero training error, chance test error, and f1 close to the prior (at every bin count of KL_BIN_COUNTS). */
function claimsOf(experiment: string, m: Measurements): ClaimList {
  const { trainError, testError, trueLabelTestError, activeF4 } = m.errors;
  const { testIndex, readout, average, imageKl } = m.prior;
  const nTrain = m.data.digits.yTrain.size;
  const nTest = m.data.digits.yTest.size;
  const scale = scaleOf(m);
  const claims = new ClaimList(experiment);
  claims.add({
    claim: 'CNN1 reaches zero training error on random labels',
    paperValue: '0% (LB-repr Fig. 6; LB-bayes Fig. 5, 200 epochs)',
    measured: `${Math.round(trainError * nTrain)} of ${nTrain} training images misclassified (${pct(trainError)}, eval mode after the last epoch; ${scale}; ${pct(activeF4)} of f4's units active on test images)`,
    values: { 'training error': { value: trainError, unit: 'percent' } },
    test: [{ left: 'training error', op: '<', right: 0.5 / nTrain }],
    note: 'an exact count over the training set (no sampling error), so "zero" means no misclassified image',
  });
  const values = { 'test error': errorRate(testError, nTest) };
  const test: Comparison[] = [
    { left: 'test error', op: '>', right: CHANCE_ERROR - CHANCE_TOLERANCE },
    { left: 'test error', op: '<', right: CHANCE_ERROR + CHANCE_TOLERANCE },
  ];
  claims.add({
    claim: `test error on random labels stays at chance: within ${100 * CHANCE_TOLERANCE} points of 90%`,
    paperValue: '"always around 90%" (LB-bayes §4.4; LB-repr Fig. 6)',
    measured: `${describeComparisons(values, test)} (against the true digits: ${pct(trueLabelTestError)})`,
    values,
    test,
    note: 'the test labels are drawn independently of the images, so every classifier’s expected error is 90%: the claim checks the setup; binomial SE',
  });
  const close = {
    subject: 'CNN1 on random labels',
    paperValue: '0.60 vs 0.81 for the image (LB-repr Fig. 5C); 0.47 vs 0.66 (LB-bayes Fig. 4C, its CNN3)',
    average,
    imageKl,
    testImage: { index: testIndex, klX: readout.byBins.klX, klF1: readout.byBins.klF1 },
    extra: () => scale,
  };
  for (const bins of KL_BIN_COUNTS) addCloseToPriorClaims(claims, close, bins);
  return claims;
}

/** What the run used: the data, the relabelling, the network, its training and the KL bins. */
function dataOf(m: Measurements): string {
  const { imageKl } = m.prior;
  return (
    `${m.data.digits.description} Training and test labels replaced by labels drawn uniformly from 0–9. CNN1 of LB-repr Table 1 (the LB-bayes run uses its CNN3, f1 = 20 channels, not reproduced here); Adam, lr ${m.settings.lr}, batch ${BATCH_SIZE}. ` +
    `KL bins: ${PAPER_BINS} equal bins over [−128, 128] for the main claims (they give exact Gaussian images the papers' KL[P(X)‖P̂(x)]: mean ${num(imageKl[PAPER_BINS].mean.value)} here against the papers' 0.53–0.81; ${COARSE_BINS} bins give ${num(imageKl[COARSE_BINS].mean.value)}); the claims marked "${COARSE_BINS} bins (sensitivity)" repeat them on ${COARSE_BINS}. ` +
    `Raw N(0, 1024) pixels in; PyTorch-default initialisation except f1's weights divided by 32 (the input's σ; the papers state no initialisation).`
  );
}

/** The errors, the error curve, the test image's readout and the KLs (both bin counts). */
function metricsOf(m: Measurements): Record<string, unknown> {
  const { testIndex, readout, average, imageKl } = m.prior;
  return {
    epochs: m.settings.epochs,
    backend: getBackend(),
    ...m.errors,
    curve: m.curve,
    seconds: m.logs.map((l) => l.seconds), // per epoch (wall time, excluded when runs are compared)
    testImage: { index: testIndex, randomLabel: m.data.yTest.data[testIndex], klX: readout.byBins.klX, klF1: readout.byBins.klF1, klF2: readout.byBins.klF2, probs: readout.probs },
    averageOverTest: average,
    binsSensitivity: { imageKl },
  };
}

/** LB-repr Fig. 5, 6 and LB-bayes Fig. 4, 5: the error curves, the test image, its histograms and the network's output for it. */
function figuresOf(m: Measurements): Figure[] {
  const { testIndex, image, readout } = m.prior;
  const label = m.data.yTest.data[testIndex];
  return [
    { name: 'errors', title: 'Training and test error per epoch with random labels (LB-repr Fig. 6, LB-bayes Fig. 5)', spec: lineChart(m.curve, 'epoch', errorAxis('error', 'error'), 'set') },
    { name: 'test-image', title: `The test image (random label ${label}, digit ${m.data.digits.yTest.data[testIndex]})`, spec: imageGrid(new Tensor(image.data, [1, 1024]), 32, `test image #${testIndex}`) },
    { name: 'histograms', title: `Histograms of x, E_F1 (raw, scale-matched) and E_F2 (scale-matched) for the test image, ${PAPER_BINS} bins; red: N(0, 1024) (LB-repr Fig. 5)`, spec: histogramPanels(readout.panels, { referenceName: 'N(0, 1024)', columns: 4 }) },
    { name: 'output', title: `Output probabilities for the test image (random label ${label})`, spec: barChart(readout.probs.map((p, l) => ({ label: l, probability: +p.toFixed(5) })), 'label', 'probability') },
  ];
}

export const randomLabelsExperiment: Experiment = {
  name: 'random-labels',
  title: 'Random labels: zero training error, ≈ 90% test error, and still a good prior in f1',
  paper: 'LB-repr §5.2.2 (Fig. 5, 6); LB-bayes §4.4 (Fig. 4, 5)',
  run(ctx) {
    const settings = byMode(ctx.mode, SETTINGS);
    const data = randomlyLabelledDigits(ctx, settings.sourcesPerClass);
    const { cnn, curve, logs } = trainNetwork(ctx, `${this.name} CNN1`, data, settings);
    const errors = measureErrors(cnn, data);
    const prior = measurePrior(ctx, cnn, data);
    const m: Measurements = { settings, data, curve, logs, errors, prior };
    const [nTrain, nTest] = [data.digits.yTrain.size, data.digits.yTest.size];
    return {
      data: dataOf(m),
      scale: { ours: `${nTrain.toLocaleString('en-US')} / ${nTest.toLocaleString('en-US')}`, paper: '10,000 / 10,000' },
      metrics: metricsOf(m),
      claims: claimsOf(this.name, m).rows,
      figures: figuresOf(m),
    };
  },
};
