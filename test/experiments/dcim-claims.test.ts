// How the DCIM experiments decide their claims: the per-image reverse loss they evaluate (it must
// be the trained objective's term), the paired accuracy difference, the "learned enough" gate of
// quick runs, eq 22's sampler option, and both merges on synthetic unit findings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanWithSe, type Claim } from '../../src/experiments/claims.js';
import { dcimCnn } from '../../src/experiments/dcim-cnn.js';
import {
  classSamples,
  evaluateDcim,
  firstPerClass,
  learnedEnough,
  pairedAccuracyDifference,
  reverseLossPerImage,
  trainDcim,
  withinClassSpreadPerClass,
  type DcimRunSummary,
  type SampleSummary,
} from '../../src/experiments/dcim-common.js';
import { dcimDense } from '../../src/experiments/dcim-dense.js';
import type { ExperimentContext, ExperimentFindings, Mode } from '../../src/experiments/types.js';
import { DCIM } from '../../src/prob/dcim/model.js';
import { oneHot, Rng, Tensor } from '../../src/index.js';

/** A small dense DCIM with weights large enough that x^{d−1}'s draws change the reverse loss. */
function strongModel(seed: number): DCIM {
  const model = new DCIM([784, 12, 8, 10], { rng: new Rng(seed) });
  for (const p of model.parameters()) p.data.forEach((v, i) => (p.data[i] = 6 * v));
  return model;
}

const digits = (n: number, seed: number) => {
  const rng = new Rng(seed);
  return {
    x: new Tensor(Float32Array.from({ length: n * 784 }, () => +(rng.uniform() < 0.3)), [n, 784]),
    y: new Tensor(Float32Array.from({ length: n }, (_, i) => i % 10), [n]),
  };
};

describe('reverseLossPerImage', () => {
  it("averages to the engine's reverse term per pixel: eq 21, and eq 22 with either sampler for the same Rng", () => {
    const model = strongModel(1);
    const { x, y } = digits(16, 2);
    const xd = oneHot(y, 10);
    const mean = (t: Tensor) => t.data.reduce((s, v) => s + v, 0) / t.size;
    expect(mean(reverseLossPerImage(model, 'eq21', x, xd, new Rng(3)))).toBeCloseTo(model.bidirectionalLoss(x, xd).reverseLoss.item() / 784, 6);
    for (const sampler of ['chain', 'approximation'] as const) {
      const ours = mean(reverseLossPerImage(model, 'eq22', x, xd, new Rng(4), sampler));
      expect(ours).toBeCloseTo(model.sampledReverseLoss(x, xd, new Rng(4), { sampler }).reverseLoss.item() / 784, 6);
    }
    // the two samplers draw differently, so the comparison above can tell them apart
    expect(mean(reverseLossPerImage(model, 'eq22', x, xd, new Rng(4), 'chain'))).not.toBeCloseTo(mean(reverseLossPerImage(model, 'eq22', x, xd, new Rng(4), 'approximation')), 4);
  });

  it('evaluateDcim lists the misclassified digits and gives the reverse loss with its SE over the images', () => {
    const model = strongModel(5);
    const { x, y } = digits(30, 6);
    const e = evaluateDcim(model, 'eq21', x, y, new Rng(7), { batchSize: 7 });
    const predicted = model.forward(x).argmax(-1).data;
    expect(e.errors).toEqual([...y.data].flatMap((c, i) => (predicted[i] === c ? [] : [i])));
    expect(e.accuracy).toBeCloseTo(1 - e.errors.length / 30, 12);
    const perImage = [...reverseLossPerImage(model, 'eq21', x, oneHot(y, 10), new Rng(0)).data];
    expect(e.reverseLoss!.value).toBeCloseTo(meanWithSe(perImage).value, 5);
    expect(e.reverseLoss!.se).toBeCloseTo(meanWithSe(perImage).se!, 5);
  });
});

describe('trainDcim', () => {
  it("passes eq 22's sampler to the objective (chain and approximation train to different weights)", () => {
    const { x, y } = digits(24, 8);
    const data = { xTrain: x, yTrain: y, xTest: x, yTest: y };
    const trained = (sampler: 'chain' | 'approximation') => {
      const ctx: ExperimentContext = { mode: 'tiny', seed: 1, rng: new Rng(1), report: () => {} };
      const model = strongModel(9);
      trainDcim(ctx, 'sampler', model, data, { objective: 'eq22', epochs: 1, lr: 0.01, batchSize: 8, sampler });
      return model.parameters().flatMap((p) => [...p.data]);
    };
    const [chain, approximation] = [trained('chain'), trained('approximation')];
    expect(chain).toEqual(trained('chain')); // deterministic given the seed
    expect(chain.some((v, i) => Math.abs(v - approximation[i]) > 1e-4)).toBe(true);
  });
});

describe('pairedAccuracyDifference', () => {
  it('is the mean of the per-digit differences [B right] − [A right], with their population SE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const rng = new Rng(seed);
        const wrongA = Array.from({ length: n }, () => rng.uniform() < 0.3);
        const wrongB = Array.from({ length: n }, () => rng.uniform() < 0.3);
        const indices = (w: boolean[]) => w.flatMap((v, i) => (v ? [i] : []));
        const q = pairedAccuracyDifference(indices(wrongA), indices(wrongB), n);
        const d = wrongA.map((a, i) => +a - +wrongB[i]); // (B right) − (A right)
        const mean = d.reduce((s, v) => s + v, 0) / n;
        const variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
        expect(q.value).toBeCloseTo(mean, 12);
        expect(q.se).toBeCloseTo(Math.sqrt(variance / n), 12);
      }),
      { numRuns: 100 },
    );
    expect(pairedAccuracyDifference([1, 2, 3], [1, 2, 3], 100)).toEqual({ value: 0, se: 0, unit: 'percent' });
  });
});

describe('learnedEnough', () => {
  const refs = { meanDigit: 0.26, classMeanDigit: 0.22 };
  it('needs the classifier halfway from chance to perfect and q a quarter of the way from the mean digit to the class means', () => {
    expect(learnedEnough({ accuracy: 0.55, reverseLoss: 0.25 }, refs)).toEqual({ forward: true, reverse: true });
    expect(learnedEnough({ accuracy: 0.54, reverseLoss: 0.2501 }, refs)).toEqual({ forward: false, reverse: false });
    expect(learnedEnough({ accuracy: 0.99 }, refs)).toEqual({ forward: true, reverse: false });
  });
});

describe('DCIM samples', () => {
  it('classSamples draws class by class, class-major; firstPerClass keeps the first k of each', () => {
    const model = strongModel(10);
    const s = classSamples(model, new Rng(11), 'oneLayerThenMean', 3);
    expect(s.classes).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
    expect(s.images.shape).toEqual([30, 784]);
    const two = firstPerClass(s, 2);
    expect(two.classes).toEqual(Array.from({ length: 20 }, (_, i) => Math.floor(i / 2)));
    expect([...two.images.data.subarray(2 * 784, 3 * 784)]).toEqual([...s.images.data.subarray(3 * 784, 4 * 784)]); // class 1's first
  });

  it('withinClassSpreadPerClass gives one spread per class, in class order', () => {
    const images = new Tensor(Float32Array.from([0, 1, 0, 1, 1, 0, 0, 1]), [4, 2]);
    const spreads = withinClassSpreadPerClass({ images, classes: [1, 1, 0, 0], predicted: [1, 1, 0, 0], probability: [1, 1, 1, 1] });
    expect(spreads[0]).toBeCloseTo(0.5, 6); // class 0: rows [1, 0] and [0, 1]
    expect(spreads[1]).toBe(0); // class 1: two equal rows
  });
});

// ---- merges on synthetic unit findings ----

const N = 10000;
const REFS = { meanDigit: 0.26, meanDigitSe: 0.001, classMeanDigit: 0.22, classMeanDigitSe: 0.001 };
const range = (k: number) => Array.from({ length: k }, (_, i) => i);

function sampleSummary(agreement: number, spread: number): SampleSummary {
  return { count: 1000, agreement, meanProbability: 0.9, spreadPerClass: range(10).map((c) => spread + 0.001 * (c - 4.5)) };
}

function run(objective: DcimRunSummary['objective'], wrong: number, reverse: number | null, { agreement = 0.8, spread = 0.05, n = N } = {}): DcimRunSummary {
  return {
    label: objective,
    objective,
    reverseWeight: objective === 'discriminative' ? 0 : 1 / 784,
    trainSize: 60000,
    epochs: 2,
    log: [1, 2].map((epoch) => ({ epoch, loss: 1, trainAccuracy: 0.99, valAccuracy: 0.98, seconds: 1, ...(reverse === null ? {} : { trainReverseLoss: reverse, valReverseLoss: reverse + 0.01 * (2 - epoch) + 0.01, valReverseLossSe: 0.001 }) })),
    validation: { n, accuracy: 1 - wrong / n, errors: range(wrong), ...(reverse === null ? {} : { reverseLoss: { value: reverse, se: 0.001, unit: 'number' as const } }) },
    ...(objective === 'eq22' ? { reverseLossGivenClass: { value: 0.23, se: 0.001, unit: 'number' as const } } : {}),
    samples: reverse === null ? {} : { full: sampleSummary(agreement, spread), oneLayerThenMean: sampleSummary(agreement, spread) },
  };
}

const unitFindings = (metrics: Record<string, unknown>): ExperimentFindings => ({ data: 'synthetic', scale: { ours: '60,000 / 10,000', paper: '60,000 / 10,000' }, metrics: { setup: {}, references: REFS, ...metrics }, claims: [], figures: [] });
const verdict = (claims: Claim[], text: string) => {
  const c = claims.find((x) => x.claim === text);
  if (!c) throw new Error(`no claim '${text}' in ${claims.map((x) => x.claim).join(' | ')}`);
  return c.verdict;
};

describe('dcim-dense merge', () => {
  const merge = (perPixel: DcimRunSummary, perImage: DcimRunSummary, mode: Mode = 'full') =>
    dcimDense.merge!(
      [
        { unit: 'discriminative', findings: unitFindings({ run: run('discriminative', 200, null) }) },
        { unit: 'per-pixel', findings: unitFindings({ run: perPixel }) },
        { unit: 'per-image', findings: unitFindings({ run: perImage }) },
        { unit: 'weight-10', findings: unitFindings({ run: run('eq21', 220, 0.22) }) },
        { unit: 'weight-100', findings: unitFindings({ run: run('eq21', 230, 0.22) }) },
      ],
      mode,
    ).claims;
  const drop = (where: string) => `Generative learning (eq 21, reverse term per ${where}) costs an insignificant validation accuracy drop (≤ 1 point)`;

  it('judges the accuracy drop against 1 point with the paired SE', () => {
    // 98.0 → 97.5 %: 0.5 points, paired SE 0.07 → holds; 98.0 → 96.0 %: 2 points → does not hold
    const claims = merge(run('eq21', 250, 0.22), run('eq21', 400, 0.22));
    expect(verdict(claims, drop('pixel'))).toBe('holds');
    expect(verdict(claims, drop('image'))).toBe('does not hold');
    expect(verdict(claims, 'Sensitivity to the reverse-term weight w (eq 21; w = 1/784, 10/784, 100/784, 1 per image): the accuracy drop of generative learning stays insignificant (≤ 1 point) at every weight')).toBe('does not hold');
    expect(verdict(claims, 'Training accuracy: discriminative, generative per pixel, generative per image')).toBe('reported');
  });

  it("marks the claims of a run whose q has not left the mean digit 'not tested at this scale'", () => {
    const claims = merge(run('eq21', 250, 0.265, { agreement: 0.1 }), run('eq21', 250, 0.22));
    expect(verdict(claims, drop('pixel'))).toBe('not tested at this scale');
    expect(verdict(claims, 'Samples of q (reverse term per pixel; recursive sampling) are mostly (> 50 %) classified as the class they were sampled from')).toBe('not tested at this scale');
    expect(verdict(claims, drop('image'))).toBe('holds');
    expect(verdict(claims, 'Samples of q (reverse term per image; recursive sampling) are mostly (> 50 %) classified as the class they were sampled from')).toBe('holds');
    // the claim that q learns is itself the test of q: judged, not gated on q
    expect(verdict(claims, "The reverse model learns (reverse term per pixel): its validation loss falls over training and ends below the mean digit's")).toBe('does not hold');
  });
});

describe('dcim-cnn merge', () => {
  const sweep = (reverse: number) => [0, 1, 2, 3].map(() => run('eq21', 100, reverse, { n: 2000 }));
  const merge = (eq21: DcimRunSummary, eq22: DcimRunSummary, chain: DcimRunSummary, mode: Mode = 'full', sweepReverse = [0.22, 0.15]) =>
    dcimCnn.merge!(
      [
        { unit: 'eq21', findings: unitFindings({ run: eq21 }) },
        { unit: 'eq22', findings: unitFindings({ run: eq22 }) },
        { unit: 'eq22-chain', findings: unitFindings({ run: chain }) },
        { unit: 'weights-eq21', findings: unitFindings({ sweep: sweep(sweepReverse[0]) }) },
        { unit: 'weights-eq22', findings: unitFindings({ sweep: sweep(sweepReverse[1]) }) },
      ],
      mode,
    ).claims;
  const lower = 'Objective (22) gives a lower reverse loss than (21)';
  const styles = "Samples of the (22) model show several writing styles per class, those of the (21) model one mean shape: more spread across a class's samples for (22), most of them recognised as their class";
  const chainPrefix = 'Sensitivity (eq 22 drawn by the exact ancestral chain instead of approximation (2)): ';

  it('decides the three comparisons of §3.2 for each sampler', () => {
    const claims = merge(run('eq21', 110, 0.22, { spread: 0.07 }), run('eq22', 100, 0.15, { spread: 0.09, agreement: 0.7 }), run('eq22', 300, 0.23, { spread: 0.05, agreement: 0.2 }));
    expect(verdict(claims, lower)).toBe('holds');
    expect(verdict(claims, 'Objective (22) costs no accuracy against (21)')).toBe('holds');
    expect(verdict(claims, styles)).toBe('holds');
    expect(verdict(claims, chainPrefix + lower)).toBe('does not hold');
    expect(verdict(claims, chainPrefix + 'Objective (22) costs no accuracy against (21)')).toBe('does not hold');
    expect(verdict(claims, chainPrefix + styles)).toBe('does not hold');
    expect(verdict(claims, 'Validation accuracy with objective (21)')).toBe('reported');
  });

  it('a spread larger for (22) does not make its samples writing styles unless most are recognised as their class', () => {
    const claims = merge(run('eq21', 110, 0.22, { spread: 0.07 }), run('eq22', 100, 0.15, { spread: 0.09, agreement: 0.18 }), run('eq22', 100, 0.15));
    expect(verdict(claims, styles)).toBe('does not hold');
  });

  it("marks every comparison 'not tested at this scale' when the reverse models stay at the mean digit (the quick run)", () => {
    const claims = merge(run('eq21', 1640, 0.262, { agreement: 0.1 }), run('eq22', 1640, 0.261, { agreement: 0.1 }), run('eq22', 1640, 0.262, { agreement: 0.1 }), 'quick', [0.262, 0.261]);
    for (const c of claims) expect(c.verdict === 'reported' || c.verdict === 'not tested at this scale', c.claim).toBe(true);
    expect(claims.filter((c) => c.verdict === 'not tested at this scale').length).toBe(8);
    // the sweep's own gate: learned there, judged there
    expect(merge(run('eq21', 1640, 0.262), run('eq22', 1640, 0.261), run('eq22', 1640, 0.262), 'quick').filter((c) => c.verdict !== 'not tested at this scale' && c.test.length > 0).length).toBe(2);
  });
});

describe('dcim-dense units', () => {
  it('a unit run alone equals the same unit inside a whole run (each unit starts from a fresh Rng of the seed)', () => {
    const ctx = (unit?: string): ExperimentContext => ({ mode: 'tiny', seed: 3, rng: new Rng(3), report: () => {}, ...(unit ? { unit } : {}) });
    const strip = (r: DcimRunSummary) => ({ ...r, log: r.log.map(({ seconds: _s, ...rest }) => rest) });
    const alone = (dcimDense.run(ctx('weight-10')) as ExperimentFindings).metrics.run as DcimRunSummary;
    const whole = (dcimDense.run(ctx()) as ExperimentFindings).metrics.runs as Record<string, DcimRunSummary>;
    expect(strip(alone)).toEqual(strip(whole['weight-10']));
  }, 60_000);
});
