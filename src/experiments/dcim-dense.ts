/**
 * DCIM §3.1 (Fig. 1, 2): a 784-512-512-10 sigmoid network with a softmax top, read as a DCIM,
 * trained discriminatively (cross-entropy) and generatively (eq 21: + the reverse model's
 * log-likelihood of the image given the class). Training and validation accuracy of both, the
 * reverse model's loss over epochs, and samples of every class from the reverse model in its two
 * sampling modes, each captioned with the forward model's class and probability. Eq 21 runs twice:
 * with the reverse term per pixel (weight 1/784: Keras' binary cross-entropy is a mean over the
 * pixels, the scale of the paper's reported reverse losses; the classifier's term dominates) and
 * per image (weight 1: eq 21 as printed; q's term dominates); two more weights, 10/784 and
 * 100/784, give the sensitivity table of the reverse-term weight, which the paper leaves open.
 * Paper: generative learning costs "only a rather insignificant drop of the classification
 * accuracy" (Fig. 1; no number in the text), and q generates average digit shapes (Fig. 2).
 *
 * One unit per trained network (five, each ≈ 16–23 min at full size on one core); `merge`
 * builds the claims from the five.
 */
import { describeMnist, loadMnist } from '../data/mnist.js';
import { DCIM } from '../prob/dcim/model.js';
import { errorRate, meanWithSe, quantity, ClaimList, type Comparison, type Quantity } from './claims.js';
import { byMode, num, pct, sigmoidMlp } from './common.js';
import {
  centreInputBias,
  firstPerClass,
  kerasInit,
  learnedEnough,
  pairedAccuracyDifference,
  reverseLossReferences,
  sampleCaptions,
  trainAndSummarise,
  type DcimRunSummary,
  type SampleSummary,
} from './dcim-common.js';
import { barChart, lineChart } from './figures.js';
import { pictureGrid } from './picture-grid.js';
import { dispatchUnit, unitFindings } from './units.js';
import type { Experiment, ExperimentContext, ExperimentFindings, Figure, Mode } from './types.js';

/** The largest accuracy drop (validation) still called insignificant: 1 point. */
const INSIGNIFICANT_DROP = 0.01;
/** "Mostly" classified as their class: more than half of the samples. */
const MOSTLY = 0.5;
/** Samples per class behind the statistics (the pictures show the first 10). */
const SAMPLES_PER_CLASS = 100;

/** The trained networks, one unit each; `weight` is the reverse term's weight per image. */
const VARIANTS = {
  discriminative: { objective: 'discriminative', weight: 0, label: 'discriminative', short: 'disc.' },
  'per-pixel': { objective: 'eq21', weight: 1 / 784, label: 'generative (eq 21, reverse term per pixel)', short: 'gen. per pixel' },
  'per-image': { objective: 'eq21', weight: 1, label: 'generative (eq 21, reverse term per image)', short: 'gen. per image' },
  'weight-10': { objective: 'eq21', weight: 10 / 784, label: 'generative (eq 21, reverse weight 10/784)', short: 'gen. 10/784' },
  'weight-100': { objective: 'eq21', weight: 100 / 784, label: 'generative (eq 21, reverse weight 100/784)', short: 'gen. 100/784' },
} as const;
type Variant = keyof typeof VARIANTS;
const UNITS = Object.keys(VARIANTS) as Variant[];
/** The sweep of the reverse-term weight, in increasing order (the first and last are the main runs). */
const SWEEP: readonly Variant[] = ['per-pixel', 'weight-10', 'weight-100', 'per-image'];
const SWEEP_NAME: Record<string, string> = { 'per-pixel': '1/784', 'weight-10': '10/784', 'weight-100': '100/784', 'per-image': '1' };
const GENERATIVE = ['per-pixel', 'per-image'] as const;
const MODES = ['full', 'oneLayerThenMean'] as const;
const MODE_TITLE = { full: 'recursive sampling from the class layer to the image layer', oneLayerThenMean: 'one layer sampled, then expectations down to the image' };

function settings(mode: Mode) {
  return {
    hidden: byMode(mode, { tiny: 64, quick: 256, full: 512 }),
    epochs: byMode(mode, { tiny: 2, quick: 5, full: 30 }),
    trainSize: byMode(mode, { tiny: 300, quick: 3000, full: 60000 }),
    testSize: byMode(mode, { tiny: 100, quick: 1000, full: 10000 }),
    batchSize: 32,
    lr: 3e-3,
  };
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** One network: trains it, evaluates it on every validation digit, samples q. */
function runUnit(ctx: ExperimentContext, unit: Variant): ExperimentFindings {
  const s = settings(ctx.mode);
  const data = loadMnist({ rng: ctx.rng.fork(), trainSize: s.trainSize, testSize: s.testSize });
  const sizes = [784, s.hidden, s.hidden, 10];
  const v = VARIANTS[unit];
  const setup = { sizes, epochs: s.epochs, batchSize: s.batchSize, lr: s.lr, reverseWeight: v.weight, init: 'Glorot uniform, zero biases; q’s input bias a⁰ starts at the mean digit (centreInputBias)' };
  ctx.report({ kind: 'stage', label: `${v.label}: ${sizes.join('-')}` });
  // The DCIM of a sigmoid MLP shares its layers: its expectations are the network's forward pass.
  // Every unit draws the same data and the same initial weights (a fresh Rng of the seed): the
  // networks differ only in their objective, so their comparisons are paired.
  const model = kerasInit(DCIM.fromSequential(sigmoidMlp(sizes, ctx.rng.fork())), ctx.rng.fork());
  const first = [[0, Math.min(256, data.yTrain.size)], null] as const;
  centreInputBias(model, data.xTrain.slice(first), data.yTrain.slice([first[0]])); // q starts at the mean digit
  const { summary, samples } = trainAndSummarise(ctx, v.label, model, data, {
    objective: v.objective,
    epochs: s.epochs,
    lr: s.lr,
    batchSize: s.batchSize,
    reverseWeight: v.weight,
    sampleModes: v.objective === 'discriminative' ? [] : MODES,
    perClass: SAMPLES_PER_CLASS,
  });
  const figures: Figure[] = (GENERATIVE as readonly string[]).includes(unit)
    ? MODES.map((mode) => {
        const shown = firstPerClass(samples[mode]!, 10);
        return {
          name: `samples-${unit}-${mode}`,
          title: `Samples of q (${v.label}), one row per class: ${MODE_TITLE[mode]}; caption = forward model's class and probability (DCIM Fig. 2 ${mode === 'full' ? 'left' : 'right'})`,
          spec: pictureGrid(shown.images, 28, { title: `${v.short}: q(x⁰ | class), ${MODE_TITLE[mode]}`, captions: sampleCaptions(shown) }),
        };
      })
    : [];
  return {
    data:
      `${describeMnist(data)}, grey values in [0, 1]; the official test digits are the validation set (the paper names no other: "the standard MNIST dataset", validation accuracy as Keras reports it on the test digits). ` +
      `Network ${sizes.join('-')} (paper: 784-512-512-10), ${s.epochs} epochs of Adam (lr ${s.lr}, batch ${s.batchSize}; the paper gives no epoch count). ` +
      'Five networks, one per unit, from the same initial weights: discriminative; eq 21 with the reverse term per pixel (weight 1/784: Keras averages its binary cross-entropy over the pixels, the scale of the paper’s reported reverse losses) and per image (weight 1, eq 21 as printed); and weights 10/784 and 100/784 for the sensitivity table. ' +
      `Statistics of q's samples use ${SAMPLES_PER_CLASS} per class (the pictures show 10).`,
    scale: { ours: `${thousands(data.yTrain.size)} / ${thousands(data.yTest.size)}`, paper: '60,000 / 10,000' },
    metrics: { setup, references: reverseLossReferences(data), run: summary },
    claims: [],
    figures,
  };
}

type References = ReturnType<typeof reverseLossReferences>;

export const dcimDense: Experiment = {
  name: 'dcim-dense',
  title: 'Generative learning of a dense sigmoid network (DCIM)',
  paper: 'DCIM §3.1, Fig. 1–2',
  units: () => UNITS,
  run(ctx) {
    return dispatchUnit(dcimDense, ctx, (unit) => runUnit(ctx, unit as Variant));
  },
  merge(parts, mode) {
    const findings: (u: Variant) => ExperimentFindings = unitFindings('dcim-dense', parts);
    const runs = Object.fromEntries(UNITS.map((u) => [u, findings(u).metrics.run as DcimRunSummary])) as Record<Variant, DcimRunSummary>;
    const references = findings('discriminative').metrics.references as References;
    const s = settings(mode);
    const n = runs.discriminative.validation.n;
    const acc = (u: Variant) => errorRate(runs[u].validation.accuracy, n);
    // Every unit classifies the same validation digits, so accuracy differences are paired.
    const drop = (u: Variant) => pairedAccuracyDifference(runs.discriminative.validation.errors, runs[u].validation.errors, n);
    const reverse = (u: Variant): Quantity => runs[u].validation.reverseLoss!;
    const learned = (u: Variant) => learnedEnough({ accuracy: runs[u].validation.accuracy, reverseLoss: runs[u].validation.reverseLoss?.value }, references);
    const meanDigit = quantity(references.meanDigit, references.meanDigitSe);
    const referenceNote = `For reference: the mean digit scores ${num(references.meanDigit)}, each class's mean digit ${num(references.classMeanDigit)} (the lowest a q given the class alone can reach).`;
    const untestedNote = (ok: boolean, what: string) => (ok ? '' : ` Not tested at this scale: ${what} (a run is judged only when its classifier reaches ≥ 55 % validation accuracy and q's loss lies below the mean digit's by a quarter of the gap to the class-mean digits).`);
    const scaleText = `${thousands(runs.discriminative.trainSize)} train digits, ${thousands(n)} validation, ${s.epochs} epochs`;

    const claims = new ClaimList('dcim-dense');
    for (const g of GENERATIVE) {
      const where = g === 'per-pixel' ? 'pixel' : 'image';
      const ok = learned('discriminative').forward && learned(g).forward && learned(g).reverse;
      claims.add({
        claim: `Generative learning (eq 21, reverse term per ${where}) costs an insignificant validation accuracy drop (≤ 1 point)`,
        paperValue: '"only a rather insignificant drop" (Fig. 1; curves only, no number in the text)',
        measured: `${pct(acc('discriminative').value)} discriminative → ${pct(acc(g).value)} generative (${scaleText})`,
        values: { discriminative: acc('discriminative'), generative: acc(g), 'generative − discriminative': drop(g) },
        test: [{ left: 'generative − discriminative', op: '>', right: -INSIGNIFICANT_DROP }],
        tested: ok,
        note: `Holds when generative − discriminative accuracy exceeds −1 point by more than 2 SE (paired SE from the digits only one of the two gets right, ${thousands(n)} validation digits; the paper gives no number, so 1 point is our reading of "insignificant").${untestedNote(ok, 'a classifier or q has not learned')}`,
      });
    }
    const probe = Math.min(n, runs.discriminative.trainSize); // trainDcim's training-curve digits
    const lastOf = (u: Variant) => runs[u].log[runs[u].log.length - 1];
    claims.add({
      claim: 'Training accuracy: discriminative, generative per pixel, generative per image',
      paperValue: '— (Fig. 1, dashed)',
      measured: `${pct(lastOf('discriminative').trainAccuracy)}, ${pct(lastOf('per-pixel').trainAccuracy)}, ${pct(lastOf('per-image').trainAccuracy)} (on ${thousands(probe)} training digits)`,
      values: { discriminative: errorRate(lastOf('discriminative').trainAccuracy, probe), 'per pixel': errorRate(lastOf('per-pixel').trainAccuracy, probe), 'per image': errorRate(lastOf('per-image').trainAccuracy, probe) },
    });
    for (const g of GENERATIVE) {
      const where = g === 'per-pixel' ? 'pixel' : 'image';
      const firstEpoch = runs[g].log[0];
      const ok = learned(g).forward && runs[g].log.length > 1;
      claims.add({
        claim: `The reverse model learns (reverse term per ${where}): its validation loss falls over training and ends below the mean digit's`,
        paperValue: 'falls (Fig. 1 right); q draws average digits of each class (Fig. 2)',
        measured: `${num(firstEpoch.valReverseLoss!)} after epoch 1 → ${num(reverse(g).value)} after epoch ${s.epochs} (per pixel; mean digit ${num(references.meanDigit)})`,
        values: { 'after epoch 1': quantity(firstEpoch.valReverseLoss!, firstEpoch.valReverseLossSe), final: reverse(g), 'mean digit': meanDigit, 'class-mean digit': quantity(references.classMeanDigit, references.classMeanDigitSe) },
        test: [
          { left: 'final', op: '<', right: 'after epoch 1' },
          { left: 'final', op: '<', right: 'mean digit' },
        ],
        tested: ok,
        note: `Per pixel, mean ± SE over the validation digits. ${referenceNote}${untestedNote(ok, 'the classifier has not learned, or one epoch only')}`,
      });
    }
    for (const g of GENERATIVE) {
      for (const m of MODES) {
        const sample = runs[g].samples[m] as SampleSummary;
        const ok = learned(g).forward && learned(g).reverse;
        claims.add({
          claim: `Samples of q (reverse term per ${g === 'per-pixel' ? 'pixel' : 'image'}; ${m === 'full' ? 'recursive sampling' : 'one layer sampled, then expectations'}) are mostly (> 50 %) classified as the class they were sampled from`,
          paperValue: 'mostly, with high probability (Fig. 2)',
          measured: `${pct(sample.agreement)} of ${thousands(sample.count)} samples; mean probability ${num(sample.meanProbability, 2)}; within-class spread ${num(meanWithSe(sample.spreadPerClass).value)}`,
          values: { recognised: errorRate(sample.agreement, sample.count), 'mean probability': quantity(sample.meanProbability), 'within-class spread': meanWithSe(sample.spreadPerClass) },
          test: [{ left: 'recognised', op: '>', right: MOSTLY }],
          tested: ok,
          note: `Recognised = classified by the forward model as the class the sample was drawn from (binomial SE on ${sample.count} samples); spread = per-pixel standard deviation across a class's samples (mean ± SE over the 10 classes; near 0 = one mean shape per class, as the paper says of Fig. 2).${untestedNote(ok, 'the classifier or q has not learned')}`,
        });
      }
    }
    // The sensitivity table: the same claim at every weight of the sweep.
    const sweepOk = learned('discriminative').forward && SWEEP.every((u) => learned(u).forward && learned(u).reverse);
    const sweepValues: Record<string, Quantity> = {
      discriminative: acc('discriminative'),
      ...Object.fromEntries(SWEEP.map((u) => [`accuracy w=${SWEEP_NAME[u]}`, acc(u)])),
      ...Object.fromEntries(SWEEP.map((u) => [`w=${SWEEP_NAME[u]} − disc.`, drop(u)])),
    };
    claims.add({
      claim: 'Sensitivity to the reverse-term weight w (eq 21; w = 1/784, 10/784, 100/784, 1 per image): the accuracy drop of generative learning stays insignificant (≤ 1 point) at every weight',
      paperValue: 'the paper gives eq 21 with weight 1 and reports its losses per pixel (weight 1/784 in Keras)',
      measured: `${pct(acc('discriminative').value)} discriminative; ${SWEEP.map((u) => `${SWEEP_NAME[u]}: ${pct(acc(u).value)}`).join(', ')} (${scaleText})`,
      values: sweepValues,
      test: SWEEP.map((u): Comparison => ({ left: `w=${SWEEP_NAME[u]} − disc.`, op: '>', right: -INSIGNIFICANT_DROP })),
      tested: sweepOk,
      note: `The weight multiplies −log q(x⁰|x^d) (per image) in the objective: 1/784 = the mean over pixels (Keras' binary cross-entropy, the scale of the paper's reported losses), 1 = eq 21 as printed. Differences paired on the validation digits.${untestedNote(sweepOk, 'some network of the sweep has not learned')}`,
    });
    claims.add({
      claim: 'Sensitivity to the reverse-term weight w (eq 21): reverse loss per pixel and sample recognition at each weight',
      paperValue: '—',
      measured: SWEEP.map((u) => `${SWEEP_NAME[u]}: ${num(reverse(u).value)}, ${pct((runs[u].samples.full as SampleSummary).agreement)} recognised`).join('; '),
      values: Object.fromEntries(SWEEP.flatMap((u) => [[`reverse w=${SWEEP_NAME[u]}`, reverse(u)], [`recognised w=${SWEEP_NAME[u]}`, errorRate((runs[u].samples.full as SampleSummary).agreement, (runs[u].samples.full as SampleSummary).count)]])),
      note: `Reverse loss = −log q(x⁰|class)/784 on the validation digits (mean ± SE); recognised = recursive samples of q classified as their class. ${referenceNote}`,
    });

    const accuracyRows = (['discriminative', ...GENERATIVE] as Variant[]).flatMap((u) =>
      runs[u].log.flatMap((e) => [
        { epoch: e.epoch, accuracy: e.trainAccuracy, curve: `${VARIANTS[u].short} train` },
        { epoch: e.epoch, accuracy: e.valAccuracy, curve: `${VARIANTS[u].short} validation` },
      ]),
    );
    const reverseRows = GENERATIVE.flatMap((g) =>
      runs[g].log.flatMap((e) => [
        { epoch: e.epoch, loss: e.trainReverseLoss!, curve: `${VARIANTS[g].short} train` },
        { epoch: e.epoch, loss: e.valReverseLoss!, curve: `${VARIANTS[g].short} validation` },
      ]),
    );
    const sweepTable = SWEEP.map((u) => ({
      weight: SWEEP_NAME[u],
      validationAccuracy: runs[u].validation.accuracy,
      reverseLoss: reverse(u).value,
      reverseLossSe: reverse(u).se,
      recognisedRecursive: (runs[u].samples.full as SampleSummary).agreement,
      recognisedOneLayer: (runs[u].samples.oneLayerThenMean as SampleSummary).agreement,
    }));
    const figures: Figure[] = [
      { name: 'accuracy', title: 'Training and validation accuracy, discriminative vs generative learning (DCIM Fig. 1 left)', spec: lineChart(accuracyRows, 'epoch', { field: 'accuracy', title: 'accuracy', percent: true }, 'curve') },
      { name: 'reverse-loss', title: 'Loss of the reverse model q (per pixel) in generative learning (DCIM Fig. 1 right)', spec: lineChart(reverseRows, 'epoch', { field: 'loss', title: 'loss per pixel' }, 'curve') },
      ...GENERATIVE.flatMap((g) => findings(g).figures),
      {
        name: 'sensitivity-weight-accuracy',
        title: `Sensitivity: validation accuracy against the reverse-term weight (eq 21; discriminative ${pct(acc('discriminative').value)})`,
        spec: barChart(sweepTable.map((r) => ({ 'reverse-term weight': r.weight, 'validation accuracy': r.validationAccuracy })), 'reverse-term weight', 'validation accuracy'),
      },
      {
        name: 'sensitivity-weight-reverse-loss',
        title: `Sensitivity: reverse loss per pixel against the reverse-term weight (eq 21; mean digit ${num(references.meanDigit)}, class-mean digits ${num(references.classMeanDigit)})`,
        spec: barChart(sweepTable.map((r) => ({ 'reverse-term weight': r.weight, 'reverse loss per pixel': r.reverseLoss })), 'reverse-term weight', 'reverse loss per pixel'),
      },
    ];
    const first = findings('discriminative');
    return {
      data: first.data,
      ...(first.scale ? { scale: first.scale } : {}),
      metrics: {
        setup: { ...(first.metrics.setup as object), reverseWeight: Object.fromEntries(UNITS.map((u) => [u, VARIANTS[u].weight])) },
        reverseLossReferences: references,
        runs: Object.fromEntries(UNITS.map((u) => [u, runs[u]])),
        validationAccuracyDrop: { perPixel: runs.discriminative.validation.accuracy - runs['per-pixel'].validation.accuracy, perImage: runs.discriminative.validation.accuracy - runs['per-image'].validation.accuracy },
        sensitivityReverseWeight: sweepTable,
      },
      claims: claims.rows,
      figures,
    };
  },
};
