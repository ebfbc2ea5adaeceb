/**
 * LB-bayes §4.3 (Fig. 3), LB-hidden K.3 (Fig. 26, Table 10) and LB-repr §5.2.1 (Fig. 4): capacity
 * and the learned prior. Trains CNNs with 4, 12, 20 and 36 channels in f1 (LB-bayes Table 1's
 * CNN1–3 are 4, 12, 20; LB-hidden Table 10's are 4, 12, 36, otherwise the same layers) and
 * LB-repr's CNN1 (60 channels in f3) and CNN2 (36) on the synthetic Gaussian digits, and records
 * after every epoch the average KL[P(X)‖P̂(F1)] over test images and the test error. The papers:
 * more f1 channels ⇒ lower KL and lower test error; KL and test error positively correlated over
 * training (LB-hidden K.3); CNN1 generalises better than CNN2 and has the lower KL (0.94 vs 1.59,
 * one test image).
 *
 * Units: one network each (`capacity.units`), so a seed's six trainings can run separately and
 * several seeds fit in a sitting; `merge` builds the claims from the units' per-epoch records.
 * Every unit draws the same data and test image (the first two forks of the seed's stream) and
 * its network's own stream (one fork per network, in NETWORKS order), so a network's numbers do
 * not depend on which other units ran.
 */
import { gaussianDigitsFromMnist } from '../data/gaussian-digits.js';
import { getBackend } from '../tensor/kernels.js';
import { sliceRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';
import { ClaimList, decreasingIn, errorRate, quantity, type Comparison, type Quantity } from './claims.js';
import {
  averagePriorKlF1,
  buildCnn,
  COARSE_BINS,
  imageKlStats,
  KL_BIN_COUNTS,
  LB_REPR_CNN1,
  LB_REPR_CNN2,
  lbBayesCnn,
  lbHiddenCnn,
  PAPER_BINS,
  pearson,
  PRIOR_EDGES,
  priorMasses,
  readTestImage,
  type CnnSpec,
  type ImageKlStats,
  type KlByBins,
} from './cnn.js';
import { byMode, num, pct, train } from './common.js';
import { describeComparisons } from './comparison-text.js';
import { barChart, errorAxis, histogramPanels, imageGrid, lineChart } from './figures.js';
import { dispatchUnit } from './units.js';
import type { Experiment, ExperimentContext, ExperimentFindings, Figure, Mode } from './types.js';

interface Network {
  unit: string;
  key: string;
  spec: CnnSpec;
}

/** The f1 series: LB-bayes Table 1 (4, 12, 20) and LB-hidden Table 10 (4, 12, 36). */
const F1_NETWORKS: Network[] = [
  { unit: 'f1-4', key: 'f1=4', spec: lbBayesCnn(4) },
  { unit: 'f1-12', key: 'f1=12', spec: lbBayesCnn(12) },
  { unit: 'f1-20', key: 'f1=20', spec: lbBayesCnn(20) },
  { unit: 'f1-36', key: 'f1=36', spec: lbHiddenCnn(36) },
];
/** LB-repr Table 1. */
const F3_NETWORKS: Network[] = [
  { unit: 'cnn1-f3-60', key: 'CNN1 f3=60', spec: LB_REPR_CNN1 },
  { unit: 'cnn2-f3-36', key: 'CNN2 f3=36', spec: LB_REPR_CNN2 },
];
const NETWORKS: Network[] = [...F1_NETWORKS, ...F3_NETWORKS];

/** The series each paper's f1 claims are about. */
const LB_BAYES_SERIES = ['f1=4', 'f1=12', 'f1=20'];
const LB_HIDDEN_SERIES = ['f1=4', 'f1=12', 'f1=36'];

/** One epoch's measurements of one network (replayed, not re-measured, on a resumed run). */
export interface CapacityEpoch {
  epoch: number;
  testError: number;
  trainError: number;
  /** Average KL[P(X)‖P̂(F1)] over the test images, ± SE over images, per bin count and reading. */
  kl: KlByBins<Quantity>;
}

/** What one unit (one network) stores for the merge. */
export interface CapacityUnitMetrics {
  network: string;
  spec: CnnSpec;
  epochs: number;
  trainImages: number;
  testImages: number;
  backend: string;
  /** Wall time per epoch (excluded when runs are compared). */
  seconds: number[];
  perEpoch: CapacityEpoch[];
  /** KL of the seed's randomly chosen test image (single image: no SE). */
  testImage: {
    index: number;
    label: number;
    klX: Record<string, number>;
    klF1: KlByBins;
    /** CNN1 and CNN2 only (LB-repr Fig. 4 right): the image and its histograms on the main bins. */
    pixels?: number[];
    histograms?: { x: number[]; energyF1Scaled: number[] };
  };
  /** KL[P(X)‖P̂(x)] of the test images themselves, per bin count (the bins sensitivity table). */
  imageKl: Record<string, ImageKlStats>;
  dataDescription: string;
}

const sizesFor = (mode: Mode) => ({
  // tiny: 1 + 1 source digits per class (20 + 20 images); quick: 30 + 30 (600 + 600);
  // full: the gaussian-digits default, 500 + 500 official MNIST digits per class, two draws each
  // (10,000 + 10,000 images, the papers' 1,000 + 1,000 per class)
  sourcesPerClass: byMode<number | undefined>(mode, { tiny: 2, quick: 60, full: undefined }),
  epochs: byMode(mode, { tiny: 2, quick: 5, full: 30 }),
});

/** Trains one network of NETWORKS on the seed's data and records what the merge needs. */
function runNetwork(ctx: ExperimentContext, network: Network): ExperimentFindings {
  const { sourcesPerClass, epochs } = sizesFor(ctx.mode);
  const data = gaussianDigitsFromMnist({ rng: ctx.rng.fork(), sourcesPerClass });
  const testIndex = ctx.rng.fork().int(data.yTest.size);
  const streams = NETWORKS.map(() => ctx.rng.fork());
  const rng = streams[NETWORKS.indexOf(network)];
  const { key, spec } = network;
  ctx.report({ kind: 'stage', label: `${key}: ${spec.name} (${spec.paper})` });
  const cnn = buildCnn(spec, rng.fork());
  const perEpoch: CapacityEpoch[] = [];
  const logs = train({ ...ctx, rng }, `capacity ${key}`, cnn.net, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, {
    epochs,
    lr: 0.001,
    // LB-bayes §4.3: "we average KL[P(X)‖P̂(F1)] over all testing images … over 30 training epochs".
    afterEpoch: (log, restored?: CapacityEpoch) => {
      const r = restored ?? { epoch: log.epoch, testError: 1 - (log.valAccuracy ?? NaN), trainError: 1 - log.accuracy, kl: averagePriorKlF1(cnn, data.xTest) };
      perEpoch.push(r);
      return r;
    },
  });
  const image = sliceRows(data.xTest, testIndex, 1);
  const readout = readTestImage(cnn, image);
  const isF3 = F3_NETWORKS.includes(network);
  const round = (v: ArrayLike<number>, digits: number) => Array.from(v, (x) => +x.toFixed(digits));
  const metrics: CapacityUnitMetrics = {
    network: key,
    spec,
    epochs,
    trainImages: data.yTrain.size,
    testImages: data.yTest.size,
    backend: getBackend(),
    seconds: logs.map((l) => l.seconds),
    perEpoch,
    testImage: {
      index: testIndex,
      label: data.yTest.data[testIndex],
      klX: Object.fromEntries(Object.entries(readout.byBins.klX).map(([b, k]) => [b, k.raw])),
      klF1: readout.byBins.klF1,
      ...(isF3 ? { pixels: round(image.data, 2), histograms: { x: round(readout.klX.rawHistogram.probs, 6), energyF1Scaled: round(readout.klF1.scaledHistogram.probs, 6) } } : {}),
    },
    imageKl: imageKlStats(data.xTest),
    dataDescription: data.description,
  };
  return { data: data.description, scale: scaleOf(metrics), metrics: metrics as unknown as Record<string, unknown>, claims: [], figures: [] };
}

const thousands = (n: number) => n.toLocaleString('en-US');
const scaleOf = (m: CapacityUnitMetrics) => ({ ours: `${thousands(m.trainImages)} / ${thousands(m.testImages)}`, paper: '10,000 / 10,000' });

const READINGS = [
  { field: 'scaled', name: 'scale-matched KL' },
  { field: 'raw', name: 'raw KL' },
] as const;

/** The claims and figures of one seed from its six units' metrics (keyed by network). */
export function capacityFindings(units: Record<string, CapacityUnitMetrics>): ExperimentFindings {
  const unit = (key: string) => {
    const m = units[key];
    if (!m) throw new Error(`capacity: the merge needs network '${key}', got ${Object.keys(units).join(', ')}`);
    return m;
  };
  const last = (key: string) => unit(key).perEpoch.at(-1)!;
  const first = unit(NETWORKS[0].key);
  const nTest = first.testImages;
  const scale = `${thousands(first.trainImages)} train / ${thousands(nTest)} test images, ${first.epochs} epochs (the papers: 10,000 + 10,000, 30 epochs)`;
  const claims = new ClaimList('capacity');
  const tagOf = (bins: number) => (bins === PAPER_BINS ? '' : `${bins} bins (sensitivity): `);
  const line = (values: Record<string, Quantity>, test: Comparison[]) => describeComparisons(values, test);

  // more f1 channels ⇒ lower KL (LB-bayes Fig. 3 left; LB-hidden Fig. 26A). E_F1 sums the K
  // channels of f1, so its spread (and with it the raw KL's distance to N(0, 1024)) depends on K
  // by construction; the scale-matched KL compares shapes only.
  const klDecreasing = (bins: number) => {
    for (const { field, name } of READINGS) {
      for (const [series, paper] of [
        [LB_BAYES_SERIES, 'decreasing in the number of channels (LB-bayes Fig. 3 left)'],
        [LB_HIDDEN_SERIES, 'decreasing in the number of channels (LB-hidden Fig. 26A)'],
      ] as const) {
        const values = Object.fromEntries(series.map((k) => [k, last(k).kl[bins][field]]));
        const test = decreasingIn(series);
        claims.add({
          claim: `${tagOf(bins)}more channels in f1 (${series.map((k) => k.slice(3)).join(' → ')}) ⇒ lower average KL[P(X)‖P̂(F1)] over test images, last epoch (${name})`,
          paperValue: paper,
          measured: `${line(values, test)} (${scale}; ${bins} bins)`,
          values,
          test,
          note: 'SE: over the test images, for one training per network; the spread across trainings comes from seeds',
        });
      }
    }
  };

  // positive correlation between KL and test error over training (LB-hidden K.3: "for all the three CNNs")
  const correlation = (key: string, bins: number, field: 'raw' | 'scaled') => {
    const rows = unit(key).perEpoch;
    return rows.length > 1 ? pearson(rows.map((r) => r.kl[bins][field].value), rows.map((r) => r.testError)) : NaN;
  };
  const correlated = (bins: number) => {
    for (const { field, name } of READINGS) {
      const values = Object.fromEntries(LB_HIDDEN_SERIES.map((k) => [`r ${k}`, quantity(correlation(k, bins, field))]));
      const test: Comparison[] = LB_HIDDEN_SERIES.map((k) => ({ left: `r ${k}`, op: '>', right: 0 }));
      claims.add({
        claim: `${tagOf(bins)}average KL[P(X)‖P̂(F1)] and test error are positively correlated over epochs, for each of f1 = 4, 12, 36 (${name})`,
        paperValue: 'positive (LB-hidden K.3, Fig. 26)',
        measured: `Pearson r over ${first.epochs} epochs: ${F1_NETWORKS.map(({ key }) => `${key} ${num(correlation(key, bins, field))}`).join(', ')} (f1=20 is LB-bayes', not in K.3)`,
        values,
        test,
        note: 'decided on the direction of r (epochs are not independent samples, so r has no usable SE); across seeds, on the mean ± SE of r',
      });
    }
  };

  // CNN1 (60 channels in f3) vs CNN2 (36): LB-repr Fig. 4
  const [cnn1, cnn2] = F3_NETWORKS.map(({ key }) => key);
  const betterPrior = (bins: number) => {
    for (const { field, name } of READINGS) {
      const values = { CNN1: last(cnn1).kl[bins][field], CNN2: last(cnn2).kl[bins][field] };
      const test: Comparison[] = [{ left: 'CNN1', op: '<', right: 'CNN2' }];
      const image = (key: string) => num(unit(key).testImage.klF1[bins][field]);
      claims.add({
        claim: `${tagOf(bins)}CNN1 learns the better prior: lower KL[P(X)‖q(F1)] than CNN2 (${name}, average over test images)`,
        paperValue: '0.94 < 1.59 (LB-repr Fig. 4 right, one test image)',
        measured: `${line(values, test)}; the seed's test image #${unit(cnn1).testImage.index}: CNN1 ${image(cnn1)} vs CNN2 ${image(cnn2)} (one image, no SE) (${bins} bins)`,
        values,
        test,
        note: 'the paper compares one test image; the average over the test set estimates the same quantity with an SE over images (unpaired, so conservative)',
      });
    }
  };

  klDecreasing(PAPER_BINS);
  for (const [series, paper] of [
    [LB_BAYES_SERIES, 'decreasing (LB-bayes Fig. 3 right)'],
    [LB_HIDDEN_SERIES, 'decreasing (LB-hidden Fig. 26B)'],
  ] as const) {
    const values = Object.fromEntries(series.map((k) => [k, errorRate(last(k).testError, nTest)]));
    const test = decreasingIn(series);
    claims.add({
      claim: `more channels in f1 (${series.map((k) => k.slice(3)).join(' → ')}) ⇒ lower test error (last epoch)`,
      paperValue: paper,
      measured: `${line(values, test)} (${scale})`,
      values,
      test,
      note: 'binomial SE on the test images; differences of a few tenths of a point are within 2 SE at one seed',
    });
  }
  correlated(PAPER_BINS);
  {
    const values = { CNN1: errorRate(last(cnn1).testError, nTest), CNN2: errorRate(last(cnn2).testError, nTest) };
    const test: Comparison[] = [{ left: 'CNN1', op: '<', right: 'CNN2' }];
    claims.add({
      claim: 'CNN1 (60 channels in f3) generalises better than CNN2 (36): lower test error',
      paperValue: 'CNN1 lower (LB-repr Fig. 4 left)',
      measured: `${line(values, test)} (training error during the last epoch ${pct(last(cnn1).trainError)} / ${pct(last(cnn2).trainError)}; ${scale})`,
      values,
      test,
    });
  }
  betterPrior(PAPER_BINS);
  for (const bins of KL_BIN_COUNTS.filter((b) => b !== PAPER_BINS)) {
    klDecreasing(bins);
    correlated(bins);
    betterPrior(bins);
  }

  return {
    data:
      `${first.dataDescription} Adam (lr 0.001, batch 32; the papers use SGD, hyper-parameters not stated). ` +
      `KL bins: ${PAPER_BINS} equal bins over [−128, 128] (N(0, 1024) ± 4σ) for the main claims, because only they reproduce the papers' KL[P(X)‖P̂(x)] of exact Gaussian images ` +
      `(0.53–0.81; here ${num(first.imageKl[PAPER_BINS].mean.value)} on average over the test images at ${PAPER_BINS} bins, ${num(first.imageKl[COARSE_BINS].mean.value)} at ${COARSE_BINS}); ` +
      `the claims marked "${COARSE_BINS} bins (sensitivity)" repeat them on ${COARSE_BINS} bins. Scale-matched = energy standardised to mean 0, variance 1024. ` +
      `Raw N(0, 1024) pixels in; PyTorch-default initialisation except f1's weights divided by 32 (the input's σ; the papers state no initialisation). ` +
      `f1 = 4, 12, 20: LB-bayes Table 1; f1 = 36: LB-hidden Table 10's CNN3 (its CNN1, CNN2 are f1 = 4, 12). One network per unit.`,
    scale: scaleOf(first),
    metrics: capacityMetrics(units),
    claims: claims.rows,
    figures: capacityFigures(units),
  };
}

/** The merged metrics: per network its spec, errors and last-epoch KLs; the bins table. */
function capacityMetrics(units: Record<string, CapacityUnitMetrics>): Record<string, unknown> {
  const first = units[NETWORKS[0].key];
  return {
    epochs: first.epochs,
    trainImages: first.trainImages,
    testImages: first.testImages,
    backend: first.backend,
    seconds: Object.fromEntries(NETWORKS.map(({ key }) => [key, units[key].seconds])),
    networks: Object.fromEntries(NETWORKS.map(({ key }) => [key, units[key].spec])),
    perEpoch: NETWORKS.flatMap(({ key }) => units[key].perEpoch.map((r) => ({ network: key, ...r }))),
    testImage: Object.fromEntries(NETWORKS.map(({ key }) => [key, { index: units[key].testImage.index, klX: units[key].testImage.klX, klF1: units[key].testImage.klF1 }])),
    // the bins sensitivity table: KL(x) of the test images and each network's last-epoch KL(F1) per bin count
    binsSensitivity: Object.fromEntries(
      KL_BIN_COUNTS.map((bins) => [
        bins,
        { imageKl: first.imageKl[bins], lastEpochKlF1: Object.fromEntries(NETWORKS.map(({ key }) => [key, units[key].perEpoch.at(-1)!.kl[bins]])) },
      ]),
    ),
  };
}

function capacityFigures(units: Record<string, CapacityUnitMetrics>): Figure[] {
  const rows = (networks: Network[]) =>
    networks.flatMap(({ key }) =>
      units[key].perEpoch.map((r) => ({ network: key, epoch: r.epoch, klScaled: r.kl[PAPER_BINS].scaled.value, klRaw: r.kl[PAPER_BINS].raw.value, testError: r.testError })),
    );
  const f1Rows = rows(F1_NETWORKS);
  const f3Rows = rows(F3_NETWORKS);
  const [c1, c2] = F3_NETWORKS.map(({ key }) => units[key]);
  const prior = priorMasses(PRIOR_EDGES);
  const figures: Figure[] = [
    { name: 'kl-f1-channels', title: `Average scale-matched KL[P(X)‖P̂(F1)] over test images per epoch (${PAPER_BINS} bins), f1 = 4, 12, 20, 36 channels (LB-bayes Fig. 3 left, LB-hidden Fig. 26A)`, spec: lineChart(f1Rows, 'epoch', { field: 'klScaled', title: 'KL, scale-matched' }, 'network') },
    { name: 'kl-raw-f1-channels', title: `Average raw KL[P(X)‖P̂(F1)] per epoch (${PAPER_BINS} bins), f1 = 4, 12, 20, 36 channels`, spec: lineChart(f1Rows, 'epoch', { field: 'klRaw', title: 'KL, raw energy' }, 'network') },
    { name: 'test-error-f1-channels', title: 'Test error per epoch, f1 = 4, 12, 20, 36 channels (LB-bayes Fig. 3 right, LB-hidden Fig. 26B)', spec: lineChart(f1Rows, 'epoch', errorAxis(), 'network') },
    { name: 'test-error-f3-channels', title: 'Test error per epoch, CNN1 (f3 = 60) vs CNN2 (f3 = 36) (LB-repr Fig. 4 left)', spec: lineChart(f3Rows, 'epoch', errorAxis(), 'network') },
    { name: 'kl-f3-channels', title: `Average scale-matched KL[P(X)‖P̂(F1)] per epoch (${PAPER_BINS} bins), CNN1 vs CNN2`, spec: lineChart(f3Rows, 'epoch', { field: 'klScaled', title: 'KL, scale-matched' }, 'network') },
    {
      name: 'kl-bins',
      title: `Bins sensitivity: last-epoch average scale-matched KL[P(X)‖P̂(F1)] per network, and the test images' own KL[P(X)‖P̂(x)], on ${KL_BIN_COUNTS.join(' and ')} bins`,
      spec: barChart(
        KL_BIN_COUNTS.flatMap((bins) => [
          { what: 'x (the images)', bins: `${bins} bins`, kl: +units[NETWORKS[0].key].imageKl[bins].mean.value.toFixed(4) },
          ...NETWORKS.map(({ key }) => ({ what: key, bins: `${bins} bins`, kl: +units[key].perEpoch.at(-1)!.kl[bins].scaled.value.toFixed(4) })),
        ]),
        'what',
        'kl',
        undefined,
        'bins',
      ),
    },
  ];
  if (c1.testImage.pixels && c1.testImage.histograms && c2.testImage.histograms) {
    const name = (label: string, m: CapacityUnitMetrics) => `${label} E_F1: KL ${num(m.testImage.klF1[PAPER_BINS].scaled)} (raw ${num(m.testImage.klF1[PAPER_BINS].raw)})`;
    figures.push(
      { name: 'test-image', title: `The test image of the histograms (digit ${c1.testImage.label})`, spec: imageGrid(new Tensor(Float32Array.from(c1.testImage.pixels), [1, 1024]), 32, `test image #${c1.testImage.index}`) },
      {
        name: 'prior-cnn1-cnn2',
        title: `Histograms of x, E_F1 of CNN1 and of CNN2 (scale-matched) for one test image, ${PAPER_BINS} bins; red: N(0, 1024) (LB-repr Fig. 4 right)`,
        spec: histogramPanels(
          [
            { name: `x: KL ${num(c1.testImage.klX[PAPER_BINS])}`, edges: PRIOR_EDGES, probs: c1.testImage.histograms.x, reference: prior },
            { name: name('CNN1', c1), edges: PRIOR_EDGES, probs: c1.testImage.histograms.energyF1Scaled, reference: prior },
            { name: name('CNN2', c2), edges: PRIOR_EDGES, probs: c2.testImage.histograms.energyF1Scaled, reference: prior },
          ],
          { referenceName: 'N(0, 1024)', columns: 3 },
        ),
      },
    );
  }
  return figures;
}

export const capacity: Experiment = {
  name: 'capacity',
  title: 'More channels in f1 give a better prior (lower KL) and lower test error',
  paper: 'LB-bayes §4.3 (Fig. 3); LB-hidden App. K.3 (Fig. 26, Table 10); LB-repr §5.2.1 (Fig. 4)',
  units: () => NETWORKS.map((n) => n.unit),
  run(ctx) {
    return dispatchUnit(capacity, ctx, (unit) => runNetwork(ctx, NETWORKS.find((n) => n.unit === unit)!));
  },
  merge(parts) {
    const units = Object.fromEntries(
      parts.map(({ unit, findings }) => {
        const network = NETWORKS.find((n) => n.unit === unit);
        if (!network) throw new Error(`capacity: merge got unknown unit '${unit}'`);
        return [network.key, findings.metrics as unknown as CapacityUnitMetrics];
      }),
    );
    return capacityFindings(units);
  },
};
