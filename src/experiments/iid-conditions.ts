/**
 * LB-hidden §4.2, App. F.1: the necessary conditions for the activations of f2 being i.i.d.
 * (eq 3–4), estimated over T retrainings of the MLP 784-128-64-10: the sample means x̄, f̄1, f̄2
 * (paper 0.131, 0.436, 0.498), E(W_k) with W_k = Σ_n β_nk across retrainings, Cov(G_2k, G_2k') and
 * E(F1)E(W_k) + E(B_2k), which i.i.d. activations would need to be equal for all k.
 */
import { noGrad } from '../autograd/engine.js';
import { iidStatistics } from '../prob/correlation.js';
import { byMode, linears, mnistFor, num, sigmoidMlp, train } from './common.js';
import { barChart, heatmap } from './figures.js';
import type { Experiment } from './types.js';

export const iidConditions: Experiment = {
  name: 'iid-conditions',
  title: 'Necessary conditions for i.i.d. activations fail across retrainings',
  paper: 'LB-hidden §4.2 (eq 3–4), App. F.1',
  run(ctx) {
    const data = mnistFor(ctx);
    const T = byMode(ctx.mode, { tiny: 2, quick: 4, full: 20 });
    const epochs = byMode(ctx.mode, { tiny: 1, quick: 2, full: 10 });
    const weights = [];
    const biases = [];
    const f1Means: number[] = [];
    const f2Means: number[] = [];
    for (let t = 0; t < T; t++) {
      ctx.report({ kind: 'stage', label: `retraining ${t + 1}/${T}` });
      const net = sigmoidMlp([784, 128, 64, 10], ctx.rng.fork());
      train(ctx, `retraining ${t + 1}`, net, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, { epochs });
      const [l1, l2] = linears(net);
      const { f1, f2 } = noGrad(() => {
        const a1 = l1.forward(data.xTrain).sigmoid();
        return { f1: a1.mean().item(), f2: l2.forward(a1).sigmoid().mean().item() };
      });
      f1Means.push(f1);
      f2Means.push(f2);
      weights.push(l2.weight.clone());
      biases.push(l2.bias!.clone());
    }
    const xBar = data.xTrain.mean().item();
    const f1Bar = f1Means.reduce((s, v) => s + v, 0) / T;
    const f2Bar = f2Means.reduce((s, v) => s + v, 0) / T;
    const s = iidStatistics(weights, biases, f1Bar);
    const meanG = [...s.meanG.data];
    const spread = Math.max(...meanG) - Math.min(...meanG);
    const K = meanG.length;
    let offDiag = 0;
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (a !== b) offDiag += Math.abs(s.covG.data[a * K + b]);
    offDiag /= K * (K - 1);
    return {
      data: `${data.description} T = ${T} retrainings of ${epochs} epoch(s) each (paper: T = 20).`,
      metrics: { T, epochs, xBar, f1Bar, f2Bar, meanW: [...s.meanW.data], meanG, meanGSpread: spread, covGMeanAbsOffDiagonal: offDiag },
      claims: [
        { experiment: this.name, claim: 'sample mean of the input pixels x̄', paperValue: '0.131', measured: num(xBar), holds: null },
        { experiment: this.name, claim: 'sample mean of f1 activations f̄1', paperValue: '0.436', measured: num(f1Bar), holds: null },
        { experiment: this.name, claim: 'sample mean of f2 activations f̄2', paperValue: '0.498', measured: num(f2Bar), holds: null },
        { experiment: this.name, claim: 'eq 4 fails: E(F1)E(W_k) + E(B_2k) differs across k', paperValue: 'not equal', measured: `range ${num(spread)} over ${K} neurons`, holds: spread > 0.1 },
      ],
      figures: [
        { name: 'mean-g', title: 'E(F1)E(W_k) + E(B_2k) per neuron k of f2 (eq 4 needs them equal)', spec: barChart(meanG.map((v, k) => ({ k: String(k), value: +v.toFixed(4) })), 'k', 'value') },
        { name: 'cov-g', title: 'Cov(G_2k, G_2k′) across retrainings (eq 3 needs the off-diagonal to vanish)', spec: heatmap(s.covG, 'Cov(G_2k, G_2k′)', { scheme: 'redblue' }) },
      ],
    };
  },
};
