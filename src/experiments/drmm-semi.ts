/**
 * DRMM §4 "Semi-Supervised Training", Table 1: N_L labelled digits and the rest of the training
 * pool unlabelled. The semi-supervised DRMM adds, for every unlabelled digit, the reconstruction
 * error of its rendering Λ_ĝ μ_ĉ along the E-step's inferred class and path (plus the KL of the
 * batch's class posterior to the prior) to the labelled EG objective; it is compared with the same
 * 2-level DRMM trained by EG on the labelled digits only, and with the DCN of the same
 * configuration (back-propagation, labelled only; Table 1's "Convnet" row is such a baseline).
 */
import { takeRows } from '../layers/train.js';
import { byMode, pct } from './common.js';
import { balancedLabelled, buildDcn, buildDrmm, describeConfig, digitImages, trainDcn, trainEg, type DrmmConfig } from './drmm-common.js';
import { EG } from './drmm-supervised.js';
import { lineChart } from './figures.js';
import type { Claim, Experiment } from './types.js';

/** Table 1, test error (%) on MNIST with N_U = 60,000. */
const PAPER: Record<number, { drmm2: string; convnet: string }> = {
  100: { drmm2: '11.81', convnet: '22.98' },
  600: { drmm2: '3.73', convnet: '7.86' },
  1000: { drmm2: '2.88', convnet: '6.45' },
};

/** Bars of test error grouped by N_L, one colour per model. */
function groupedBars(rows: { NL: number; model: string; testError: number }[]): Record<string, unknown> {
  return {
    width: 360,
    height: 200,
    data: { values: rows.map((r) => ({ ...r, NL: `N_L = ${r.NL}` })) },
    mark: 'bar',
    encoding: {
      x: { field: 'NL', type: 'nominal', title: null, sort: null },
      xOffset: { field: 'model', type: 'nominal' },
      y: { field: 'testError', type: 'quantitative', title: 'test error' },
      color: { field: 'model', type: 'nominal' },
    },
  };
}

export const drmmSemi: Experiment = {
  name: 'drmm-semi',
  title: 'Semi-supervised DRMM: labelled EG plus reconstruction of unlabelled digits',
  paper: 'DRMM §4 (Semi-Supervised Training), Table 1',
  run(ctx) {
    const s = byMode(ctx.mode, {
      tiny: { pool: 160, test: 100, labelled: [40], channels: [4, 8], epochs: 1, batchSize: 32 },
      quick: { pool: 2000, test: 1000, labelled: [100, 600, 1000], channels: [4, 8], epochs: 2, batchSize: 32 },
      full: { pool: 60000, test: 10000, labelled: [100, 600, 1000], channels: [16, 32], epochs: 10, batchSize: 32 },
    });
    const digits = digitImages(ctx, s.pool, s.test);
    const config: DrmmConfig = { name: '2-level DRMM', levels: [{ channels: s.channels[0], kernel: 5, pool: 2 }, { channels: s.channels[1], kernel: 3, pool: 2 }] };
    const test = { xTest: digits.xTest, yTest: digits.yTest };
    const claims: Claim[] = [];
    const rows: { NL: number; model: string; testError: number }[] = [];
    const curves: { epoch: number; model: string; testError: number }[] = [];
    const metrics: Record<string, unknown> = { settings: s, configuration: describeConfig(config), eg: EG };
    for (const nL of s.labelled) {
      const { labelled, rest } = balancedLabelled(digits.yTrain, nL);
      const data = { x: takeRows(digits.xTrain, labelled), y: takeRows(digits.yTrain, labelled), ...test };
      const unlabelled = takeRows(digits.xTrain, rest);
      // Same number of G-steps for all three: one epoch = one pass over the unlabelled pool, so
      // the labelled-only models see the labelled digits repeated to the pool's length per epoch.
      const steps = Math.ceil(rest.length / s.batchSize);
      const repeated = Array.from({ length: steps * s.batchSize }, (_, i) => labelled[i % nL]);
      const repeatedData = { x: takeRows(digits.xTrain, repeated), y: takeRows(digits.yTrain, repeated), ...test };
      ctx.report({ kind: 'stage', label: `N_L = ${nL}: semi-supervised EG (${rest.length} unlabelled)` });
      const semi = trainEg(ctx, `semi N_L=${nL}`, buildDrmm(config, ctx.rng.fork()), data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight, unlabelled });
      ctx.report({ kind: 'stage', label: `N_L = ${nL}: EG on the labelled digits only` });
      const sup = trainEg(ctx, `labelled-only EG N_L=${nL}`, buildDrmm(config, ctx.rng.fork()), repeatedData, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight });
      ctx.report({ kind: 'stage', label: `N_L = ${nL}: DCN on the labelled digits only` });
      const dcn = trainDcn(ctx, `labelled-only DCN N_L=${nL}`, buildDcn(config, ctx.rng.fork()), repeatedData, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize });
      const final = { semi: semi[semi.length - 1].testError, sup: sup[sup.length - 1].testError, dcn: dcn[dcn.length - 1].testError };
      metrics[`NL${nL}`] = { unlabelled: rest.length, gSteps: s.epochs * steps, finalTestError: final, semi, labelledOnlyEg: sup, labelledOnlyDcn: dcn };
      rows.push({ NL: nL, model: 'DRMM semi-sup (EG)', testError: +final.semi.toFixed(4) }, { NL: nL, model: 'DRMM labelled only (EG)', testError: +final.sup.toFixed(4) }, { NL: nL, model: 'DCN labelled only (BP)', testError: +final.dcn.toFixed(4) });
      semi.forEach((e) => curves.push({ epoch: e.epoch, model: `N_L=${nL} semi-sup`, testError: +e.testError.toFixed(4) }));
      const pool = `N_U = ${rest.length} unlabelled (paper: 60,000)`;
      const paper = PAPER[nL];
      claims.push({
        experiment: this.name,
        claim: `N_L = ${nL}: the semi-supervised DRMM has a lower test error than the same DRMM trained on the labelled digits only`,
        paperValue: paper ? `${paper.drmm2}% (2-layer DRMM semi-sup) vs ${paper.convnet}% (Convnet, labelled only)` : 'lower',
        measured: `${pct(final.semi)} vs ${pct(final.sup)} (EG, labelled only); DCN labelled only ${pct(final.dcn)}; ${pool}`,
        holds: final.semi < final.sup,
        note: `${s.test} test digits; the unlabelled pool is ${rest.length} digits, far smaller than the paper's 60,000.`,
      });
    }
    return {
      data: `${digits.description} Training pool ${s.pool}: N_L ∈ {${s.labelled.join(', ')}} labelled (balanced over the classes), the rest of the pool unlabelled (paper: N_U = 60,000). ${config.name}: ${describeConfig(config)}. ${s.epochs} epoch(s) over the unlabelled pool; the labelled-only models get the same number of G-steps. Adam lr ${EG.lr}, batches of ${s.batchSize} labelled + ${s.batchSize} unlabelled.`,
      metrics,
      claims,
      figures: [
        { name: 'test-error', title: 'Final test error per N_L: semi-supervised DRMM vs labelled-only DRMM and DCN', spec: groupedBars(rows) },
        { name: 'semi-curves', title: 'Semi-supervised DRMM: test error per epoch over the unlabelled pool', spec: lineChart(curves.map((c) => ({ ...c })), 'epoch', 'testError', 'model') },
      ],
    };
  },
};
