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
import { takeRows } from '../tensor/rows.js';
import { Tensor } from '../tensor/tensor.js';
import { ClaimList, errorRate, meanWithSe } from './claims.js';
import { byMode, num, pct } from './common.js';
import { buildDcn, buildDrmm, describeConfig, describeEg, digitImages, EG, perImageMse, testError, trainDcn, trainEg } from './drmm-common.js';
import { supervisedConfigs } from './drmm-supervised.js';
import { pictureGrid } from './picture-grid.js';
import type { Experiment, Mode } from './types.js';

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/**
 * Sizes per mode (the 2-level configuration of drmm-supervised). Full: the official 60,000 / 10,000
 * digits and 10 epochs for each model: the claims are about what the trained model renders, not
 * about its asymptotic error, and 10 epochs keep the run at ~40 minutes (one EG epoch ~2.6 min).
 */
export function renderSettings(mode: Mode) {
  return byMode(mode, {
    tiny: { train: 160, test: 100, epochs: 2, batchSize: 32, perClass: 2 },
    quick: { train: 5000, test: 2000, epochs: 5, batchSize: 32, perClass: 5 },
    full: { train: 60000, test: 10000, epochs: 10, batchSize: 32, perClass: 10 },
  });
}

/** Per-image differences a[i] − b[i]. */
const differences = (a: readonly number[], b: readonly number[]) => a.map((v, i) => v - b[i]);

/** Fraction of rows of `images` that `classify` assigns to `classes`. */
function recognised(classify: { forward(x: Tensor): Tensor }, images: Tensor, classes: readonly number[]): number {
  const predicted = noGrad(() => classify.forward(images).argmax(1).data);
  return classes.filter((c, i) => predicted[i] === c).length / classes.length;
}

export const drmmRender: Experiment = {
  name: 'drmm-render',
  title: 'Rendering from the trained DRMM and top-down reconstruction of test digits',
  paper: 'DRMM §3.2 (eq 4–6, top-down inference), §3.4, §4',
  run(ctx) {
    const s = renderSettings(ctx.mode);
    const { perClass } = s;
    const config = supervisedConfigs(ctx.mode).deep;
    const digits = digitImages(ctx, s.train, s.test);
    const data = { x: digits.xTrain, y: digits.yTrain, xTest: digits.xTest, yTest: digits.yTest };
    ctx.report({ kind: 'stage', label: 'EG training of the DRMM' });
    const model = buildDrmm(config, ctx.rng.fork(), { nonnegativity: EG.nonnegativity });
    const eg = trainEg(ctx, 'render EG', model, data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight });
    ctx.report({ kind: 'stage', label: 'a DCN as an independent judge of the renderings' });
    const judge = buildDcn(config, ctx.rng.fork());
    trainDcn(ctx, 'render judge DCN', judge, data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize });
    const drmmError = eg[eg.length - 1].testError;
    const judgeError = testError(judge, digits.xTest, digits.yTest);

    // Rendering (eq 4–5) with the class-conditional nuisance prior estimated from the training digits.
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

    // Top-down reconstruction of the test digits along the inferred (ĉ, ĝ).
    ctx.report({ kind: 'stage', label: 'reconstruction' });
    const D = 28 * 28;
    const chat: number[] = [];
    const recon = new Tensor(new Float32Array(digits.xTest.size), digits.xTest.shape);
    const otherClass = new Tensor(new Float32Array(digits.xTest.size), digits.xTest.shape);
    for (let first = 0; first < digits.xTest.shape[0]; first += 250) {
      const idx = Array.from({ length: Math.min(250, digits.xTest.shape[0] - first) }, (_, k) => first + k);
      noGrad(() => {
        const { scores, latents } = model.infer(takeRows(digits.xTest, idx));
        const c = [...scores.argmax(1).data];
        chat.push(...c);
        recon.data.set(model.topDown(c, latents).data, first * D);
        otherClass.data.set(model.topDown(c.map((k) => (k + 1) % 10), latents).data, first * D);
      });
    }
    const classMeans = new Float32Array(10 * D);
    const counts = new Array<number>(10).fill(0);
    digits.yTrain.data.forEach((c, n) => {
      counts[c]++;
      for (let j = 0; j < D; j++) classMeans[c * D + j] += digits.xTrain.data[n * D + j];
    });
    classMeans.forEach((v, i) => (classMeans[i] = v / counts[Math.floor(i / D)]));
    const meanOfInferred = new Tensor(Float32Array.from({ length: chat.length * D }, (_, i) => classMeans[chat[Math.floor(i / D)] * D + (i % D)]), digits.xTest.shape);
    const perImage = {
      drmm: perImageMse(recon, digits.xTest),
      classMean: perImageMse(meanOfInferred, digits.xTest),
      blank: perImageMse(new Tensor(new Float32Array(digits.xTest.size), digits.xTest.shape), digits.xTest),
      otherClass: perImageMse(otherClass, digits.xTest),
    };
    const mse = { drmm: mean(perImage.drmm), classMean: mean(perImage.classMean), blank: mean(perImage.blank), otherClass: mean(perImage.otherClass) };
    const betterThanMean = perImage.classMean.filter((e, i) => perImage.drmm[i] < e).length / perImage.drmm.length;

    // Figures: two test digits of each class, original then reconstruction.
    const shown: number[] = [];
    for (let c = 0; c < 10; c++) {
      let taken = 0;
      for (let n = 0; n < digits.yTest.size && taken < 2; n++) if (digits.yTest.data[n] === c) (shown.push(n), taken++);
    }
    const pairs = new Float32Array(shown.length * 2 * D);
    const pairLabels: string[] = [];
    shown.forEach((n, k) => {
      pairs.set(digits.xTest.data.subarray(n * D, (n + 1) * D), 2 * k * D);
      pairs.set(recon.data.subarray(n * D, (n + 1) * D), (2 * k + 1) * D);
      pairLabels.push(`digit ${digits.yTest.data[n]}`, `as ${chat[n]}`);
    });
    const flat = (t: Tensor) => t.reshape([t.shape[0], D]);
    const scale = `${s.train} train digits, ${s.epochs} epochs, ${describeConfig(config)}`;
    const claims = new ClaimList(this.name);
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
      measured: `${pct(recognition.samplesByDrmm)} by the DRMM, ${pct(recognition.samplesByDcn)} by an independent DCN (${sampleClasses.length} samples; chance 10%); paths from the uninformed prior (pOn = ${model.pOn}, uniform positions): ${pct(recognition.uninformedByDrmm)} / ${pct(recognition.uninformedByDcn)}`,
      values: { 'sampled paths, DCN': errorRate(recognition.samplesByDcn, sampleClasses.length), 'uninformed paths, DCN': errorRate(recognition.uninformedByDcn, sampleClasses.length) },
      test: [{ left: 'sampled paths, DCN', op: '>', right: 0.1 }],
      note: 'Renderings along uninformed paths look like scribbles (figure uninformed-renderings), yet most are still assigned their class: the classifiers pick up the class template\'s evidence, so this fraction alone is a weak test of looking like a digit; compare the figures.',
    });
    claims.add({
      claim: 'top-down reconstruction Λ_ĝ μ_ĉ of test digits beats the class-mean digit of ĉ',
      paperValue: 'qualitative (reconstructed images, Appendix)',
      measured: `MSE per pixel ${num(mse.drmm, 4)} vs ${num(mse.classMean, 4)} (class mean), ${num(mse.blank, 4)} (blank); better on ${pct(betterThanMean)} of ${digits.yTest.size} test digits`,
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
    return {
      data: `${digits.description} ${config.name} trained with EG (${describeEg(EG)}, ${s.epochs} epochs; test error ${pct(drmmError)}); judge: the DCN of the same configuration trained by back-propagation (test error ${pct(judgeError)}). Renderings are noiseless (σ omitted); the nuisance prior is the class-conditional frequency of each unit's E-step choice on the training digits.`,
      scale: { ours: `${s.train.toLocaleString('en-US')} / ${s.test.toLocaleString('en-US')}`, paper: '60,000 / 10,000' },
      metrics: { drmmTestError: drmmError, judgeTestError: judgeError, recognition, reconstructionMse: mse, fractionBetterThanClassMean: betterThanMean, samplesPerClass: perClass, eg },
      claims: claims.rows,
      figures: [
        { name: 'class-renderings', title: 'Λ_g μ_c along each class\'s most frequent path (classes 0–9)', spec: pictureGrid(flat(modeImages), 28, { title: 'most frequent path per class', captions: classes10.map((c) => `class ${c}`) }) },
        { name: 'sampled-renderings', title: `Renderings along paths sampled from π_g|c, ${perClass} per class (one row per class)`, spec: pictureGrid(flat(samples), 28, { title: 'sampled paths', captions: sampleClasses.map((c) => `class ${c}`), columns: perClass }) },
        { name: 'uninformed-renderings', title: `Baseline: the same classes along paths from the uninformed prior (pOn = ${model.pOn}, uniform positions)`, spec: pictureGrid(flat(uninformedImages), 28, { title: 'uninformed paths', captions: sampleClasses.map((c) => `class ${c}`), columns: perClass }) },
        { name: 'reconstructions', title: 'Test digits and their top-down reconstructions Λ_ĝ μ_ĉ (pairs)', spec: pictureGrid(new Tensor(pairs, [shown.length * 2, D]), 28, { title: 'original / reconstruction', captions: pairLabels, columns: 8 }) },
      ],
    };
  },
};
