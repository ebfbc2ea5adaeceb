/**
 * LB-hidden §4.1, App. A.1, A.2, K.2: are the weights of a trained network i.i.d.? If they were,
 * different neurons' weight vectors would be uncorrelated (eq 2). Trains the MLP 784-128-64-10
 * and the NN 784-128-10 (sigmoid) on MNIST and reports the absolute correlation matrices, their
 * mean off-diagonal |r| per layer (paper: 0.08 / 0.26 / 0.31 and 0.08 / 0.29), and the means over
 * training epochs.
 *
 * Training follows K.2: weights start as i.i.d. Gaussians and SGD trains them. The paper gives
 * neither σ nor the step size; we use N(0, 0.1²), zero biases, momentum 0.9 and lr 0.05. The
 * optimiser matters: Adam's per-coordinate step moves every weight of f1 by about the same amount
 * with the sign of its gradient, and the gradients of f1's rows are all combinations of the same
 * digits, so under Adam f1's mean |r| rises from 0.03 to ≈ 0.27 within two epochs, where SGD keeps
 * it near the paper's 0.08.
 */
import { correlationMatrix, meanAbsCorrelation } from '../prob/correlation.js';
import { byMode, linears, mnistFor, num, pct, sigmoidMlp, train } from './common.js';
import { heatmap, lineChart } from './figures.js';
import type { Claim, Experiment, Figure } from './types.js';

const NETWORKS = [
  { key: 'MLP', sizes: [784, 128, 64, 10], layers: ['f1', 'f2', 'fY'], paper: [0.08, 0.26, 0.31] },
  { key: 'NN', sizes: [784, 128, 10], layers: ['f', 'fY'], paper: [0.08, 0.29] },
] as const;

/** LB-hidden K.2: Gaussian initial weights, SGD (σ, lr and momentum are ours: the paper gives none). */
const TRAINING = { gaussianStd: 0.1, lr: 0.05, momentum: 0.9, batchSize: 32 } as const;

export const weightCorrelation: Experiment = {
  name: 'weight-correlation',
  title: 'Weights of trained networks are correlated (not i.i.d.)',
  paper: 'LB-hidden §4.1, App. A.1–A.2, K.2',
  run(ctx) {
    const data = mnistFor(ctx);
    const epochs = byMode(ctx.mode, { tiny: 1, quick: 5, full: 20 });
    const claims: Claim[] = [];
    const figures: Figure[] = [];
    const metrics: Record<string, unknown> = { epochs, training: { ...TRAINING, optimizer: 'SGD', init: 'weights N(0, σ²), biases 0' } };
    for (const spec of NETWORKS) {
      ctx.report({ kind: 'stage', label: `${spec.key} ${spec.sizes.join('-')}` });
      const net = sigmoidMlp(spec.sizes, ctx.rng.fork(), { gaussianStd: TRAINING.gaussianStd });
      const perEpoch: { epoch: number; layer: string; meanAbsR: number }[] = [];
      // one epoch's mean |r| per layer, returned so that a resumed run can replay it (see train)
      const measure = (epoch: number) => linears(net).map((l, i) => ({ epoch, layer: spec.layers[i], meanAbsR: meanAbsCorrelation(correlationMatrix(l.weight)) }));
      const keep = (rows: ReturnType<typeof measure>) => (perEpoch.push(...rows), rows);
      keep(measure(0));
      const logs = train(ctx, spec.key, net, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, { epochs, optimizer: 'sgd', lr: TRAINING.lr, momentum: TRAINING.momentum, batchSize: TRAINING.batchSize, afterEpoch: (l, restored) => keep(restored ?? measure(l.epoch + 1)) });
      const final = linears(net).map((l) => correlationMatrix(l.weight));
      const means = final.map(meanAbsCorrelation);
      const last = logs[logs.length - 1];
      metrics[spec.key] = { meanAbsR: Object.fromEntries(spec.layers.map((n, i) => [n, means[i]])), trainAccuracy: last.accuracy, testAccuracy: last.valAccuracy, perEpoch };
      final.forEach((r, i) => figures.push({ name: `${spec.key}-${spec.layers[i]}-abs-r`, title: `${spec.key}: |r| between the neurons of ${spec.layers[i]} (mean ${num(means[i])})`, spec: heatmap(r.abs(), `${spec.key} ${spec.layers[i]}: |r(α_n, α_n')|`, { domain: [0, 1] }) }));
      figures.push({ name: `${spec.key}-abs-r-epochs`, title: `${spec.key}: mean |r| per layer over training`, spec: lineChart(perEpoch, 'epoch', 'meanAbsR', 'layer') });
      spec.layers.forEach((n, i) => {
        const deeper = i > 0;
        claims.push({
          experiment: 'weight-correlation',
          claim: deeper ? `${spec.key}: ${n} weights are correlated (mean |r| well above ${spec.layers[0]}'s)` : `${spec.key}: ${n} weights are nearly uncorrelated`,
          paperValue: num(spec.paper[i], 2),
          measured: num(means[i]),
          holds: deeper ? means[i] > 1.5 * means[0] : means[i] < 0.15,
        });
      });
      claims.push({ experiment: 'weight-correlation', claim: `${spec.key}: test accuracy`, paperValue: spec.key === 'MLP' ? '97.1% (60,000 train)' : '—', measured: `${pct(last.valAccuracy!)} (${data.yTrain.size} train, ${epochs} epochs)`, holds: null });
    }
    return { data: `${data.description} Weights start N(0, ${TRAINING.gaussianStd}²) with zero biases; ${epochs} epochs of SGD (lr ${TRAINING.lr}, momentum ${TRAINING.momentum}, batch ${TRAINING.batchSize}), as LB-hidden K.2 (σ and the step size are ours).`, metrics, claims, figures };
  },
};
