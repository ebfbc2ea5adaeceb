/**
 * LB-repr §5.1 (Fig. 2, 3) and LB-bayes §4.2 (Fig. 1, 2): on the synthetic Gaussian digits, whose
 * prior P(X) = N(0, 1024) is known exactly, the first convolutional layer's energy histogram P̂(F1)
 * should be close to P(X). Trains LB-repr's CNN1 and LB-bayes' CNN2 until the training error is
 * zero ("after CNN1 is well trained (i.e., the training error becomes zero)"), then, for one
 * randomly chosen test image, draws the histograms of x, E_F1 and E_F2 against N(0, 1024) and the
 * output probabilities, and reports KL[P(X)‖P̂(x)] and KL[P(X)‖P̂(F1)], raw and scale-matched,
 * for that image and averaged over the test set (bins and the scale matching: cnn.ts). It also
 * holds the bins sensitivity table: the KL of exact Gaussian images under 256 and 64 bins beside
 * the papers' values, which decides the bins of the main claims.
 */
import { gaussianDigitsFromMnist, PRIOR, type GaussianDigits } from '../data/gaussian-digits.js';
import { histogram, kl, linearEdges, gaussianBinProbs } from '../prob/histogram.js';
import { getBackend } from '../tensor/kernels.js';
import { classificationError } from '../layers/evaluate.js';
import type { Rng } from '../tensor/rng.js';
import { sliceRows, takeRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';
import { ClaimList, errorRate, meanWithSe, quantity, type Comparison, type Quantity } from './claims.js';
import {
  averagePriorKlF1,
  buildCnn,
  COARSE_BINS,
  imageKlStats,
  imageSlice,
  KL_BIN_COUNTS,
  LB_REPR_CNN1,
  lbBayesCnn,
  PAPER_BINS,
  PAPER_KL_X,
  PRIOR_EDGES,
  priorEdges,
  priorKl,
  priorMasses,
  readLayers,
  readTestImage,
  type CnnSpec,
  type ErrorRow,
  type ImageKlStats,
  type KlByBins,
  type PaperCnn,
  type TestImageReadout,
} from './cnn.js';
import { byMode, num, pct, train } from './common.js';
import { describeComparisons } from './comparison-text.js';
import { barChart, errorAxis, histogramPanels, imageGrid, lineChart } from './figures.js';
import { addCloseToPriorClaims } from './prior-claims.js';
import type { Experiment, ExperimentContext, Figure, Mode } from './types.js';

/** One network the experiment trains, with the papers' numbers for its test image. */
interface Network {
  key: string;
  spec: CnnSpec;
  paperKlX: number;
  paperKlF1: number;
  figure: string;
}

/** The papers' numbers for the test image of Fig. 3 (LB-repr) and Fig. 2 (LB-bayes). */
const NETWORKS: Network[] = [
  { key: 'repr-CNN1', spec: LB_REPR_CNN1, paperKlX: 0.62, paperKlF1: 0.83, figure: 'LB-repr Fig. 3' },
  { key: 'bayes-CNN2', spec: lbBayesCnn(12), paperKlX: 0.53, paperKlF1: 0.49, figure: 'LB-bayes Fig. 2' },
];

/**
 * Source MNIST digits per class. tiny: 1 + 1 source digits per class (20 + 20 images); quick: 30 + 30 (600 + 600);
 * full: the gaussian-digits default, 500 + 500 official MNIST digits per class (10,000 + 10,000 images).
 */
const SOURCES_PER_CLASS = { tiny: 2, quick: 60, full: undefined } as const satisfies Record<Mode, number | undefined>;

/** The bin counts of the test image's extra readings: 32, 64, 128 and 256 bins over ±4σ. */
const TEST_IMAGE_BINS = [32, 64, 128, 256] as const;

/**
 * Training until the training error is zero, as the papers do before reading the histograms (they
 * give no epochs or schedule): `epochs` at lr 0.001, then up to `extraRounds` rounds of
 * `roundEpochs` at lr 0.0001 (each round a fresh Adam) while some training image is misclassified.
 */
export const TRAINING = {
  tiny: { epochs: 2, extraRounds: 1, roundEpochs: 1 },
  quick: { epochs: 8, extraRounds: 2, roundEpochs: 2 },
  full: { epochs: 30, extraRounds: 3, roundEpochs: 10 },
} as const satisfies Record<Mode, { epochs: number; extraRounds: number; roundEpochs: number }>;

/** Trains by TRAINING[mode] until no training image is misclassified; returns the epochs and the final training error. */
export function trainToZeroError(ctx: ExperimentContext, label: string, cnn: PaperCnn, data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor }, curve: ErrorRow[]): { epochs: number; trainError: number; seconds: number[] } {
  const { epochs, extraRounds, roundEpochs } = TRAINING[ctx.mode];
  let done = 0;
  const seconds: number[] = [];
  const phase = (name: string, n: number, lr: number) => {
    const offset = done;
    const logs = train(ctx, name, cnn.net, data, {
      epochs: n,
      lr,
      afterEpoch: (log, restored?: ErrorRow[]) => {
        const rows = restored ?? [
          { epoch: offset + log.epoch, set: 'train (during epoch)', error: 1 - log.accuracy },
          { epoch: offset + log.epoch, set: 'test', error: 1 - (log.valAccuracy ?? NaN) },
        ];
        curve.push(...rows);
        return rows;
      },
    });
    seconds.push(...logs.map((l) => l.seconds));
    done += n;
    return classificationError(cnn.net, data.x, data.y);
  };
  let trainError = phase(label, epochs, 0.001);
  for (let round = 1; round <= extraRounds && trainError > 0; round++) trainError = phase(`${label} fine-tune ${round}`, roundEpochs, 0.0001);
  return { epochs: done, trainError, seconds };
}

type Digits = GaussianDigits & { description: string };

/** The randomly chosen test image ("we randomly choose a testing image x as the input", LB-repr §5.1). */
interface TestImage {
  index: number;
  label: number;
  image: Tensor;
  /** Its raw KL[P(X)‖P̂(x)] per bin count of KL_BIN_COUNTS. */
  klX: Record<string, number>;
}

/** What one trained network gives: its training, its errors and its readings of the test image and the test set. */
interface NetworkReading {
  network: Network;
  trained: ReturnType<typeof trainToZeroError>;
  curve: ErrorRow[];
  testError: number;
  readout: TestImageReadout;
  /** The test image's KL(x) and KL(F1) on TEST_IMAGE_BINS. */
  testImageBins: Record<string, { klX: number; klF1Raw: number; klF1Scaled: number }>;
  average: KlByBins<Quantity>;
  atInit: KlByBins<Quantity>;
}

/** Everything the claims, metrics and figures are made of. */
interface Measurements {
  experiment: string;
  mode: Mode;
  data: Digits;
  nTrain: number;
  nTest: number;
  /** N(0, 1024)'s masses on PRIOR_EDGES. */
  prior: number[];
  /** The test images' own KL(x), per bin count. */
  imageKl: Record<string, ImageKlStats>;
  /** The average KL of fresh i.i.d. N(0, 1024) samples of 1,024 values, one per test image. */
  sampleKl: Quantity;
  /** Per bin count, the share of test images whose KL(x) lies below each paper value. */
  percentiles: Record<string, Record<string, number>>;
  testImage: TestImage;
  networks: NetworkReading[];
}

/** The KL of `count` fresh i.i.d. N(0, 1024) samples of 1,024 values to the prior (256 bins): what each synthetic image's KL should match. */
function iidSampleKl(rng: Rng, prior: readonly number[], count: number): Quantity {
  return meanWithSe(Array.from({ length: count }, () => kl(prior, histogram(Array.from({ length: 1024 }, () => rng.normal(0, Math.sqrt(PRIOR.variance))), PRIOR_EDGES).probs)));
}

/** The bins sensitivity table: per bin count, the share of test images whose KL(x) lies below each paper value. */
function shareBelowPaperValues(xTest: Tensor): Record<string, Record<string, number>> {
  const nTest = xTest.shape[0];
  const percentileOf = (bins: number) => {
    const edges = priorEdges(bins);
    const p = priorMasses(edges);
    const values = Array.from({ length: nTest }, (_, i) => kl(p, histogram(imageSlice(xTest, i), edges).probs));
    return Object.fromEntries(PAPER_KL_X.map(({ value, where }) => [where, values.filter((v) => v < value).length / values.length]));
  };
  return Object.fromEntries(KL_BIN_COUNTS.map((b) => [b, percentileOf(b)]));
}

/** Draws the test image from `rng` and reads its KL to the prior on each bin count. */
function chooseTestImage(rng: Rng, data: Digits): TestImage {
  const index = rng.int(data.yTest.size);
  const image = sliceRows(data.xTest, index, 1);
  const klX = Object.fromEntries(KL_BIN_COUNTS.map((b) => [b, priorKl(image.data, priorEdges(b)).raw]));
  return { index, label: data.yTest.data[index], image, klX };
}

/** Builds one network, trains it to zero training error and reads the test image and the test set through it. */
function trainAndRead(ctx: ExperimentContext, experiment: string, network: Network, data: Digits, image: Tensor): NetworkReading {
  const { key, spec } = network;
  ctx.report({ kind: 'stage', label: `${spec.name} (${spec.paper})` });
  const cnn = buildCnn(spec, ctx.rng.fork());
  const atInit = averagePriorKlF1(cnn, data.xTest);
  const curve: ErrorRow[] = [];
  const trained = trainToZeroError(ctx, `${experiment} ${key}`, cnn, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, curve);
  const testError = classificationError(cnn.net, data.xTest, data.yTest);
  const readout = readTestImage(cnn, image);
  const eF1 = imageSlice(readLayers(cnn, image).energyF1, 0);
  const average = averagePriorKlF1(cnn, data.xTest);
  const testImageBins = Object.fromEntries(
    TEST_IMAGE_BINS.map((bins) => {
      const edges = linearEdges(-128, 128, bins);
      const p = gaussianBinProbs(edges, PRIOR.mean, PRIOR.variance);
      const k = priorKl(eF1, edges);
      return [bins, { klX: kl(p, histogram(image.data, edges).probs), klF1Raw: k.raw, klF1Scaled: k.scaled }];
    }),
  );
  return { network, trained, curve, testError, readout, testImageBins, average, atInit };
}

/** The claim that each synthetic image is a permutation of an N(0, 1024) sample (LB-hidden Alg. 1). */
function addPermutationClaim(claims: ClaimList, m: Measurements): void {
  const values = { 'synthetic images': m.imageKl[PAPER_BINS].mean, 'i.i.d. samples': m.sampleKl };
  const margin = 0.1 * m.sampleKl.value;
  const test: Comparison[] = [
    { left: 'synthetic images', op: '<', right: 'i.i.d. samples', margin },
    { left: 'synthetic images', op: '>', right: 'i.i.d. samples', margin: -margin },
  ];
  claims.add({
    claim: 'every synthetic image is a permutation of an N(0, 1024) sample: its KL to the prior matches an i.i.d. sample’s (average over test images, within 10%)',
    paperValue: 'by construction (LB-hidden Alg. 1)',
    measured: `${describeComparisons(values, test)} (${m.nTest} images and as many fresh samples of 1,024 values, ${PAPER_BINS} bins)`,
    values,
    test,
  });
}

/** The bins claims: which bin count gives exact Gaussian images the papers' KL(x)? */
function addBinsClaims(claims: ClaimList, m: Measurements): void {
  const smallest = Math.min(...PAPER_KL_X.map((p) => p.value));
  for (const bins of KL_BIN_COUNTS) {
    const s: ImageKlStats = m.imageKl[bins];
    const values: Record<string, Quantity> = { mean: s.mean, '1st percentile': quantity(s.p1), '99th percentile': quantity(s.p99) };
    const test: Comparison[] = [
      { left: '1st percentile', op: '<', right: smallest },
      { left: '99th percentile', op: '>', right: smallest },
    ];
    claims.add({
      claim: `${bins === PAPER_BINS ? `${bins} bins (the main claims' bins)` : `${bins} bins (sensitivity)`}: exact N(0, 1024) images can have the papers' KL[P(X)‖P̂(x)] — the papers' smallest value lies between the images' 1st and 99th percentiles`,
      paperValue: PAPER_KL_X.map((p) => `${p.value} (${p.where})`).join(', '),
      measured:
        `KL(x) over the ${m.nTest} test images: mean ${num(s.mean.value)} ± ${num(s.mean.se ?? NaN, 4)}, 1st / 5th / 50th / 95th / 99th percentiles ${[s.p1, s.p5, s.p50, s.p95, s.p99].map((v) => num(v)).join(' / ')}; ` +
        `share of images below each paper value: ${PAPER_KL_X.map(({ value, where }) => `${value} ${pct(m.percentiles[bins][where])}`).join(', ')}`,
      values,
      test,
      note: 'percentiles of single-image values (no SE; decided on direction); a sample’s KL to its own distribution grows with the number of bins (empty bins are floored at 1e-10)',
    });
  }
}

/** The reported KL[P(X)‖P̂(x)] of the test image. */
function addTestImageClaim(claims: ClaimList, m: Measurements): void {
  const { klX } = m.testImage;
  claims.add({
    claim: 'KL[P(X)‖P̂(x)] of the randomly chosen test image',
    paperValue: NETWORKS.map((n) => `${n.paperKlX} (${n.figure}B)`).join(', '),
    measured: `${KL_BIN_COUNTS.map((b) => `${num(klX[b])} on ${b} bins`).join(', ')} (one image, no SE); test-set mean ${KL_BIN_COUNTS.map((b) => `${num(m.imageKl[b].mean.value)} (${b})`).join(', ')}`,
    values: Object.fromEntries(KL_BIN_COUNTS.map((b) => [`${b} bins`, quantity(klX[b])])),
    note: 'one image: no SE. The papers do not state their bins; see the bins claims',
  });
}

/** The claim that the network reaches zero training error. */
function addZeroErrorClaim(claims: ClaimList, m: Measurements, r: NetworkReading): void {
  const { spec } = r.network;
  const { trained, testError } = r;
  const training = TRAINING[m.mode];
  const scale = `${m.nTrain} train / ${m.nTest} test images, ${trained.epochs} epochs, Adam (the papers: SGD, 10,000 + 10,000 images)`;
  const misclassified = Math.round(trained.trainError * m.nTrain);
  claims.add({
    claim: `${spec.name} (${spec.paper}) is trained to zero training error`,
    paperValue: '0% ("the training error becomes zero")',
    measured: `${misclassified} of ${m.nTrain} training images misclassified after ${trained.epochs} epochs (${pct(trained.trainError)}); test error ${pct(testError)} (${scale})`,
    values: { 'training error': { value: trained.trainError, unit: 'percent' } },
    test: [{ left: 'training error', op: '<', right: 0.5 / m.nTrain }],
    note: `an exact count over the training set (no sampling error), so "zero" means no misclassified image; trained ${training.epochs} epochs at lr 0.001, then up to ${training.extraRounds} × ${training.roundEpochs} at 0.0001 until zero`,
  });
}

/** The "P̂(F1) is close to P(X)" reading of one network, for addCloseToPriorClaims. */
function closeToPrior(m: Measurements, r: NetworkReading): Parameters<typeof addCloseToPriorClaims>[1] {
  const { spec, paperKlX, paperKlF1, figure } = r.network;
  return {
    subject: `${spec.name} (${spec.paper})`,
    paperValue: `${paperKlF1} vs ${paperKlX} for the image (${figure}C)`,
    average: r.average,
    imageKl: m.imageKl,
    testImage: { index: m.testImage.index, klX: r.readout.byBins.klX, klF1: r.readout.byBins.klF1 },
    extra: (bins, field) => `at initialisation ${num(r.atInit[bins][field].value)}; ${pct(r.readout.energyF1Outside)} of the test image's E_F1 outside ±128`,
  };
}

/** The claim that the network's output q(F_Y|F2) classifies the test image correctly. */
function addOutputClaim(claims: ClaimList, m: Measurements, r: NetworkReading): void {
  const { spec, figure } = r.network;
  const { probs, predicted } = r.readout;
  const { label } = m.testImage;
  const others = probs.filter((_, l) => l !== label);
  const values = { 'P(true label)': quantity(probs[label]), 'largest other': quantity(Math.max(...others)) };
  claims.add({
    claim: `${spec.name}: the output q(F_Y|F2) classifies the test image correctly`,
    paperValue: `correct (${figure}E)`,
    measured: `P(label ${label}) = ${num(probs[label])}, argmax ${predicted} (one image, no SE); test error over all ${m.nTest} test images ${pct(r.testError)} ± ${pct(errorRate(r.testError, m.nTest).se!)}`,
    values,
    test: [{ left: 'P(true label)', op: '>', right: 'largest other' }],
  });
}

/** The claims in the report's order: construction, bins, test image, per network, then the sensitivity bins' closeness claims. */
function claimsOf(m: Measurements): ClaimList {
  const claims = new ClaimList(m.experiment);
  addPermutationClaim(claims, m);
  addBinsClaims(claims, m);
  addTestImageClaim(claims, m);
  const closeClaims = m.networks.map((r) => closeToPrior(m, r));
  m.networks.forEach((r, i) => {
    addZeroErrorClaim(claims, m, r);
    addCloseToPriorClaims(claims, closeClaims[i], PAPER_BINS);
    addOutputClaim(claims, m, r);
  });
  for (const bins of KL_BIN_COUNTS.filter((b) => b !== PAPER_BINS)) for (const c of closeClaims) addCloseToPriorClaims(claims, c, bins);
  return claims;
}

/** The metrics: sizes, the bins table, the test image and, per network, its training and readings. */
function metricsOf(m: Measurements): Record<string, unknown> {
  const metrics: Record<string, unknown> = { training: TRAINING[m.mode], trainImages: m.nTrain, testImages: m.nTest, backend: getBackend() };
  metrics.binsSensitivity = { imageKl: m.imageKl, paperKlX: PAPER_KL_X, shareOfImagesBelowPaperValue: m.percentiles, iidSamples256: m.sampleKl };
  metrics.testImage = { index: m.testImage.index, label: m.testImage.label, klX: m.testImage.klX };
  for (const r of m.networks) {
    const { klF1, klF2 } = r.readout.byBins;
    const { energyF1Outside, probs, predicted } = r.readout;
    metrics[r.network.key] = {
      architecture: r.network.spec,
      seconds: r.trained.seconds, // per epoch (wall time, excluded when runs are compared)
      epochs: r.trained.epochs,
      trainError: r.trained.trainError,
      testError: r.testError,
      curve: r.curve,
      testImage: { klF1, klF2, energyF1Outside, probs, predicted, bins: r.testImageBins },
      averageOverTest: r.average,
      averageOverTestAtInit: r.atInit,
    };
  }
  return metrics;
}

/** LB-repr Fig. 2 / LB-bayes Fig. 1: five synthetic images (of five classes) and their histograms against N(0, 1024). */
function syntheticDigitsFigure(m: Measurements): Figure {
  const { xTrain, yTrain } = m.data;
  const shown: number[] = [];
  for (let c = 0; shown.length < 5 && c < 10; c++) {
    const i = yTrain.data.indexOf(c); // the first training image of class c
    if (i >= 0) shown.push(i);
  }
  const five = new Tensor(takeRows(xTrain, shown).data, [shown.length, 32 * 32]);
  const fiveLabels = shown.map((i) => `digit ${yTrain.data[i]}`);
  return {
    name: 'synthetic-digits',
    title: `Five synthetic images and their histograms (${PAPER_BINS} bins); red: N(0, 1024) on the same bins (LB-repr Fig. 2, LB-bayes Fig. 1)`,
    spec: {
      vconcat: [
        imageGrid(five, 32, 'synthetic images', fiveLabels),
        histogramPanels(shown.map((i, k) => ({ name: fiveLabels[k], edges: PRIOR_EDGES, probs: histogram(imageSlice(xTrain, i), PRIOR_EDGES).probs, reference: m.prior })), { title: 'histograms', referenceName: 'N(0, 1024)' }),
      ],
    },
  };
}

/** The bins sensitivity figure: the exact Gaussian images' KL(x) per bin count beside the papers' values. */
function klBinsFigure(m: Measurements): Figure {
  return {
    name: 'kl-bins',
    title: `Bins sensitivity: KL[P(X)‖P̂(x)] of the exact Gaussian test images on ${KL_BIN_COUNTS.join(' and ')} bins (mean, 1st and 99th percentile) beside the papers' four values`,
    spec: barChart(
      [
        ...KL_BIN_COUNTS.flatMap((bins) => [
          { what: 'images: 1st percentile', source: `${bins} bins`, kl: +m.imageKl[bins].p1.toFixed(4) },
          { what: 'images: mean', source: `${bins} bins`, kl: +m.imageKl[bins].mean.value.toFixed(4) },
          { what: 'images: 99th percentile', source: `${bins} bins`, kl: +m.imageKl[bins].p99.toFixed(4) },
        ]),
        ...PAPER_KL_X.map((p) => ({ what: p.where, source: 'paper', kl: p.value })),
      ],
      'what',
      'kl',
      undefined,
      'source',
    ),
  };
}

/** Per network: the test image's histograms (Fig. B–D), its output probabilities (E) and the training curve. */
function networkFigures(m: Measurements, r: NetworkReading): Figure[] {
  const { key, spec, figure } = r.network;
  return [
    {
      name: `${key}-histograms`,
      title: `${spec.name} (${spec.paper}): histograms of x, E_F1 (raw, scale-matched) and E_F2 (scale-matched) for the test image, ${PAPER_BINS} bins; red: N(0, 1024) (${figure} B–D)`,
      spec: histogramPanels(r.readout.panels, { referenceName: 'N(0, 1024)', columns: 4 }),
    },
    { name: `${key}-output`, title: `${spec.name}: output probabilities q(F_Y|F2) for the test image (digit ${m.testImage.label}) (${figure} E)`, spec: barChart(r.readout.probs.map((p, l) => ({ label: l, probability: +p.toFixed(5) })), 'label', 'probability') },
    { name: `${key}-training`, title: `${spec.name}: training and test error per epoch`, spec: lineChart(r.curve, 'epoch', errorAxis('error', 'error'), 'set') },
  ];
}

/** The figures in the report's order. */
function figuresOf(m: Measurements): Figure[] {
  const { index, label, image } = m.testImage;
  return [
    syntheticDigitsFigure(m),
    klBinsFigure(m),
    { name: 'test-image', title: `The test image x (digit ${label})`, spec: imageGrid(new Tensor(image.data, [1, 32 * 32]), 32, `test image #${index}`, [`digit ${label}`]) },
    ...m.networks.flatMap((r) => networkFigures(m, r)),
  ];
}

/** The data paragraph: the digits, the training and the choice of bins. */
function dataOf(m: Measurements): string {
  const { imageKl } = m;
  return (
    `${m.data.description} Adam (lr 0.001, batch 32, then lr 0.0001 until no training image is misclassified; the papers use SGD, hyper-parameters not stated). ` +
    `KL bins: ${PAPER_BINS} equal bins over [−128, 128] (N(0, 1024) ± 4σ) for the main claims, because only they give exact Gaussian images the papers' KL[P(X)‖P̂(x)] (0.53–0.81; mean over the test images here ${num(imageKl[PAPER_BINS].mean.value)} on ${PAPER_BINS} bins, ${num(imageKl[COARSE_BINS].mean.value)} on ${COARSE_BINS}, whose 99th percentile ${num(imageKl[COARSE_BINS].p99)} lies below every paper value); ` +
    `the claims marked "${COARSE_BINS} bins (sensitivity)" repeat them on ${COARSE_BINS} bins. Scale-matched KL standardises the energy to mean 0, variance 1024 first. ` +
    `Raw N(0, 1024) pixels in; PyTorch-default initialisation except f1's weights divided by 32 (the input's σ; the papers state no initialisation).`
  );
}

export const priorKlExperiment: Experiment = {
  name: 'prior-kl',
  title: 'The first convolutional layer models the prior: KL[P(X)‖P̂(F1)] on synthetic Gaussian digits',
  paper: 'LB-repr §5.1 (Fig. 2, 3, Table 1); LB-bayes §4.2 (Fig. 1, 2, Table 1)',
  run(ctx) {
    // The order of the rng forks is the order of the draws: data, i.i.d. samples, test image, networks.
    const data = gaussianDigitsFromMnist({ rng: ctx.rng.fork(), sourcesPerClass: byMode<number | undefined>(ctx.mode, SOURCES_PER_CLASS) });
    const prior = priorMasses(PRIOR_EDGES);
    // Every image is a permutation of an N(0, 1024) sample, so its KL to the prior is that of a fresh sample.
    const imageKl = imageKlStats(data.xTest);
    const sampleKl = iidSampleKl(ctx.rng.fork(), prior, data.yTest.size);
    const percentiles = shareBelowPaperValues(data.xTest);
    const testImage = chooseTestImage(ctx.rng.fork(), data);
    const networks = NETWORKS.map((network) => trainAndRead(ctx, this.name, network, data, testImage.image));
    const m: Measurements = { experiment: this.name, mode: ctx.mode, data, nTrain: data.yTrain.size, nTest: data.yTest.size, prior, imageKl, sampleKl, percentiles, testImage, networks };
    return {
      data: dataOf(m),
      scale: { ours: `${m.nTrain.toLocaleString('en-US')} / ${m.nTest.toLocaleString('en-US')}`, paper: '10,000 / 10,000' },
      metrics: metricsOf(m),
      claims: claimsOf(m).rows,
      figures: figuresOf(m),
    };
  },
};
