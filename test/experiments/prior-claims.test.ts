// The claims the CNN experiments share: "P̂(F1) is close to P(X)" and the comparisons in words.
import { describe, expect, it } from 'vitest';
import { ClaimList, errorRate, meanWithSe, quantity } from '../../src/experiments/claims.js';
import { describeComparisons } from '../../src/experiments/comparison-text.js';
import { addCloseToPriorClaims, CLOSE_FACTOR, type CloseToPrior } from '../../src/experiments/prior-claims.js';
import { CHANCE_ERROR, CHANCE_TOLERANCE } from '../../src/experiments/random-labels.js';

const q = (value: number, se: number) => ({ value, se, unit: 'number' as const });

function close(klF1: number, klX: number, se = 0.003): CloseToPrior {
  return {
    subject: 'CNN1',
    paperValue: '0.83 vs 0.62',
    average: { '256': { raw: q(10, se), scaled: q(klF1, se) }, '64': { raw: q(9, se), scaled: q(klF1 / 4, se) } },
    imageKl: { '256': { mean: q(klX, se), p1: 0.3, p5: 0.35, p50: 0.46, p95: 0.6, p99: 0.66 }, '64': { mean: q(klX / 4, se), p1: 0.04, p5: 0.06, p50: 0.1, p95: 0.16, p99: 0.2 } },
    testImage: { index: 3, klX: { '256': { raw: 0.5, scaled: 0.5 }, '64': { raw: 0.1, scaled: 0.1 } }, klF1: { '256': { raw: 9, scaled: 0.7 }, '64': { raw: 9, scaled: 0.2 } } },
  };
}

describe('P̂(F1) is close to P(X)', () => {
  it('holds when the test-set average KL(F1) is below twice the images’ KL(x) by more than 2 SE, and fails above it', () => {
    expect(CLOSE_FACTOR).toBe(2);
    const claims = new ClaimList('t');
    addCloseToPriorClaims(claims, close(0.6, 0.47), 256); // 0.6 < 0.94
    addCloseToPriorClaims(claims, close(1.2, 0.47), 256); // 1.2 > 0.94
    addCloseToPriorClaims(claims, close(0.941, 0.47), 256); // within 2 SE of 0.94
    expect(claims.rows.map((c) => [c.claim.endsWith('(scale-matched KL)') ? 'scaled' : 'raw', c.verdict])).toEqual([
      ['scaled', 'holds'],
      ['raw', 'does not hold'],
      ['scaled', 'does not hold'],
      ['raw', 'does not hold'],
      ['scaled', 'inconclusive'],
      ['raw', 'does not hold'],
    ]);
    // the doubled KL(x) carries a doubled SE
    expect(claims.rows[0].values['2 × KL(x)']).toEqual({ value: 0.94, se: 0.006, unit: 'number' });
    expect(claims.rows[0].measured).toMatch(/the test image #3: KL\(F1\) 0\.700 vs KL\(x\) 0\.500, ratio 1\.40 \(one image, no SE\)/);
  });

  it('tags the sensitivity bins in the claim text and leaves the main bins untagged', () => {
    const claims = new ClaimList('t');
    addCloseToPriorClaims(claims, close(0.6, 0.47), 256);
    addCloseToPriorClaims(claims, close(0.6, 0.47), 64);
    expect(claims.rows.map((c) => c.claim.startsWith('64 bins (sensitivity): '))).toEqual([false, false, true, true]);
  });
});

describe('describeComparisons', () => {
  it('gives each difference with its SE and its size in SEs', () => {
    const values = { a: errorRate(0.0318, 10000), b: errorRate(0.0293, 10000), c: meanWithSe([1, 2, 3]), r: quantity(0.4) };
    expect(describeComparisons(values, [{ left: 'a', op: '<', right: 'b' }])).toBe('a − b = 0.25 ± 0.24% (1.0 SE)');
    expect(describeComparisons(values, [{ left: 'r', op: '>', right: 0 }])).toBe('r = 0.400 (no SE)');
    expect(describeComparisons(values, [{ left: 'c', op: '<', right: 'c', margin: 0.123456 }])).toBe('c − c − 0.123 = -0.123 ± 0.816 (0.2 SE)');
    expect(() => describeComparisons(values, [{ left: 'x', op: '<', right: 0 }])).toThrow(/'x' is not among the values/);
  });
});

describe('random labels', () => {
  it('calls 87–93% test error "at chance" (labels independent of the images give 90%)', () => {
    const claims = new ClaimList('t');
    for (const rate of [0.899, 0.8, 0.95]) {
      claims.add({ claim: 'c', paperValue: '', measured: '', values: { e: errorRate(rate, 10000) }, test: [{ left: 'e', op: '>', right: CHANCE_ERROR - CHANCE_TOLERANCE }, { left: 'e', op: '<', right: CHANCE_ERROR + CHANCE_TOLERANCE }] });
    }
    expect(claims.rows.map((c) => c.verdict)).toEqual(['holds', 'does not hold', 'does not hold']);
  });
});
