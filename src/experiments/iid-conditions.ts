/**
 * LB-hidden §4.2, App. F.1: the necessary conditions for i.i.d. activations (eq 6–7, the bias-free
 * form of eq 3–4), estimated over T retrainings of the MLP 784-128-64-10: the sample means x̄, f̄1,
 * f̄2 over the test images (paper 0.131, 0.436, 0.498), and per layer the weight sums
 * A_n = Σ_m α_mn, W_k = Σ_n β_nk, C_l = Σ_k γ_kl of each retraining, whose correlations across
 * retrainings (Fig. 3; eq 6 needs Cov(W_k, W_k') = 0) and expectations (Fig. 17; eq 7 needs all
 * E(W_k) equal) the paper reads off plots.
 *
 * As F.1 says, every layer is bias-free. The paper does not say how the MLP was trained; as A.1's
 * MLP "trained well" (97.1% test accuracy) we use Adam (lr 2·10⁻³, batch 32) for 10 epochs from
 * PyTorch's default initialisation, drawn afresh for every retraining.
 *
 * The paper's plots have no yardstick: 20 retrainings give nonzero sample correlations and
 * unequal sample means even when the true ones are zero and equal. Each claim therefore compares
 * the statistic with what it would be under the condition (src/prob/null-correlation.ts,
 * src/prob/equal-means.ts). Note that with an initialisation drawn independently per retraining,
 * the units of f1 and of f2 are exchangeable (permuting them, with their outgoing weights, maps
 * one training run onto another equally likely one), so E(A_n) and E(W_k) are equal for all n
 * and k by symmetry, and Cov(W_k, W_k') is one common value for all k ≠ k'; only fY's units (the
 * classes) can have expectations of their own.
 */
import { noGrad } from '../autograd/engine.js';
import { Linear, Sequential, Sigmoid } from '../layers/layers.js';
import { correlationMatrix, iidStatistics } from '../prob/correlation.js';
import { equalMeansTest } from '../prob/equal-means.js';
import { pairsAgainstIndependence } from '../prob/null-correlation.js';
import type { Rng } from '../tensor/rng.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { ClaimList, errorRate, meanWithSe, quantity, type Quantity } from './claims.js';
import { byMode, linears, mnistFor, num, train } from './common.js';
import { barChart, heatmap } from './figures.js';
import type { Experiment, ExperimentContext, Figure, Mode } from './types.js';

/** Retrainings T and epochs per retraining, per mode (the paper: T = 20; training not given). */
const RETRAININGS = {
  tiny: { T: 3, epochs: 1 },
  quick: { T: 4, epochs: 2 },
  full: { T: 20, epochs: 10 },
} as const satisfies Record<Mode, { T: number; epochs: number }>;

const SIZES = [784, 128, 64, 10] as const;
/** Per layer: the name of its weight sums and of their unit (F.1's Table 6). */
const LAYERS = [
  { layer: 'f1', sum: 'A_n', unit: 'n' },
  { layer: 'f2', sum: 'W_k', unit: 'k' },
  { layer: 'fY', sum: 'C_l', unit: 'l' },
] as const;

/** The MLP of Table 3 without biases (App. F.1: "we restrict all the hidden layers from using the bias"). */
export function biasFreeMlp(rng: Rng): Sequential {
  const layers = SIZES.slice(1).flatMap((n, i) => {
    const lin = new Linear(SIZES[i], n, { rng, bias: false });
    return i < SIZES.length - 2 ? [lin, new Sigmoid()] : [lin];
  });
  return new Sequential(...layers);
}

/** Row sums of a weight matrix [units, inputs]: each unit's Σ of its incoming weights. */
export function weightSums(weight: Tensor): number[] {
  const [units, inputs] = weight.shape;
  return Array.from({ length: units }, (_, u) => weight.data.subarray(u * inputs, (u + 1) * inputs).reduce((s, v) => s + v, 0));
}

/** The per-image pixel means of a flat image set [N, 784] (their mean is x̄; their spread gives its SE). */
function perImageMeans(x: Tensor): number[] {
  const [n, m] = x.shape;
  return Array.from({ length: n }, (_, i) => x.data.subarray(i * m, (i + 1) * m).reduce((s, v) => s + v, 0) / m);
}

type Mnist = ReturnType<typeof mnistFor>;

/** What the T retrainings leave: per layer the weight sums of each retraining, f2's weights, the activation means and the test errors. */
interface Retrainings {
  /** [layer][retraining][unit] */
  sums: number[][][];
  f2Weights: Tensor[];
  f1Means: number[];
  f2Means: number[];
  testErrors: number[];
}

/** Everything the claims, metrics and figures are made of. */
interface Measurements {
  experiment: string;
  data: Mnist;
  T: number;
  epochs: number;
  nTest: number;
  retrainings: Retrainings;
  xBar: Quantity;
  xBarTrain: number;
  f1Bar: Quantity;
  f2Bar: Quantity;
  perLayer: ReturnType<typeof layerStatistics>[];
  /** The iid statistics of f2 (Cov(G_2k, G_2k′), mean G), with the bias-free layer's zero biases. */
  f2: ReturnType<typeof iidStatistics>;
  testError: Quantity;
}

/** Retrains the bias-free MLP T times, each from a fresh initialisation, and records each retraining's weight sums and activation means. */
function retrain(ctx: ExperimentContext, data: Mnist, T: number, epochs: number): Retrainings {
  const r: Retrainings = { sums: LAYERS.map(() => []), f2Weights: [], f1Means: [], f2Means: [], testErrors: [] };
  for (let t = 0; t < T; t++) {
    ctx.report({ kind: 'stage', label: `retraining ${t + 1}/${T}` });
    const net = biasFreeMlp(ctx.rng.fork());
    const logs = train(ctx, `retraining ${t + 1}`, net, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, { epochs });
    r.testErrors.push(1 - logs[logs.length - 1].valAccuracy!);
    const layers = linears(net);
    layers.forEach((l, i) => r.sums[i].push(weightSums(l.weight)));
    r.f2Weights.push(layers[1].weight.clone());
    // App. F.1 (eq 47): the sample means of the activations "given the benchmark MNIST testing dataset"
    const { f1, f2 } = noGrad(() => {
      const a1 = layers[0].forward(data.xTest).sigmoid();
      return { f1: a1.mean().item(), f2: layers[1].forward(a1).sigmoid().mean().item() };
    });
    r.f1Means.push(f1);
    r.f2Means.push(f2);
  }
  return r;
}

/** One layer's weight sums across the T retrainings: their correlations (eq 6, F.1 eq 48) against independence and the equal-expectations test (eq 7). */
function layerStatistics(spec: (typeof LAYERS)[number], table: number[][], T: number) {
  const units = table[0].length;
  const byUnit = new Tensor(Float32Array.from({ length: units * T }, (_, j) => table[j % T][Math.floor(j / T)]), [units, T]);
  const r = correlationMatrix(byUnit); // r(unit, unit') across the T retrainings (F.1 eq 48)
  return { ...spec, units, r, pairs: pairsAgainstIndependence(r, T), equal: equalMeansTest(table) };
}

/** "T = … retrainings of … epoch(s)", for the claims and the data paragraph. */
const describeRetrainings = (m: Measurements) => `T = ${m.T} retrainings of ${m.epochs} epoch(s)`;

/** The claims: x̄, f̄1 and f̄2, eq 6 and eq 7 per layer, and the test error. */
function claimsOf(m: Measurements): ClaimList {
  const { T, xBar, xBarTrain, f1Bar, f2Bar, perLayer, nTest } = m;
  const claims = new ClaimList(m.experiment);
  const retrainings = describeRetrainings(m);
  claims.add({
    claim: 'sample mean of the input pixels x̄ over the test images (the paper regards E(X) as 0)',
    paperValue: '0.131',
    measured: `x̄ ${num(xBar.value)} ± ${num(xBar.se ?? NaN, 4)} (SE over the test images); training images ${num(xBarTrain)}`,
    values: { 'x̄': xBar },
    note: "Reported, not tested: the paper's sentence 'taking into account the estimation error, we can regard E(X) = 0 based on x̄ = 0.131' is an equality with no tolerance, and x̄ lies hundreds of standard errors from 0. The paper's 0.131 matches the official training set's pixel mean (0.1307), not the test set's (0.1325) over which F.1 says it computed.",
  });
  claims.add({
    claim: 'E(F1) ≠ 0 and E(F2) ≠ 0: the sample means f̄1, f̄2 of the activations over the test images lie above 0 beyond their estimation error',
    paperValue: 'f̄1 0.436, f̄2 0.498',
    measured: `f̄1 ${num(f1Bar.value)}, f̄2 ${num(f2Bar.value)} (mean ± SE over the ${T} retrainings)`,
    values: { 'f̄1': f1Bar, 'f̄2': f2Bar },
    test: [{ left: 'f̄1', op: '>', right: 0 }, { left: 'f̄2', op: '>', right: 0 }],
    note: 'The SE is across retrainings (each f̄ is one retraining’s mean over the test images and neurons). Sigmoid activations are positive, so this holds for any trained MLP; it is the premise of the paper’s argument, not a finding.',
  });
  const nullNote = (what: string) =>
    `± is the statistic's standard deviation if the condition held (${what}), the yardstick of a test of the condition; it is not the spread from one training run to another, which the seeds give.`;
  for (const l of perLayer) {
    const level = l.pairs.independent;
    claims.add({
      claim: `eq 6 / Fig. 3 for ${l.layer}: the weight sums ${l.sum} of different units are correlated across retrainings (mean r² over unit pairs above its value for uncorrelated sums, 1/(T − 1))`,
      paperValue: "'many correlations are far from zero' (Fig. 3; no number)",
      measured: `mean r² ${num(l.pairs.meanSquare)} vs ${num(level.meanSquare)} ± ${num(level.sdMeanSquare, 4)} for uncorrelated sums; mean |r| ${num(l.pairs.meanAbs)} vs ${num(level.meanAbs)} (${l.pairs.pairs} pairs, ${retrainings})`,
      values: { 'mean r²': quantity(l.pairs.meanSquare, level.sdMeanSquare), 'mean |r|': quantity(l.pairs.meanAbs, level.sdMeanAbs) },
      test: [{ left: 'mean r²', op: '>', right: level.meanSquare }],
      note: nullNote(`r² ~ Beta(1/2, (T − 2)/2) per pair; the r of different pairs are pairwise independent, so the mean over ${l.pairs.pairs} pairs has SD sd/√pairs exactly`) + (l.layer === 'fY' ? '' : ` ${l.layer}'s units are exchangeable, so every pair shares one correlation: a common factor of the retrainings, if any, is what this detects.`),
    });
  }
  for (const l of perLayer) {
    const e = l.equal;
    claims.add({
      claim: `eq 7 / Fig. 17 for ${l.layer}: the expectations E(${l.sum}) differ across ${l.unit} (randomised-block F above its value for equal expectations)`,
      paperValue: "'some expectations show great variations, especially E(A_n) and E(C_l)' (Fig. 17; no test)",
      measured: `F ${num(e.f)} vs ${num(e.nullMean)} ± ${num(e.nullSd)} for equal expectations, F(${e.df1}, ${e.df2}); sample means ${num(Math.min(...e.means))} to ${num(Math.max(...e.means))} (${retrainings})`,
      values: { F: quantity(e.f, e.nullSd) },
      test: [{ left: 'F', op: '>', right: e.nullMean }],
      note: nullNote(`F(${e.df1}, ${e.df2}), exact for normal sums with equal variances and covariances`) + (l.layer === 'fY' ? " fY's units are the classes, which can have expectations of their own." : ` ${l.layer}'s units are exchangeable under the per-retraining random initialisation, so their expectations are equal by symmetry: a spread of the sample means is then sampling noise, which this test separates from real differences.`),
    });
  }
  const err = m.testError;
  claims.add({
    claim: 'test error of the bias-free MLP (mean over the retrainings)',
    paperValue: '2.9% (A.1: 97.1% accuracy, with biases)',
    measured: `${(100 * err.value).toFixed(2)}% (mean of ${T}; one retraining's binomial SE on ${nTest} test digits ${(100 * (errorRate(err.value, nTest).se ?? 0)).toFixed(2)} points)`,
    values: { 'test error': { ...err, unit: 'percent' } },
  });
  return claims;
}

/** The metrics: sizes, the means, per layer the correlation and F statistics, and mean G of f2. */
function metricsOf(m: Measurements): Record<string, unknown> {
  const { f1Means, f2Means, testErrors } = m.retrainings;
  return {
    T: m.T,
    epochs: m.epochs,
    xBar: m.xBar.value,
    xBarTrain: m.xBarTrain,
    f1Bar: m.f1Bar.value,
    f2Bar: m.f2Bar.value,
    f1Means,
    f2Means,
    testErrors,
    layers: Object.fromEntries(m.perLayer.map((l) => [l.layer, { units: l.units, meanAbsR: l.pairs.meanAbs, meanSquareR: l.pairs.meanSquare, independentMeanSquareR: l.pairs.independent.meanSquare, F: l.equal.f, df: [l.equal.df1, l.equal.df2], expectations: l.equal.means }])),
    meanG: [...m.f2.meanG.data],
  };
}

/** Per layer |r| of the weight sums (Fig. 3) and their expectations (Fig. 17), then Cov(G_2k, G_2k′). */
function figuresOf(m: Measurements): Figure[] {
  const { T, perLayer } = m;
  return [
    ...perLayer.map((l) => ({ name: `${l.layer}-sums-abs-r`, title: `|r(${l.sum}, ${l.sum.replace(/_(\w)$/, "_$1′")})| across the ${T} retrainings (LB-hidden Fig. 3; uncorrelated sums would give a mean of ${num(l.pairs.independent.meanAbs)})`, spec: heatmap(l.r.abs(), `${l.layer}: |r| of the weight sums across retrainings`, { domain: [0, 1] }) })),
    ...perLayer.map((l) => ({ name: `${l.layer}-expectations`, title: `E(${l.sum}) per unit, the sample mean over ${T} retrainings (LB-hidden Fig. 17; eq 7 needs them equal)`, spec: barChart(l.equal.means.map((v, u) => ({ unit: String(u), value: +v.toFixed(4) })), 'unit', 'value') })),
    { name: 'cov-g', title: 'Cov(G_2k, G_2k′) = Cov(W_k, W_k′)E²(F1) across retrainings (eq 6 needs the off-diagonal to vanish)', spec: heatmap(m.f2.covG, 'Cov(G_2k, G_2k′)', { scheme: 'redblue' }) },
  ];
}

export const iidConditions: Experiment = {
  name: 'iid-conditions',
  title: 'Necessary conditions for i.i.d. activations across retrainings',
  paper: 'LB-hidden §4.2 (eq 3–7), App. F.1',
  run(ctx) {
    const data = mnistFor(ctx);
    const { T, epochs } = byMode<{ T: number; epochs: number }>(ctx.mode, RETRAININGS);
    const retrainings = retrain(ctx, data, T, epochs);
    const f1Bar = meanWithSe(retrainings.f1Means);
    const f2Weights = retrainings.f2Weights;
    const m: Measurements = {
      experiment: this.name,
      data,
      T,
      epochs,
      nTest: data.yTest.size,
      retrainings,
      xBar: meanWithSe(perImageMeans(data.xTest)),
      xBarTrain: data.xTrain.mean().item(),
      f1Bar,
      f2Bar: meanWithSe(retrainings.f2Means),
      perLayer: LAYERS.map((spec, i) => layerStatistics(spec, retrainings.sums[i], T)),
      f2: iidStatistics(f2Weights, f2Weights.map((w) => zeros([w.shape[0]])), f1Bar.value),
      testError: meanWithSe(retrainings.testErrors),
    };
    return {
      data: `${data.description} ${describeRetrainings(m)} each of the bias-free MLP 784-128-64-10 (Adam, lr 0.002, batch 32; the paper: T = 20, training not given); f̄1 and f̄2 over the ${m.nTest} test digits, as F.1.`,
      scale: { ours: `${data.yTrain.size.toLocaleString('en-US')} / ${m.nTest.toLocaleString('en-US')}`, paper: '60,000 / 10,000' },
      metrics: metricsOf(m),
      claims: claimsOf(m).rows,
      figures: figuresOf(m),
    };
  },
};
