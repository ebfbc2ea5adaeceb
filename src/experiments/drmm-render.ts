/**
 * DRMM §3.2–3.4 and §4: what the trained DRMM's generative model renders. A 2-level NN-DRMM is
 * trained with EG (as in drmm-supervised, retrained here so that this experiment runs on its own);
 * then
 *  - per class, the rendering Λ_g μ_c along the most frequent path (each unit's most frequent
 *    E-step choice for that class: the class-conditional nuisance prior π_g|c, estimated as a hard-EM
 *    M-step would), and renderings along paths sampled from that prior (eq 4–5);
 *  - top-down reconstructions Λ_ĝ μ_ĉ of test digits along the inferred class and path (§3.2,
 *    "Top-Down Inference"), next to the originals.
 * Measured: the fraction of renderings that the trained classifiers assign to the rendered class
 * (against chance, 10%, with its binomial SE), and the reconstruction error against baselines (the
 * class-mean digit of the inferred class, the blank image, and the same path rendered from another
 * class), decided on the per-image paired differences (mean ± SE over the test digits).
 */
import { noGrad } from '../autograd/engine.js';
import type { DRMM } from '../prob/drmm/drmm.js';
import type { Sequential } from '../layers/layers.js';
import { rowsByClass, sliceRows, takeRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';
import { ClaimList, errorRate, meanWithSe } from './claims.js';
import { byMode, num, pct } from './common.js';
import { buildDcn, buildDrmm, describeConfig, describeEg, digitImages, EG, perImageMse, testError, trainDcn, trainEg, type DigitImages, type DrmmConfig, type EpochRecord } from './drmm-common.js';
import { supervisedConfigs } from './drmm-supervised.js';
import { pictureGrid } from './picture-grid.js';
import type { Experiment, ExperimentContext, Figure, Mode } from './types.js';

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/** Sizes of one mode: digits, epochs of each model, batch size and sampled renderings per class. */
interface RenderSettings {
  train: number;
  test: number;
  epochs: number;
  batchSize: number;
  perClass: number;
}

/**
 * Sizes per mode (the 2-level configuration of drmm-supervised). Full: the official 60,000 / 10,000
 * digits and 10 epochs for each model: the claims are about what the trained model renders, not
 * about its asymptotic error, and 10 epochs keep the run at ~40 minutes (one EG epoch ~2.6 min).
 */
const RENDER_SETTINGS = {
  tiny: { train: 160, test: 100, epochs: 2, batchSize: 32, perClass: 2 },
  quick: { train: 5000, test: 2000, epochs: 5, batchSize: 32, perClass: 5 },
  full: { train: 60000, test: 10000, epochs: 10, batchSize: 32, perClass: 10 },
} as const satisfies Record<Mode, RenderSettings>;

/** RENDER_SETTINGS of one mode. */
export function renderSettings(mode: Mode): RenderSettings {
  return byMode<RenderSettings>(mode, RENDER_SETTINGS);
}

/** Digits per reconstruction batch. */
const RECONSTRUCTION_BATCH = 250;

/** Pixels per digit. */
const D = 28 * 28;

/** Per-image differences a[i] − b[i]. */
const differences = (a: readonly number[], b: readonly number[]) => a.map((v, i) => v - b[i]);

/** Fraction of rows of `images` that `classify` assigns to `classes`. */
function recognised(classify: { forward(x: Tensor): Tensor }, images: Tensor, classes: readonly number[]): number {
  const predicted = noGrad(() => classify.forward(images).argmax(1).data);
  return classes.filter((c, i) => predicted[i] === c).length / classes.length;
}

/** The EG-trained DRMM and the back-propagation DCN that judges its renderings, with their test errors. */
interface TrainedModels {
  model: DRMM;
  judge: Sequential;
  eg: EpochRecord[];
  drmmError: number;
  judgeError: number;
}

/** The renderings (eq 4–5) and how often each classifier recognises their class. */
interface Renderings {
  classes10: number[];
  modeImages: Tensor;
  sampleClasses: number[];
  samples: Tensor;
  uninformedImages: Tensor;
  recognition: Record<'uninformedByDrmm' | 'uninformedByDcn' | 'modeByDrmm' | 'modeByDcn' | 'samplesByDrmm' | 'samplesByDcn', number>;
}

/** The top-down reconstructions of the test digits along the inferred class ĉ and along ĉ + 1 mod 10. */
interface Reconstructions {
  chat: number[];
  recon: Tensor;
  otherClass: Tensor;
}

/** Per-image reconstruction errors of the DRMM and its baselines, their means, and the DRMM's win rate over the class mean. */
interface ReconstructionErrors {
  perImage: Record<'drmm' | 'classMean' | 'blank' | 'otherClass', number[]>;
  mse: Record<'drmm' | 'classMean' | 'blank' | 'otherClass', number>;
  betterThanMean: number;
}

/** Everything the claims, metrics and figures are made of. */
interface Measurements {
  experiment: string;
  settings: RenderSettings;
  config: DrmmConfig;
  digits: DigitImages;
  trained: TrainedModels;
  renderings: Renderings;
  reconstructions: Reconstructions;
  errors: ReconstructionErrors;
}

/** Trains the DRMM with EG and, from the next rng fork, the DCN judge by back-propagation. */
function trainModels(ctx: ExperimentContext, s: RenderSettings, config: DrmmConfig, digits: DigitImages): TrainedModels {
  const data = { x: digits.xTrain, y: digits.yTrain, xTest: digits.xTest, yTest: digits.yTest };
  ctx.report({ kind: 'stage', label: 'EG training of the DRMM' });
  const model = buildDrmm(config, ctx.rng.fork(), { nonnegativity: EG.nonnegativity });
  const eg = trainEg(ctx, 'render EG', model, data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight });
  ctx.report({ kind: 'stage', label: 'a DCN as an independent judge of the renderings' });
  const judge = buildDcn(config, ctx.rng.fork());
  trainDcn(ctx, 'render judge DCN', judge, data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize });
  return { model, judge, eg, drmmError: eg[eg.length - 1].testError, judgeError: testError(judge, digits.xTest, digits.yTest) };
}

/** Rendering (eq 4–5) with the class-conditional nuisance prior estimated from the training digits, and the uninformed-prior baseline. */
function render(ctx: ExperimentContext, { model, judge }: TrainedModels, digits: DigitImages, perClass: number): Renderings {
  ctx.report({ kind: 'stage', label: 'rendering' });
  const prior = model.latentPrior(digits.xTrain, digits.yTrain);
  const classes10 = Array.from({ length: 10 }, (_, c) => c);
  const modeImages = noGrad(() => model.topDown(classes10, model.modeLatents(classes10, prior)));
  const sampleClasses = Array.from({ length: 10 * perClass }, (_, i) => Math.floor(i / perClass));
  const drawn = model.sample(ctx.rng.fork(), sampleClasses.length, { classes: sampleClasses, prior });
  const samples = noGrad(() => model.topDown(sampleClasses, drawn.latents)); // the noiseless renderings
  // Baseline: the same classes rendered along paths from the uninformed prior (switch on with pOn, uniform positions).
  const uninformed = model.sample(ctx.rng.fork(), sampleClasses.length, { classes: sampleClasses });
  const uninformedImages = noGrad(() => model.topDown(sampleClasses, uninformed.latents));
  const recognition = {
    uninformedByDrmm: recognised(model, uninformedImages, sampleClasses),
    uninformedByDcn: recognised(judge, uninformedImages, sampleClasses),
    modeByDrmm: recognised(model, modeImages, classes10),
    modeByDcn: recognised(judge, modeImages, classes10),
    samplesByDrmm: recognised(model, samples, sampleClasses),
    samplesByDcn: recognised(judge, samples, sampleClasses),
  };
  return { classes10, modeImages, sampleClasses, samples, uninformedImages, recognition };
}

/** Top-down reconstruction Λ_ĝ μ_ĉ of the test digits along the inferred (ĉ, ĝ) (§3.2), and along (ĉ + 1 mod 10, ĝ). */
function reconstruct(ctx: ExperimentContext, model: DRMM, xTest: Tensor): Reconstructions {
  ctx.report({ kind: 'stage', label: 'reconstruction' });
  const chat: number[] = [];
  const recon = new Tensor(new Float32Array(xTest.size), xTest.shape);
  const otherClass = new Tensor(new Float32Array(xTest.size), xTest.shape);
  for (let first = 0; first < xTest.shape[0]; first += RECONSTRUCTION_BATCH) {
    const batch = sliceRows(xTest, first, Math.min(RECONSTRUCTION_BATCH, xTest.shape[0] - first));
    noGrad(() => {
      const { scores, latents } = model.infer(batch);
      const c = [...scores.argmax(1).data];
      chat.push(...c);
      recon.data.set(model.topDown(c, latents).data, first * D);
      otherClass.data.set(model.topDown(c.map((k) => (k + 1) % 10), latents).data, first * D);
    });
  }
  return { chat, recon, otherClass };
}

/**
 * The class-mean training digit of each class, [10, ...digit shape]: summed in float32 in row order,
 * then divided by the class's count (kept as a loop: a tensor sum's rounding is not known to match).
 */
function classMeanDigits(xTrain: Tensor, yTrain: Tensor): Tensor {
  const classMeans = new Float32Array(10 * D);
  const counts = new Array<number>(10).fill(0);
  yTrain.data.forEach((c, n) => {
    counts[c]++;
    for (let j = 0; j < D; j++) classMeans[c * D + j] += xTrain.data[n * D + j];
  });
  classMeans.forEach((v, i) => (classMeans[i] = v / counts[Math.floor(i / D)]));
  return new Tensor(classMeans, [10, ...xTrain.shape.slice(1)]);
}

/** The reconstruction error per test digit of the DRMM and of the baselines: the class mean of ĉ, the blank image, the other class. */
function reconstructionErrors(digits: DigitImages, { chat, recon, otherClass }: Reconstructions): ReconstructionErrors {
  const meanOfInferred = takeRows(classMeanDigits(digits.xTrain, digits.yTrain), chat);
  const perImage = {
    drmm: perImageMse(recon, digits.xTest),
    classMean: perImageMse(meanOfInferred, digits.xTest),
    blank: perImageMse(new Tensor(new Float32Array(digits.xTest.size), digits.xTest.shape), digits.xTest),
    otherClass: perImageMse(otherClass, digits.xTest),
  };
  const mse = { drmm: mean(perImage.drmm), classMean: mean(perImage.classMean), blank: mean(perImage.blank), otherClass: mean(perImage.otherClass) };
  const betterThanMean = perImage.classMean.filter((e, i) => perImage.drmm[i] < e).length / perImage.drmm.length;
  return { perImage, mse, betterThanMean };
}

/** The four claims: two on recognising renderings, two on reconstruction, each decided against its baseline. */
function claimsOf(m: Measurements): ClaimList {
  const { recognition, classes10, sampleClasses } = m.renderings;
  const { perImage, mse, betterThanMean } = m.errors;
  const scale = `${m.settings.train} train digits, ${m.settings.epochs} epochs, ${describeConfig(m.config)}`;
  const claims = new ClaimList(m.experiment);
  claims.add({
    claim: 'a rendering of class c along its most frequent path is recognised as c by an independent DCN (above chance)',
    paperValue: 'qualitative (rendered templates μ_cg carry the class, §3.4)',
    measured: `${pct(recognition.modeByDrmm)} by the DRMM, ${pct(recognition.modeByDcn)} by an independent DCN (10 renderings; ${scale})`,
    values: { 'recognised by the DCN': errorRate(recognition.modeByDcn, classes10.length), 'recognised by the DRMM': errorRate(recognition.modeByDrmm, classes10.length) },
    test: [{ left: 'recognised by the DCN', op: '>', right: 0.1 }],
    note: 'Against chance (10%), with the binomial SE of 10 renderings; the DRMM\'s own rate is reported beside it.',
  });
  claims.add({
    claim: 'renderings along paths sampled from the class-conditional prior are recognised as their class by an independent DCN (above chance)',
    paperValue: 'qualitative',
    measured: `${pct(recognition.samplesByDrmm)} by the DRMM, ${pct(recognition.samplesByDcn)} by an independent DCN (${sampleClasses.length} samples; chance 10%); paths from the uninformed prior (pOn = ${m.trained.model.pOn}, uniform positions): ${pct(recognition.uninformedByDrmm)} / ${pct(recognition.uninformedByDcn)}`,
    values: { 'sampled paths, DCN': errorRate(recognition.samplesByDcn, sampleClasses.length), 'uninformed paths, DCN': errorRate(recognition.uninformedByDcn, sampleClasses.length) },
    test: [{ left: 'sampled paths, DCN', op: '>', right: 0.1 }],
    note: 'Renderings along uninformed paths look like scribbles (figure uninformed-renderings), yet most are still assigned their class: the classifiers pick up the class template\'s evidence, so this fraction alone is a weak test of looking like a digit; compare the figures.',
  });
  claims.add({
    claim: 'top-down reconstruction Λ_ĝ μ_ĉ of test digits beats the class-mean digit of ĉ',
    paperValue: 'qualitative (reconstructed images, Appendix)',
    measured: `MSE per pixel ${num(mse.drmm, 4)} vs ${num(mse.classMean, 4)} (class mean), ${num(mse.blank, 4)} (blank); better on ${pct(betterThanMean)} of ${m.digits.yTest.size} test digits`,
    values: { 'MSE DRMM − class mean': meanWithSe(differences(perImage.drmm, perImage.classMean)), 'MSE DRMM': meanWithSe(perImage.drmm), 'MSE class mean': meanWithSe(perImage.classMean) },
    test: [{ left: 'MSE DRMM − class mean', op: '<', right: 0 }],
    note: 'Decided on the per-image paired difference (mean ± SE over the test digits).',
  });
  claims.add({
    claim: 'the inferred class matters: the same path rendered from another class reconstructs worse',
    paperValue: 'implied by eq 5–7',
    measured: `MSE ${num(mse.drmm, 4)} (ĉ) vs ${num(mse.otherClass, 4)} (ĉ + 1 mod 10)`,
    values: { 'MSE ĉ − other class': meanWithSe(differences(perImage.drmm, perImage.otherClass)), 'MSE ĉ': meanWithSe(perImage.drmm), 'MSE other class': meanWithSe(perImage.otherClass) },
    test: [{ left: 'MSE ĉ − other class', op: '<', right: 0 }],
    note: 'Decided on the per-image paired difference (mean ± SE over the test digits).',
  });
  return claims;
}

/** The metrics: test errors, recognition rates, reconstruction errors and the EG curve. */
function metricsOf(m: Measurements): Record<string, unknown> {
  const { drmmError, judgeError, eg } = m.trained;
  return { drmmTestError: drmmError, judgeTestError: judgeError, recognition: m.renderings.recognition, reconstructionMse: m.errors.mse, fractionBetterThanClassMean: m.errors.betterThanMean, samplesPerClass: m.settings.perClass, eg };
}

/** Two test digits of each class, each followed by its reconstruction, with their captions. */
function reconstructionPairs(digits: DigitImages, { chat, recon }: Reconstructions): { pairs: Tensor; labels: string[] } {
  const shown = rowsByClass(digits.yTest.data, 10).flatMap((rows) => rows.slice(0, 2));
  const pairs = new Float32Array(shown.length * 2 * D);
  const labels: string[] = [];
  shown.forEach((n, k) => {
    pairs.set(digits.xTest.data.subarray(n * D, (n + 1) * D), 2 * k * D);
    pairs.set(recon.data.subarray(n * D, (n + 1) * D), (2 * k + 1) * D);
    labels.push(`digit ${digits.yTest.data[n]}`, `as ${chat[n]}`);
  });
  return { pairs: new Tensor(pairs, [shown.length * 2, D]), labels };
}

/** The renderings along the most frequent, sampled and uninformed paths, and the reconstruction pairs. */
function figuresOf(m: Measurements): Figure[] {
  const { classes10, modeImages, sampleClasses, samples, uninformedImages } = m.renderings;
  const { perClass } = m.settings;
  const { pairs, labels } = reconstructionPairs(m.digits, m.reconstructions);
  const flat = (t: Tensor) => t.reshape([t.shape[0], D]);
  return [
    { name: 'class-renderings', title: 'Λ_g μ_c along each class\'s most frequent path (classes 0–9)', spec: pictureGrid(flat(modeImages), 28, { title: 'most frequent path per class', captions: classes10.map((c) => `class ${c}`) }) },
    { name: 'sampled-renderings', title: `Renderings along paths sampled from π_g|c, ${perClass} per class (one row per class)`, spec: pictureGrid(flat(samples), 28, { title: 'sampled paths', captions: sampleClasses.map((c) => `class ${c}`), columns: perClass }) },
    { name: 'uninformed-renderings', title: `Baseline: the same classes along paths from the uninformed prior (pOn = ${m.trained.model.pOn}, uniform positions)`, spec: pictureGrid(flat(uninformedImages), 28, { title: 'uninformed paths', captions: sampleClasses.map((c) => `class ${c}`), columns: perClass }) },
    { name: 'reconstructions', title: 'Test digits and their top-down reconstructions Λ_ĝ μ_ĉ (pairs)', spec: pictureGrid(pairs, 28, { title: 'original / reconstruction', captions: labels, columns: 8 }) },
  ];
}

export const drmmRender: Experiment = {
  name: 'drmm-render',
  title: 'Rendering from the trained DRMM and top-down reconstruction of test digits',
  paper: 'DRMM §3.2 (eq 4–6, top-down inference), §3.4, §4',
  run(ctx) {
    const s = renderSettings(ctx.mode);
    const config = supervisedConfigs(ctx.mode).deep;
    // The order of the rng forks is the order of the draws: digits, DRMM, judge, sampled paths, uninformed paths.
    const digits = digitImages(ctx, s.train, s.test);
    const trained = trainModels(ctx, s, config, digits);
    const renderings = render(ctx, trained, digits, s.perClass);
    const reconstructions = reconstruct(ctx, trained.model, digits.xTest);
    const errors = reconstructionErrors(digits, reconstructions);
    const m: Measurements = { experiment: this.name, settings: s, config, digits, trained, renderings, reconstructions, errors };
    return {
      data: `${digits.description} ${config.name} trained with EG (${describeEg(EG)}, ${s.epochs} epochs; test error ${pct(trained.drmmError)}); judge: the DCN of the same configuration trained by back-propagation (test error ${pct(trained.judgeError)}). Renderings are noiseless (σ omitted); the nuisance prior is the class-conditional frequency of each unit's E-step choice on the training digits.`,
      scale: { ours: `${s.train.toLocaleString('en-US')} / ${s.test.toLocaleString('en-US')}`, paper: '60,000 / 10,000' },
      metrics: metricsOf(m),
      claims: claimsOf(m).rows,
      figures: figuresOf(m),
    };
  },
};
