/**
 * DRMM §4, "Supervised Training" and Fig. 2 (middle, right): a shallow rendering model and a
 * 2-level DRMM trained with EG (Algorithm 1: E-step by bottom-up max-sum and top-down rendering,
 * G-step by gradient) against DCNs of the same configuration trained by back-propagation. The
 * paper: "The 1-layer RFM (RFM sup) yields similar performance to a Convnet of the same
 * configuration (1.21% vs. 1.30% test error). Also, […] EG training converges 2-3x faster than a
 * DCN (18 vs. 40 epochs to reach 1.5% test error, Fig. 2, middle)", and the 2-layer model
 * "converges 2 – 3x faster than a DCN of the same configuration, while achieving a similar
 * asymptotic test error (Fig. 2, Right)".
 *
 * "Faster" is measured as epochs until each model is within a margin of its own final error (see
 * `convergence`), not as epochs to a fixed target: a target below one model's asymptote would test
 * the final error instead. The final errors are compared separately. Each (configuration, method)
 * is a unit, so that every unit of the full mode fits in about 100 minutes on this machine.
 */
import { ClaimList, errorRate, quantity } from './claims.js';
import { byMode, pct } from './common.js';
import { buildDcn, buildDrmm, convergence, describeConfig, describeEg, digitImages, EG, evaluations, plateauEpochs, trainDcn, trainEg, type DrmmConfig, type EpochRecord } from './drmm-common.js';
import { errorAxis, lineChart } from './figures.js';
import { byUnit, dispatchUnit } from './units.js';
import type { Experiment, ExperimentContext, ExperimentFindings, Figure, Mode } from './types.js';

/**
 * Sizes per mode. Full: the paper's 60,000 / 10,000 digits; the shallow pair trains 40 epochs (the
 * DCN's count in the paper), the 2-level pair 30 (an EG epoch of it, 1,875 batches at ~81 ms, takes
 * ~2.6 min on one core, so 40 would exceed a unit's ~100 minutes). Test error is measured
 * `evalsPerEpoch` times per epoch: with Adam both models came within the convergence margin of
 * their plateau in 1–2 epochs of 157 batches in the quick run, so at 60,000 digits whole epochs
 * would be too coarse to tell their speeds apart. `similar` is the tolerance of "similar final
 * error".
 */
export function supervisedSettings(mode: Mode) {
  return byMode(mode, {
    tiny: { train: 160, test: 100, shallow: 4, deep: [4, 8], epochs: { shallow: 2, deep: 2 }, evalsPerEpoch: 2, batchSize: 32, similar: 0.1 },
    quick: { train: 5000, test: 2000, shallow: 8, deep: [8, 16], epochs: { shallow: 10, deep: 10 }, evalsPerEpoch: 4, batchSize: 32, similar: 0.02 },
    full: { train: 60000, test: 10000, shallow: 32, deep: [32, 64], epochs: { shallow: 40, deep: 30 }, evalsPerEpoch: 4, batchSize: 32, similar: 0.005 },
  });
}

export function supervisedConfigs(mode: Mode): { shallow: DrmmConfig; deep: DrmmConfig } {
  const s = supervisedSettings(mode);
  return {
    shallow: { name: 'shallow (1 level)', levels: [{ channels: s.shallow, kernel: 5, pool: 2 }] },
    deep: { name: '2-level DRMM', levels: [{ channels: s.deep[0], kernel: 5, pool: 2 }, { channels: s.deep[1], kernel: 3, pool: 2 }] },
  };
}

const CONFIGS = ['shallow', 'deep'] as const;
const METHODS = ['eg', 'dcn'] as const;
type ConfigKey = (typeof CONFIGS)[number];
const UNITS = CONFIGS.flatMap((c) => METHODS.map((m) => `${c}-${m}`));

/** What one unit stores for the merge: its curve and sizes (no per-image data). */
interface UnitMetrics {
  configuration: string;
  method: 'eg' | 'dcn';
  nTrain: number;
  nTest: number;
  epochs: number;
  perEpoch: EpochRecord[];
}

const thousands = (v: number) => v.toLocaleString('en-US');
/** A difference of error rates in percentage points. */
const points = (v: number) => `${+(100 * v).toFixed(2)} points`;

/**
 * The claims of both configurations from the four curves: convergence epochs (each model against
 * its own final error), their ratio against the paper's 2–3×, and the final errors.
 */
export function supervisedClaims(curves: Record<ConfigKey, { eg: EpochRecord[]; dcn: EpochRecord[] }>, nTest: number, mode: Mode): { claims: ClaimList; summary: Record<ConfigKey, { eg: ReturnType<typeof convergence>; dcn: ReturnType<typeof convergence> }> } {
  const s = supervisedSettings(mode);
  const configs = supervisedConfigs(mode);
  const claims = new ClaimList('drmm-supervised');
  const summary = {} as Record<ConfigKey, { eg: ReturnType<typeof convergence>; dcn: ReturnType<typeof convergence> }>;
  for (const key of CONFIGS) {
    const { name } = configs[key];
    const eg = convergence(curves[key].eg, nTest);
    const dcn = convergence(curves[key].dcn, nTest);
    summary[key] = { eg, dcn };
    const epochs = curves[key].eg.length;
    const plateau = plateauEpochs(epochs);
    const every = s.evalsPerEpoch > 1 ? `evaluation (every 1/${s.evalsPerEpoch} epoch)` : 'epoch';
    const rule = `Converged = the first ${every} whose test error is within max(0.2 points, 2 binomial SE) of the model's own final error (the mean over its last ${plateau} of ${epochs} epochs): 2 SE is 0.23 points at 1.3% on 10,000 test digits, about one epoch's sampling noise, so a converged curve does not leave the margin by chance (a 10% relative margin, 0.13 points, would be below that noise); against its own final error, so that a model whose asymptote lies above the other's still converges.`;
    const model = key === 'shallow' ? "The paper's RFM has a Gaussian (factor) top level; ours is the 1-level NN-DRMM of the same convolutional configuration." : "The paper's deep curve is the 2-layer DRFM (factor model); ours is the 2-level NN-DRMM.";
    const measured = `EG ${+eg.epoch.toFixed(2)} epochs (final ${pct(eg.final)}, margin ${points(eg.margin)}) vs DCN ${+dcn.epoch.toFixed(2)} (final ${pct(dcn.final)}, margin ${points(dcn.margin)}) of ${epochs}`;
    claims.add({
      claim: `${name}: EG converges in fewer epochs than back-propagation of the DCN (each to within a margin of its own final test error)`,
      paperValue: key === 'shallow' ? 'EG 18 vs DCN 40 epochs to 1.5% (RFM, 60,000 digits, Fig. 2 middle)' : 'EG 2–3× fewer epochs (2-layer DRFM, Fig. 2 right)',
      measured,
      values: { 'EG epochs': quantity(eg.epoch), 'DCN epochs': quantity(dcn.epoch) },
      test: [{ left: 'EG epochs', op: '<', right: 'DCN epochs' }],
      note: `${rule} ${model}`,
    });
    claims.add({
      claim: `${name}: EG converges at least 2× faster than back-propagation of the DCN (ratio of those epochs)`,
      paperValue: key === 'shallow' ? '40 / 18 = 2.2× ("2-3x faster")' : '2–3×',
      measured,
      values: { 'DCN ÷ EG epochs': quantity(dcn.epoch / eg.epoch) },
      test: [{ left: 'DCN ÷ EG epochs', op: '>', right: 2 }],
      note: 'The lower end of the paper\'s "2-3x" is tested; convergence as in the claim above.',
    });
    claims.add({
      claim: `${name}: EG's final test error is similar to the DCN's (within ±${points(s.similar)})`,
      paperValue: key === 'shallow' ? '1.21% (RFM sup) vs 1.30% (Convnet), Table 3' : 'similar asymptotic error (Fig. 2 right)',
      measured: `EG ${pct(eg.final)} vs DCN ${pct(dcn.final)} (means over the last ${plateau} epochs; ${thousands(nTest)} test digits)`,
      values: { EG: errorRate(eg.final, nTest), DCN: errorRate(dcn.final, nTest) },
      test: [
        { left: 'EG', op: '<', right: 'DCN', margin: s.similar },
        { left: 'EG', op: '>', right: 'DCN', margin: -s.similar },
      ],
      note: `"Similar" as an equivalence test: holds when |EG − DCN| is below ${points(s.similar)} by more than 2 SE (binomial SE of each error on the ${thousands(nTest)} test digits). ${mode === 'full' ? 'The tolerance, 0.5 points, is 38% of the paper\'s DCN error and above 2 SE of the difference (~0.32 points at 1.3%), so the test can hold.' : 'The tolerance is wider than at full scale because the errors and their SE are larger.'}`,
    });
  }
  return { claims, summary };
}

/** One unit: one configuration trained by one method (EG or back-propagation of the DCN). */
function runTraining(ctx: ExperimentContext, key: ConfigKey, method: 'eg' | 'dcn'): ExperimentFindings {
  const s = supervisedSettings(ctx.mode);
  const digits = digitImages(ctx, s.train, s.test);
  const data = { x: digits.xTrain, y: digits.yTrain, xTest: digits.xTest, yTest: digits.yTest };
  const config = supervisedConfigs(ctx.mode)[key];
  const epochs = s.epochs[key];
  ctx.report({ kind: 'stage', label: `${config.name}: ${method === 'eg' ? 'EG' : 'DCN back-propagation'}` });
  const perEpoch =
    method === 'eg'
      ? trainEg(ctx, `${key} EG`, buildDrmm(config, ctx.rng.fork(), { nonnegativity: EG.nonnegativity }), data, { epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight, evalsPerEpoch: s.evalsPerEpoch })
      : trainDcn(ctx, `${key} DCN`, buildDcn(config, ctx.rng.fork()), data, { epochs, lr: EG.lr, batchSize: s.batchSize, evalsPerEpoch: s.evalsPerEpoch });
  const metrics: UnitMetrics = { configuration: describeConfig(config), method, nTrain: digits.yTrain.size, nTest: digits.yTest.size, epochs, perEpoch };
  return { data: digits.description, metrics: { ...metrics }, claims: [], figures: [] };
}

export const drmmSupervised: Experiment = {
  name: 'drmm-supervised',
  title: 'EG training of rendering models against back-propagation of DCNs of the same configuration',
  paper: 'DRMM §4 (Supervised Training), Fig. 2 middle/right, Algorithm 1',
  units: () => UNITS,
  run(ctx) {
    return dispatchUnit(drmmSupervised, ctx, (unit) => runTraining(ctx, ...(unit.split('-') as [ConfigKey, 'eg' | 'dcn'])));
  },
  merge(parts, mode) {
    const units = byUnit(parts, UNITS, 'drmm-supervised');
    const unit = (key: ConfigKey, method: 'eg' | 'dcn') => units[`${key}-${method}`].metrics as unknown as UnitMetrics;
    const s = supervisedSettings(mode);
    const configs = supervisedConfigs(mode);
    const { nTrain, nTest } = unit('shallow', 'eg');
    const curves = Object.fromEntries(CONFIGS.map((k) => [k, { eg: unit(k, 'eg').perEpoch, dcn: unit(k, 'dcn').perEpoch }])) as Record<ConfigKey, { eg: EpochRecord[]; dcn: EpochRecord[] }>;
    const { claims, summary } = supervisedClaims(curves, nTest, mode);
    const meanSeconds = (r: EpochRecord[]) => r.reduce((t, e) => t + e.seconds, 0) / r.length;
    const metrics: Record<string, unknown> = { settings: s, eg: EG };
    const figures: Figure[] = [];
    for (const key of CONFIGS) {
      const config = configs[key];
      const describe = (method: 'eg' | 'dcn') => ({ perEpoch: curves[key][method], convergence: summary[key][method], bestTestError: Math.min(...curves[key][method].map((e) => e.testError)), secondsPerEpoch: meanSeconds(curves[key][method]) });
      metrics[key] = { configuration: describeConfig(config), epochs: s.epochs[key], eg: describe('eg'), dcn: describe('dcn') };
      const rows = METHODS.flatMap((m) => evaluations(curves[key][m]).map((e) => ({ epoch: +e.epoch.toFixed(3), model: `${config.name} ${m === 'eg' ? 'EG' : 'DCN'}`, testError: +e.testError.toFixed(4) })));
      figures.push({ name: `${key}-test-error`, title: `${config.name} (${describeConfig(config)}): test error per epoch, EG vs back-propagation`, spec: lineChart(rows, 'epoch', errorAxis(), 'model') });
    }
    const findings: ExperimentFindings = {
      data: `${units['shallow-eg'].data} ${describeEg(EG)}, batches of ${s.batchSize}; DCN: the same convolutions with biases and a free linear read-out, Adam lr ${EG.lr}, cross-entropy. Epochs: ${s.epochs.shallow} (shallow), ${s.epochs.deep} (2-level) for both methods (paper: EG reaches 1.5% at epoch 18, the DCN at 40), test error ${s.evalsPerEpoch} times per epoch. Reconstruction weight ${EG.reconWeight} and the top-down ReLU are the setting closest to the paper's objective (the log-likelihood's reconstruction term under eq 6's Gaussian noise weighs the pixel MSE by 392/σ², and §3.2 enforces non-negativity by that ReLU); drmm-settings reports how the verdict moves with both.`,
      scale: { ours: `${thousands(nTrain)} / ${thousands(nTest)}`, paper: '60,000 / 10,000' },
      metrics,
      claims: claims.rows,
      figures,
    };
    return findings;
  },
};
