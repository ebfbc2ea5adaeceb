/**
 * LB-hidden App. A.4 and §5.1: a network x → 8 sigmoid neurons → softmax(4) on the diagonal-sorted
 * images. Shows the neurons' weights as 32×32 images, the activations g_n(x), f_n(x) and the
 * hidden layer's Gibbs distribution P(f_n) = exp(f_n)/Σ exp(f_n') for one input, and the
 * correlation matrix of the output filters (paper: Filter0/Filter1 ≈ −1, the ascending and
 * descending versions of the same diagonal).
 */
import { noGrad } from '../autograd/engine.js';
import { diagonalSorted, DIAGONAL_CLASSES } from '../data/diagonal-sorted.js';
import { takeRows } from '../layers/train.js';
import { correlationMatrix, meanAbsCorrelation } from '../prob/correlation.js';
import { layerGibbs } from '../prob/gibbs.js';
import { byMode, linears, num, pct, sigmoidMlp, train } from './common.js';
import { barChart, heatmap, imageGrid } from './figures.js';
import type { Experiment } from './types.js';

export const diagonalGibbs: Experiment = {
  name: 'diagonal-gibbs',
  title: 'A hidden layer as a Gibbs distribution over its neurons',
  paper: 'LB-hidden App. A.4 (Fig. 12), §5.1 (Fig. 4)',
  run(ctx) {
    const count = byMode(ctx.mode, { tiny: 400, quick: 4800, full: 4800 });
    const epochs = byMode(ctx.mode, { tiny: 3, quick: 10, full: 30 });
    const { x, y } = diagonalSorted({ rng: ctx.rng.fork(), count });
    const flat = x.reshape([count, 1024]);
    const cut = Math.floor(count * 0.8);
    const idx = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    const [xTrain, yTrain, xTest, yTest] = [takeRows(flat, idx(0, cut)), takeRows(y, idx(0, cut)), takeRows(flat, idx(cut, count)), takeRows(y, idx(cut, count))];
    const net = sigmoidMlp([1024, 8, 4], ctx.rng.fork());
    const logs = train(ctx, 'NN 1024-8-4', net, { x: xTrain, y: yTrain, xTest, yTest }, { epochs, lr: 0.01 });
    const [hidden, output] = linears(net);
    const probe = takeRows(xTest, [0]);
    const { g, f, P } = noGrad(() => {
      const gx = hidden.forward(probe);
      const fx = gx.sigmoid();
      return { g: gx, f: fx, P: layerGibbs(fx).probs };
    });
    const outR = correlationMatrix(output.weight);
    const hiddenR = meanAbsCorrelation(correlationMatrix(hidden.weight));
    const r01 = outR.data[1];
    const r23 = outR.data[2 * 4 + 3];
    const neurons = Array.from({ length: 8 }, (_, n) => ({ neuron: `${n + 1}`, g: +g.data[n].toFixed(3), f: +f.data[n].toFixed(3), P: +P.data[n].toFixed(3) }));
    return {
      data: `diagonal-sorted N(0, 1) images, ${count} (4 classes: ${DIAGONAL_CLASSES.join(', ')}), 80/20 split`,
      metrics: { epochs, testAccuracy: logs[logs.length - 1].valAccuracy, probeClass: DIAGONAL_CLASSES[yTest.data[0]], neurons, outputFilterCorrelation: outR.toArray(), hiddenMeanAbsR: hiddenR },
      claims: [
        { experiment: this.name, claim: 'Filter0 and Filter1 (ascending vs descending primary diagonal) are anti-correlated', paperValue: '≈ −1', measured: num(r01), holds: r01 < -0.5 },
        { experiment: this.name, claim: 'Filter2 and Filter3 (secondary diagonal) are anti-correlated', paperValue: '≈ −1', measured: num(r23), holds: r23 < -0.5 },
        { experiment: this.name, claim: 'the network learns the four features', paperValue: '—', measured: pct(logs[logs.length - 1].valAccuracy!), holds: null },
      ],
      figures: [
        { name: 'hidden-weights', title: 'Weights of the 8 hidden neurons as 32×32 images', spec: imageGrid(hidden.weight, 32, 'hidden neurons α_n', neurons.map((n) => `neuron ${n.neuron}`)) },
        { name: 'gibbs-probe', title: `For one test image (${DIAGONAL_CLASSES[yTest.data[0]]}): P(f_n) = exp(f_n)/Z_F`, spec: barChart(neurons, 'neuron', 'P', 'P(f_n)') },
        { name: 'activations-probe', title: 'g_n(x) for the same image', spec: barChart(neurons, 'neuron', 'g', 'g_n(x)') },
        { name: 'output-filter-r', title: 'Correlation of the output filters (rows of γ)', spec: heatmap(outR, 'r(γ_l, γ_l\')', { scheme: 'redblue', domain: [-1, 1] }) },
      ],
    };
  },
};
