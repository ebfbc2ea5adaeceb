/**
 * DRMM §4, "Supervised Training" and Fig. 2 (middle, right): a shallow rendering model and a
 * 2-level DRMM trained with EG (Algorithm 1: E-step by bottom-up max-sum and top-down rendering,
 * G-step by gradient) against DCNs of the same configuration trained by back-propagation. The
 * paper: RFM 1.21% vs DCN 1.30% test error, EG reaches 1.5% in 18 epochs vs 40 for the DCN, and
 * the 2-level model converges 2–3× faster with a similar asymptotic error.
 */
import { byMode, num, pct } from './common.js';
import { buildDcn, buildDrmm, describeConfig, digitImages, epochsToReach, trainDcn, trainEg, type DrmmConfig, type EpochRecord } from './drmm-common.js';
import { lineChart } from './figures.js';
import type { Claim, Experiment, Figure } from './types.js';

/** Sizes per mode: digits, channels, epochs, and the target error that "epochs to reach" uses. */
export function supervisedSettings(mode: 'tiny' | 'quick' | 'full') {
  return byMode(mode, {
    tiny: { train: 160, test: 100, shallow: 4, deep: [4, 8], epochs: 2, target: 0.5, batchSize: 32 },
    quick: { train: 2000, test: 1000, shallow: 8, deep: [8, 16], epochs: 4, target: 0.08, batchSize: 32 },
    full: { train: 60000, test: 10000, shallow: 32, deep: [32, 64], epochs: 40, target: 0.03, batchSize: 32 },
  });
}

export function supervisedConfigs(mode: 'tiny' | 'quick' | 'full'): { shallow: DrmmConfig; deep: DrmmConfig } {
  const s = supervisedSettings(mode);
  return {
    shallow: { name: 'shallow (1 level)', levels: [{ channels: s.shallow, kernel: 5, pool: 2 }] },
    deep: { name: '2-level DRMM', levels: [{ channels: s.deep[0], kernel: 5, pool: 2 }, { channels: s.deep[1], kernel: 3, pool: 2 }] },
  };
}

/**
 * EG hyper-parameters (DRMM Algorithm 1 with an Adam G-step); the DCN uses the same lr and batches.
 * The paper does not give the weights of its objective's terms. With reconWeight 1 the pixel MSE
 * hardly moves the parameters (a 2-level model's reconstructions stayed worse than the class-mean
 * digit: MSE 0.086); 10 brings them to 0.023 for ~1 point of test error after 3 epochs (2,000 digits).
 */
export const EG = { lr: 0.01, klWeight: 0.1, reconWeight: 10 } as const;

export const drmmSupervised: Experiment = {
  name: 'drmm-supervised',
  title: 'EG training of rendering models against back-propagation of DCNs of the same configuration',
  paper: 'DRMM §4 (Supervised Training), Fig. 2 middle/right, Algorithm 1',
  run(ctx) {
    const s = supervisedSettings(ctx.mode);
    const digits = digitImages(ctx, s.train, s.test);
    const data = { x: digits.xTrain, y: digits.yTrain, xTest: digits.xTest, yTest: digits.yTest };
    const configs = supervisedConfigs(ctx.mode);
    const curves: { epoch: number; model: string; testError: number }[] = [];
    const claims: Claim[] = [];
    const figures: Figure[] = [];
    const metrics: Record<string, unknown> = { settings: s, eg: EG, target: s.target };
    const paper = {
      shallow: { eg: 18, dcn: 40, egError: '1.21%', dcnError: '1.30%', target: '1.5%' },
      deep: { eg: null, dcn: null, egError: 'similar to the DCN (Fig. 2 right, DRFM)', dcnError: '', target: '' },
    };
    for (const key of ['shallow', 'deep'] as const) {
      const config = configs[key];
      ctx.report({ kind: 'stage', label: `${config.name}: EG` });
      const eg = trainEg(ctx, `${key} EG`, buildDrmm(config, ctx.rng.fork()), data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize, klWeight: EG.klWeight, reconWeight: EG.reconWeight });
      ctx.report({ kind: 'stage', label: `${config.name}: DCN back-propagation` });
      const dcn = trainDcn(ctx, `${key} DCN`, buildDcn(config, ctx.rng.fork()), data, { epochs: s.epochs, lr: EG.lr, batchSize: s.batchSize });
      const row = (label: string, r: EpochRecord[]) => r.forEach((e) => curves.push({ epoch: e.epoch, model: `${config.name} ${label}`, testError: +e.testError.toFixed(4) }));
      row('EG', eg);
      row('DCN', dcn);
      const [egReach, dcnReach] = [epochsToReach(eg, s.target), epochsToReach(dcn, s.target)];
      const [egFinal, dcnFinal] = [eg[eg.length - 1].testError, dcn[dcn.length - 1].testError];
      const mean = (r: EpochRecord[]) => r.reduce((t, e) => t + e.seconds, 0) / r.length;
      metrics[key] = {
        configuration: describeConfig(config),
        eg: { perEpoch: eg, epochsToTarget: egReach, finalTestError: egFinal, bestTestError: Math.min(...eg.map((e) => e.testError)), secondsPerEpoch: mean(eg) },
        dcn: { perEpoch: dcn, epochsToTarget: dcnReach, finalTestError: dcnFinal, bestTestError: Math.min(...dcn.map((e) => e.testError)), secondsPerEpoch: mean(dcn) },
      };
      const fmtReach = (e: number | null) => (e === null ? `not within ${s.epochs}` : String(e));
      // EG is faster if it gets there first, or gets there when the DCN does not.
      const faster = egReach !== null && (dcnReach === null || egReach < dcnReach);
      const scale = `${s.train} train / ${s.test} test digits, ${s.epochs} epochs`;
      claims.push({
        experiment: this.name,
        claim: `${config.name}: EG reaches the target test error in fewer epochs than back-propagation of the DCN`,
        paperValue: key === 'shallow' ? `EG ${paper.shallow.eg} vs DCN ${paper.shallow.dcn} epochs to 1.5% (RFM, 60,000 digits)` : 'EG 2–3× fewer epochs (2-layer DRFM, Fig. 2 right)',
        measured: `EG ${fmtReach(egReach)} vs DCN ${fmtReach(dcnReach)} epochs to ${pct(s.target)} (${scale})`,
        holds: egReach === null && dcnReach === null ? null : faster,
        note: `Target ${pct(s.target)} instead of 1.5%: chosen as reachable with ${s.train} training digits. ${key === 'shallow' ? 'The paper\'s RFM has a Gaussian (factor) top level; ours is the 1-level NN-DRMM of the same convolutional configuration.' : 'The paper\'s deep curve is the DRFM (factor model); ours is the 2-level NN-DRMM.'}`,
      });
      claims.push({
        experiment: this.name,
        claim: `${config.name}: EG's final test error is similar to the DCN's (within 1 percentage point or 25%)`,
        paperValue: key === 'shallow' ? `${paper.shallow.egError} vs ${paper.shallow.dcnError}` : 'similar asymptotic error',
        measured: `EG ${pct(egFinal)} vs DCN ${pct(dcnFinal)} (${scale})`,
        holds: egFinal <= dcnFinal + Math.max(0.01, 0.25 * dcnFinal),
      });
      figures.push({
        name: `${key}-test-error`,
        title: `${config.name} (${describeConfig(config)}): test error per epoch, EG vs back-propagation`,
        spec: lineChart(curves.filter((c) => c.model.startsWith(config.name)).map((c) => ({ ...c })), 'epoch', 'testError', 'model'),
      });
    }
    return {
      data: `${digits.description} EG: Adam G-step lr ${EG.lr}, batch ${s.batchSize}, objective = ${EG.reconWeight}·(pixel MSE of the rendering Λ_ĝ μ_c) + cross-entropy + ${EG.klWeight}·KL[p(c|I) ‖ uniform]; DCN: same convolutions with biases and a free linear read-out, Adam lr ${EG.lr}, cross-entropy. Target error ${num(100 * s.target, 1)}% (paper: 1.5% on 60,000 digits).`,
      metrics,
      claims,
      figures,
    };
  },
};
