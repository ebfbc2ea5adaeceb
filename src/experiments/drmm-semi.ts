/**
 * DRMM §4 "Semi-Supervised Training", Table 1: N_L labelled digits and the rest of the training
 * pool unlabelled. The semi-supervised DRMM adds, for every unlabelled digit, the reconstruction
 * error of its rendering Λ_ĝ μ_ĉ along the E-step's inferred class and path (plus the KL of the
 * batch's class posterior to the prior) to the labelled EG objective. The paper's comparator is
 * Table 1's "Convnet" row, a DCN trained on the labelled digits only, so "holds" compares the
 * semi-supervised DRMM with the DCN of the same configuration trained by back-propagation on the
 * labelled digits; the same DRMM trained by EG on the labelled digits only (not in Table 1) is a
 * reported row beside it. Each N_L is a unit (three models, ~35 minutes at full scale).
 */
import { takeRows } from '../tensor/rows.js';
import { ClaimList, errorRate } from './claims.js';
import { byMode, pct } from './common.js';
import { balancedLabelled, buildDcn, buildDrmm, describeConfig, describeEg, digitImages, EG, trainDcn, trainEg, type DrmmConfig, type EpochRecord } from './drmm-common.js';
import { errorAxis, lineChart } from './figures.js';
import { byUnit, dispatchUnit } from './units.js';
import type { Experiment, ExperimentContext, ExperimentFindings, Mode } from './types.js';

/** Table 1, test error (%) on MNIST with N_U = 60,000: the 2-layer semi-supervised DRMM and the Convnet (labelled only). */
export const TABLE1: Record<number, { drmm2: string; convnet: string }> = {
  100: { drmm2: '11.81', convnet: '22.98' },
  600: { drmm2: '3.73', convnet: '7.86' },
  1000: { drmm2: '2.88', convnet: '6.45' },
  3000: { drmm2: '1.72', convnet: '3.35' },
};

/** Sizes per mode; full: the official 60,000 training digits as the pool and the official 10,000 test digits. */
export function semiSettings(mode: Mode) {
  return byMode(mode, {
    tiny: { pool: 160, test: 100, labelled: [40], channels: [4, 8], epochs: 1, batchSize: 32 },
    quick: { pool: 4000, test: 2000, labelled: [100, 600, 1000], channels: [8, 16], epochs: 3, batchSize: 32 },
    full: { pool: 60000, test: 10000, labelled: [100, 600, 1000, 3000], channels: [16, 32], epochs: 10, batchSize: 32 },
  });
}

function semiConfig(mode: Mode): DrmmConfig {
  const { channels } = semiSettings(mode);
  return { name: '2-level DRMM', levels: [{ channels: channels[0], kernel: 5, pool: 2 }, { channels: channels[1], kernel: 3, pool: 2 }] };
}

const unitName = (nL: number) => `NL${nL}`;

/** What one N_L unit stores: the three curves and the sizes. */
interface UnitMetrics {
  nL: number;
  unlabelled: number;
  nTest: number;
  gSteps: number;
  semi: EpochRecord[];
  labelledOnlyEg: EpochRecord[];
  labelledOnlyDcn: EpochRecord[];
}

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

const last = (r: EpochRecord[]) => r[r.length - 1].testError;

/** Per N_L: the paper's comparison (semi-supervised DRMM vs the labelled-only DCN) and the reported labelled-only EG row. */
export function semiClaims(units: readonly UnitMetrics[]): ClaimList {
  const claims = new ClaimList('drmm-semi');
  for (const u of units) {
    const paper = TABLE1[u.nL];
    const [semi, eg, dcn] = [last(u.semi), last(u.labelledOnlyEg), last(u.labelledOnlyDcn)];
    const pool = `N_U = ${u.unlabelled} unlabelled (paper: 60,000), ${u.nTest} test digits`;
    claims.add({
      claim: `N_L = ${u.nL}: the semi-supervised DRMM has a lower test error than the DCN trained on the labelled digits only (Table 1's Convnet row)`,
      paperValue: paper ? `${paper.drmm2}% (2-layer DRMM semi-sup) vs ${paper.convnet}% (Convnet)` : 'lower',
      measured: `${pct(semi)} vs ${pct(dcn)}; ${pool}`,
      values: { 'DRMM semi-sup': errorRate(semi, u.nTest), 'DCN labelled only': errorRate(dcn, u.nTest) },
      test: [{ left: 'DRMM semi-sup', op: '<', right: 'DCN labelled only' }],
      note: 'The DCN has the DRMM\'s convolutions with biases and a free linear read-out, trained by back-propagation on the labelled digits for as many G-steps as the semi-supervised DRMM; the paper\'s Convnet [10] is LeCun et al.\'s, whose configuration Table 1 does not give.',
    });
    claims.add({
      claim: `N_L = ${u.nL}: the same DRMM trained by EG on the labelled digits only (not in Table 1), beside the semi-supervised one`,
      paperValue: 'not in the paper',
      measured: `${pct(eg)} (EG, labelled only) vs ${pct(semi)} (semi-sup); ${pool}`,
      values: { 'DRMM semi-sup': errorRate(semi, u.nTest), 'DRMM labelled only (EG)': errorRate(eg, u.nTest) },
      note: 'Reported, not decided: it separates what the unlabelled digits add to EG from what EG adds over back-propagation.',
    });
  }
  return claims;
}

/** One unit: N_L labelled digits, trained semi-supervised, and EG and the DCN on the labelled digits only. */
function runLabelled(ctx: ExperimentContext, nL: number): ExperimentFindings {
  const s = semiSettings(ctx.mode);
  const digits = digitImages(ctx, s.pool, s.test);
  const config = semiConfig(ctx.mode);
  const test = { xTest: digits.xTest, yTest: digits.yTest };
  const { labelled, rest } = balancedLabelled(digits.yTrain, nL);
  const data = { x: takeRows(digits.xTrain, labelled), y: takeRows(digits.yTrain, labelled), ...test };
  const unlabelled = takeRows(digits.xTrain, rest);
  // Same number of G-steps for all three: one epoch = one pass over the unlabelled pool, so
  // the labelled-only models see the labelled digits repeated to the pool's length per epoch.
  const steps = Math.ceil(rest.length / s.batchSize);
  const repeated = Array.from({ length: steps * s.batchSize }, (_, i) => labelled[i % nL]);
  const repeatedData = { x: takeRows(digits.xTrain, repeated), y: takeRows(digits.yTrain, repeated), ...test };
  const eg = { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight };
  ctx.report({ kind: 'stage', label: `N_L = ${nL}: semi-supervised EG (${rest.length} unlabelled)` });
  const semi = trainEg(ctx, `semi N_L=${nL}`, buildDrmm(config, ctx.rng.fork(), { nonnegativity: EG.nonnegativity }), data, { ...eg, unlabelled });
  ctx.report({ kind: 'stage', label: `N_L = ${nL}: EG on the labelled digits only` });
  const labelledOnlyEg = trainEg(ctx, `labelled-only EG N_L=${nL}`, buildDrmm(config, ctx.rng.fork(), { nonnegativity: EG.nonnegativity }), repeatedData, eg);
  ctx.report({ kind: 'stage', label: `N_L = ${nL}: DCN on the labelled digits only` });
  const labelledOnlyDcn = trainDcn(ctx, `labelled-only DCN N_L=${nL}`, buildDcn(config, ctx.rng.fork()), repeatedData, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize });
  const metrics: UnitMetrics = { nL, unlabelled: rest.length, nTest: digits.yTest.size, gSteps: s.epochs * steps, semi, labelledOnlyEg, labelledOnlyDcn };
  return { data: digits.description, metrics: { ...metrics }, claims: [], figures: [] };
}

export const drmmSemi: Experiment = {
  name: 'drmm-semi',
  title: 'Semi-supervised DRMM: labelled EG plus reconstruction of unlabelled digits',
  paper: 'DRMM §4 (Semi-Supervised Training), Table 1',
  units: (mode) => semiSettings(mode).labelled.map(unitName),
  // each N_L's claims rest on its own unit: extra seeds can be spent on one N_L alone
  unitClaims: (_unit, findings) => semiClaims([findings.metrics as unknown as UnitMetrics]).rows,
  run(ctx) {
    return dispatchUnit(drmmSemi, ctx, (unit) => runLabelled(ctx, semiSettings(ctx.mode).labelled.find((n) => unitName(n) === unit)!));
  },
  merge(parts, mode) {
    const s = semiSettings(mode);
    const names = s.labelled.map(unitName);
    const found = byUnit(parts, names, 'drmm-semi');
    const units = names.map((n) => found[n].metrics as unknown as UnitMetrics);
    const config = semiConfig(mode);
    const rows = units.flatMap((u) => [
      { NL: u.nL, model: 'DRMM semi-sup (EG)', testError: +last(u.semi).toFixed(4) },
      { NL: u.nL, model: 'DRMM labelled only (EG)', testError: +last(u.labelledOnlyEg).toFixed(4) },
      { NL: u.nL, model: 'DCN labelled only (BP)', testError: +last(u.labelledOnlyDcn).toFixed(4) },
    ]);
    const curves = units.flatMap((u) => u.semi.map((e) => ({ epoch: e.epoch, model: `N_L=${u.nL} semi-sup`, testError: +e.testError.toFixed(4) })));
    const metrics: Record<string, unknown> = { settings: s, configuration: describeConfig(config), eg: EG, paper: TABLE1 };
    for (const u of units) metrics[`NL${u.nL}`] = { unlabelled: u.unlabelled, gSteps: u.gSteps, finalTestError: { semi: last(u.semi), labelledOnlyEg: last(u.labelledOnlyEg), labelledOnlyDcn: last(u.labelledOnlyDcn) }, semi: u.semi, labelledOnlyEg: u.labelledOnlyEg, labelledOnlyDcn: u.labelledOnlyDcn };
    const nTest = units[0].nTest;
    return {
      data: `${found[names[0]].data} Training pool ${s.pool.toLocaleString('en-US')}: N_L ∈ {${s.labelled.join(', ')}} labelled (balanced over the classes, the first of each class in the pool's seeded order), the rest of the pool unlabelled (paper: N_U = 60,000 of which N_L are labelled). ${config.name}: ${describeConfig(config)}. ${describeEg(EG)}, the setting closest to the paper's text (see drmm-supervised); batches of ${s.batchSize} labelled + ${s.batchSize} unlabelled digits, ${s.epochs} epoch(s) over the unlabelled pool; the labelled-only models (EG and DCN) get the same number of G-steps. Test error of the last epoch.`,
      scale: { ours: `${s.pool.toLocaleString('en-US')} pool (N_L labelled) / ${nTest.toLocaleString('en-US')}`, paper: '60,000 pool (N_L labelled) / 10,000' },
      metrics,
      claims: semiClaims(units).rows,
      figures: [
        { name: 'test-error', title: 'Final test error per N_L: semi-supervised DRMM vs labelled-only DRMM and DCN', spec: groupedBars(rows) },
        { name: 'semi-curves', title: 'Semi-supervised DRMM: test error per epoch over the unlabelled pool', spec: lineChart(curves, 'epoch', errorAxis(), 'model') },
      ],
    };
  },
};
