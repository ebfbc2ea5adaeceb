// The DRMM experiments' claims and merges, on synthetic unit findings: drmm-supervised's
// convergence claims (each model against its own final error) and its "similar" final errors,
// drmm-semi's comparator (Table 1's Convnet row: the DCN on the labelled digits only), and
// drmm-settings' reported sweep.
import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/experiments/drmm-common.js';
import { drmmSemi, semiClaims, TABLE1 } from '../../src/experiments/drmm-semi.js';
import { drmmSettings, settingKey, settingsClaims, type SweepRow } from '../../src/experiments/drmm-settings.js';
import { drmmSupervised, supervisedClaims } from '../../src/experiments/drmm-supervised.js';
import type { ExperimentFindings } from '../../src/experiments/types.js';

const curve = (errors: readonly number[]): EpochRecord[] => errors.map((testError, i) => ({ epoch: i + 1, loss: 0, testError, seconds: 1 }));
/** A curve falling geometrically from 20% to `final`, reaching it (within 0.01 points) at about `by`. */
const falling = (final: number, by: number, epochs: number) => curve(Array.from({ length: epochs }, (_, i) => final + (0.2 - final) * Math.pow(0.01 / 20, Math.min(i, by) / by)));

describe('drmm-supervised claims', () => {
  it('EG converging at epoch ~4 and the DCN at ~25 to similar errors: faster, ≥ 2×, similar all hold', () => {
    const curves = { shallow: { eg: falling(0.0121, 4, 40), dcn: falling(0.013, 25, 40) }, deep: { eg: falling(0.0121, 4, 30), dcn: falling(0.013, 25, 30) } };
    const { claims, summary } = supervisedClaims(curves, 10000, 'full');
    expect(summary.shallow.eg.epoch).toBeLessThan(5);
    expect(summary.shallow.dcn.epoch).toBeGreaterThan(15);
    expect(claims.rows.map((c) => c.verdict)).toEqual(['holds', 'holds', 'holds', 'holds', 'holds', 'holds']);
    const [faster, ratio, similar] = claims.rows;
    expect(faster.test).toEqual([{ left: 'EG epochs', op: '<', right: 'DCN epochs' }]);
    expect(faster.seKnown).toBe(false); // epoch counts of one seed have no SE: decided on direction
    expect(ratio.values['DCN ÷ EG epochs'].value).toBeCloseTo(summary.shallow.dcn.epoch / summary.shallow.eg.epoch, 10);
    expect(similar.values.EG.se).toBeCloseTo(Math.sqrt((summary.shallow.eg.final * (1 - summary.shallow.eg.final)) / 10000), 10);
    // no number of the run in the claim texts (they are merged across seeds by their text)
    for (const c of claims.rows) expect(c.claim).not.toMatch(/1\.2|1\.3|epoch \d/);
  });

  it("a model that plateaus higher but sooner is faster, not 'never reaching the target'; its final error is then not similar", () => {
    const egHigh = falling(0.03, 3, 40); // the case: EG's asymptote above the DCN's
    const dcn = falling(0.013, 20, 40);
    const { claims } = supervisedClaims({ shallow: { eg: egHigh, dcn }, deep: { eg: egHigh, dcn } }, 10000, 'full');
    const [faster, ratio, similar] = claims.rows;
    expect(faster.verdict).toBe('holds');
    expect(ratio.verdict).toBe('holds');
    expect(similar.verdict).toBe('does not hold'); // 3.0% vs 1.3%: 1.7 points > 0.5
  });

  it('the same speed is inconclusive; a difference within the tolerance but inside 2 SE of it is inconclusive', () => {
    const same = falling(0.013, 10, 40);
    const { claims } = supervisedClaims({ shallow: { eg: same, dcn: same }, deep: { eg: falling(0.0168, 10, 30), dcn: falling(0.013, 10, 30) } }, 10000, 'full');
    expect(claims.rows[0].verdict).toBe('inconclusive'); // equal epochs: no direction
    expect(claims.rows[1].verdict).toBe('does not hold'); // ratio 1 < 2 (no SE: decided on direction)
    expect(claims.rows[2].verdict).toBe('holds'); // identical errors: 0 is 0.5 points inside both bounds, > 2 SE
    expect(claims.rows[5].verdict).toBe('inconclusive'); // 0.38 points: inside ±0.5, but by less than 2 SE (≈ 0.34)
  });

  it('merge builds the claims, figures and scale from the four units and names a missing one', () => {
    const unit = (method: 'eg' | 'dcn', perEpoch: EpochRecord[]): ExperimentFindings => ({ data: 'MNIST digits.', metrics: { configuration: 'c', method, nTrain: 60000, nTest: 10000, epochs: perEpoch.length, perEpoch }, claims: [], figures: [] });
    const parts = [
      { unit: 'shallow-eg', findings: unit('eg', falling(0.0121, 4, 40)) },
      { unit: 'shallow-dcn', findings: unit('dcn', falling(0.013, 25, 40)) },
      { unit: 'deep-eg', findings: unit('eg', falling(0.0121, 4, 30)) },
      { unit: 'deep-dcn', findings: unit('dcn', falling(0.013, 25, 30)) },
    ];
    expect(drmmSupervised.units!('full')).toEqual(parts.map((p) => p.unit));
    const merged = drmmSupervised.merge!(parts, 'full');
    expect(merged.scale).toEqual({ ours: '60,000 / 10,000', paper: '60,000 / 10,000' });
    expect(merged.claims).toHaveLength(6);
    expect(merged.figures.map((f) => f.name)).toEqual(['shallow-test-error', 'deep-test-error']);
    expect(merged.data).toMatch(/^MNIST digits\. EG objective 10·/);
    expect(() => drmmSupervised.merge!(parts.slice(1), 'full')).toThrow(/merge needs unit 'shallow-eg'/);
  });
});

describe('drmm-semi claims', () => {
  const unit = (nL: number, semi: number, eg: number, dcn: number) => ({ nL, unlabelled: 60000 - nL, nTest: 10000, gSteps: 18750, semi: curve([0.5, semi]), labelledOnlyEg: curve([0.5, eg]), labelledOnlyDcn: curve([0.5, dcn]) });

  it("decides against the labelled-only DCN (Table 1's Convnet), not against the labelled-only EG DRMM", () => {
    // the measured rows: semi beats the labelled-only EG model, but not the DCN
    const claims = semiClaims([unit(600, 0.079, 0.095, 0.0695), unit(1000, 0.072, 0.09, 0.0415), unit(3000, 0.02, 0.03, 0.03)]).rows;
    const decided = claims.filter((c) => c.test.length > 0);
    expect(decided.map((c) => c.verdict)).toEqual(['does not hold', 'does not hold', 'holds']);
    expect(decided[0].test).toEqual([{ left: 'DRMM semi-sup', op: '<', right: 'DCN labelled only' }]);
    expect(decided[2].paperValue).toBe(`${TABLE1[3000].drmm2}% (2-layer DRMM semi-sup) vs ${TABLE1[3000].convnet}% (Convnet)`);
    const reported = claims.filter((c) => c.test.length === 0);
    expect(reported.map((c) => c.verdict)).toEqual(['reported', 'reported', 'reported']);
    expect(reported[0].values['DRMM labelled only (EG)'].value).toBe(0.095);
  });

  it('full mode has one unit per N_L including Table 1\'s 3,000 column; merge orders the claims by N_L', () => {
    expect(drmmSemi.units!('full')).toEqual(['NL100', 'NL600', 'NL1000', 'NL3000']);
    expect(TABLE1[3000]).toEqual({ drmm2: '1.72', convnet: '3.35' });
    const parts = [100, 600, 1000, 3000].map((nL) => ({ unit: `NL${nL}`, findings: { data: 'MNIST.', metrics: { ...unit(nL, 0.1, 0.12, 0.15) }, claims: [], figures: [] } }));
    const merged = drmmSemi.merge!(parts.reverse(), 'full');
    expect(merged.claims.map((c) => c.claim.split(':')[0])).toEqual(['N_L = 100', 'N_L = 100', 'N_L = 600', 'N_L = 600', 'N_L = 1000', 'N_L = 1000', 'N_L = 3000', 'N_L = 3000']);
    expect(merged.scale?.ours).toBe('60,000 pool (N_L labelled) / 10,000');
  });
});

describe('drmm-settings claims', () => {
  it('one reported claim per configuration with every setting and the DCN, and a figure per configuration', () => {
    const rows: SweepRow[] = [];
    for (const nonnegativity of ['project', 'topDownRelu'] as const) for (const reconWeight of [0, 0.1, 1, 10]) rows.push({ reconWeight, nonnegativity, finalTestError: 0.05 + reconWeight / 100, convergenceEpoch: 3, perEpoch: curve([0.2, 0.05]) });
    rows.push({ reconWeight: null, nonnegativity: null, finalTestError: 0.06, convergenceEpoch: 2, perEpoch: curve([0.2, 0.06]) });
    const units = { shallow: { configuration: 'a', nTrain: 10000, nTest: 10000, rows }, deep: { configuration: 'b', nTrain: 10000, nTest: 10000, rows } };
    const claims = settingsClaims(units, 'full').rows;
    expect(claims.map((c) => c.verdict)).toEqual(['reported', 'reported']);
    expect(Object.keys(claims[0].values)).toEqual([...['project', 'topDownRelu'].flatMap((nn) => [0, 0.1, 1, 10].map((w) => settingKey(w, nn as 'project'))), 'DCN']);
    expect(claims[0].measured).toMatch(/below the DCN: w=0, clip; w=0\.1, clip; w=0, top-down ReLU; w=0\.1, top-down ReLU$/);
    const merged = drmmSettings.merge!([{ unit: 'shallow', findings: { data: 'MNIST.', metrics: units.shallow, claims: [], figures: [] } }, { unit: 'deep', findings: { data: 'MNIST.', metrics: units.deep, claims: [], figures: [] } }], 'full');
    expect(merged.figures.map((f) => f.name)).toEqual(['shallow-sweep', 'deep-sweep']);
    expect((merged.metrics.table as unknown[]).length).toBe(18);
    expect(merged.scale).toEqual({ ours: '10,000 / 10,000', paper: '60,000 / 10,000' });
  });
});
