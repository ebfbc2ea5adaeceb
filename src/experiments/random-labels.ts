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
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/engine.js';
import { averagePriorKlF1, buildCnn, errorRate, LB_REPR_CNN1, readTestImage, recordErrors, rowOf, sliceRows, type ErrorRow, type PaperCnn } from './cnn.js';
import { byMode, num, pct, train } from './common.js';
import { barChart, histogramPanels, imageGrid, lineChart } from './figures.js';
import type { Experiment } from './types.js';

/** Fraction of f4's units (after its ReLU) that are positive over the first ≤ 500 rows of x: 0 means the network's output no longer depends on its input. */
export function activeF4Fraction(cnn: PaperCnn, x: Tensor): number {
  return noGrad(() => {
    const f4 = cnn.net.forwardAll(sliceRows(x, 0, Math.min(500, x.shape[0])))[cnn.conv3Index + 3].data;
    let active = 0;
    for (let i = 0; i < f4.length; i++) active += +(f4[i] > 0);
    return active / f4.length;
  });
}

/** n labels drawn uniformly from 0…classes−1. */
export function randomLabels(n: number, rng: Rng, classes = 10): Tensor {
  return new Tensor(Float32Array.from({ length: n }, () => rng.int(classes)), [n]);
}

export const randomLabelsExperiment: Experiment = {
  name: 'random-labels',
  title: 'Random labels: zero training error, ≈ 90% test error, and still a good prior in f1',
  paper: 'LB-repr §5.2.2 (Fig. 5, 6); LB-bayes §4.4 (Fig. 4, 5)',
  run(ctx) {
    // Memorising random labels takes many epochs: few images in quick mode, the papers' 200 epochs in full mode.
    // tiny: 1 + 1 source digits per class (20 + 20 images); quick: 5 + 5 (100 + 100); full: all (≈10,000 + 10,000)
    const sourcesPerClass = byMode<number | undefined>(ctx.mode, { tiny: 2, quick: 10, full: undefined });
    const epochs = byMode(ctx.mode, { tiny: 3, quick: 30, full: 200 });
    const data = gaussianDigitsFromMnist({ rng: ctx.rng.fork(), sourcesPerClass });
    const labelRng = ctx.rng.fork();
    const yTrain = randomLabels(data.yTrain.size, labelRng);
    const yTest = randomLabels(data.yTest.size, labelRng);

    const cnn = buildCnn(LB_REPR_CNN1, ctx.rng.fork());
    // Adam's step size. At 0.001 on ≈ 10,000 images every f4 ReLU dies within the first epoch (random
    // labels make non-constant logits pure loss, and switching f4 off removes them; measured: 0% of f4
    // units active after epoch 1, with SGD + momentum at 0.01 too) and the output stays constant for
    // all 200 epochs. At 0.0001 a third of them stay active and the loss falls (2.290 after 4 epochs).
    // 100 images memorise at 0.001 before that happens.
    const lr = byMode(ctx.mode, { tiny: 0.001, quick: 0.001, full: 0.0001 });
    const curve: ErrorRow[] = [];
    const logs = train(ctx, `${this.name} CNN1`, cnn.net, { x: data.xTrain, y: yTrain, xTest: data.xTest, yTest }, {
      epochs,
      lr,
      // small batches: memorising noise needs many steps (100 images at batch 16 reach ~90% training accuracy in 10 epochs)
      batchSize: 16,
      afterEpoch: recordErrors(curve),
    });
    const trainError = errorRate(cnn, data.xTrain, yTrain);
    const testError = errorRate(cnn, data.xTest, yTest);
    const trueLabelTestError = errorRate(cnn, data.xTest, data.yTest);
    const activeF4 = activeF4Fraction(cnn, data.xTest);

    const testIndex = ctx.rng.fork().int(data.yTest.size);
    const image = rowOf(data.xTest, testIndex);
    const readout = readTestImage(cnn, image);
    const average = averagePriorKlF1(cnn, data.xTest);
    const label = yTest.data[testIndex];
    const scale = `${data.yTrain.size} train images, ${epochs} epochs (the papers: 10,000, 200 epochs)`;
    return {
      data: `${data.description} Training and test labels replaced by labels drawn uniformly from 0–9. CNN1 of LB-repr Table 1 (the LB-bayes run uses its CNN3, f1 = 20 channels); Adam, lr ${lr}, batch 16. KL bins: 64 equal bins over [−128, 128]. Raw N(0, 1024) pixels in; PyTorch-default initialisation except f1's weights divided by 32 (the input's σ; the papers state no initialisation).`,
      metrics: {
        epochs,
        backend: getBackend(),
        trainError,
        testError,
        trueLabelTestError,
        activeF4,
        curve,
        seconds: logs.map((l) => l.seconds), // per epoch (wall time, excluded when runs are compared)
        testImage: { index: testIndex, randomLabel: label, klX: readout.klX.raw, klF1Raw: readout.klF1.raw, klF1Scaled: readout.klF1.scaled, klF2Scaled: readout.klF2.scaled, probs: readout.probs },
        averageOverTest: { klF1Raw: average.raw, klF1Scaled: average.scaled },
      },
      claims: [
        { experiment: this.name, claim: 'CNN1 reaches zero training error on random labels', paperValue: '0% (LB-repr Fig. 6; LB-bayes Fig. 5, 200 epochs)', measured: `${pct(trainError)} (${scale}; ${pct(activeF4)} of f4's units active on test images)`, holds: trainError <= 0.01, note: 'holds: training error ≤ 1%' },
        { experiment: this.name, claim: 'test error on random labels stays near chance', paperValue: '≈ 90%', measured: `${pct(testError)} (against the true digits: ${pct(trueLabelTestError)})`, holds: testError >= 0.8 },
        {
          experiment: this.name,
          claim: 'f1 still learns an accurate prior: KL[P(X)‖P̂(F1)] of a test image as small as the image’s own KL[P(X)‖P̂(x)]',
          paperValue: '0.60 vs 0.81 (LB-repr Fig. 5); 0.47 vs 0.66 (LB-bayes Fig. 4)',
          measured: `scale-matched ${num(readout.klF1.scaled)}, raw ${num(readout.klF1.raw)} vs ${num(readout.klX.raw)}; test-set average ${num(average.scaled)} / raw ${num(average.raw)}`,
          holds: readout.klF1.scaled <= 2 * readout.klX.raw,
          note: 'holds: scale-matched KL(F1) ≤ 2 × KL(x)',
        },
      ],
      figures: [
        { name: 'errors', title: 'Training and test error per epoch with random labels (LB-repr Fig. 6, LB-bayes Fig. 5)', spec: lineChart(curve, 'epoch', 'error', 'set') },
        { name: 'test-image', title: `The test image (random label ${label}, digit ${data.yTest.data[testIndex]})`, spec: imageGrid(new Tensor(image.data, [1, 1024]), 32, `test image #${testIndex}`) },
        { name: 'histograms', title: 'Histograms of x, E_F1 (raw, scale-matched) and E_F2 (scale-matched) for the test image; red: N(0, 1024) (LB-repr Fig. 5)', spec: histogramPanels(readout.panels, { referenceName: 'N(0, 1024)', columns: 4 }) },
        { name: 'output', title: `Output probabilities for the test image (random label ${label})`, spec: barChart(readout.probs.map((p, l) => ({ label: l, probability: +p.toFixed(5) })), 'label', 'probability') },
      ],
    };
  },
};
