import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClaimList, decreasingIn, errorRate, formatQuantity, judge, meanWithSe, mergeSeeds, quantity, untestedInMode, type Claim } from '../../src/experiments/claims.js';

const finite = fc.double({ min: -10, max: 10, noNaN: true });
const positive = fc.double({ min: 1e-3, max: 5, noNaN: true });

describe('claims: verdicts from differences and standard errors', () => {
  it('errorRate gives the binomial SE √(p(1−p)/n)', () => {
    expect(errorRate(0.1, 1000).se).toBeCloseTo(Math.sqrt(0.09 / 1000), 12);
    expect(errorRate(0, 50).se).toBe(0);
    expect(() => errorRate(0.1, 0)).toThrow(/positive integer/);
  });

  it('holds beyond 2 SE, does not hold beyond 2 SE the other way, inconclusive within (property)', () => {
    fc.assert(
      fc.property(finite, finite, positive, positive, (a, b, sa, sb) => {
        const se = Math.hypot(sa, sb);
        const { verdict } = judge({ a: { value: a, se: sa }, b: { value: b, se: sb } }, [{ left: 'a', op: '<', right: 'b' }]);
        const d = b - a;
        if (d > 2 * se) return verdict === 'holds';
        if (d < -2 * se) return verdict === 'does not hold';
        return verdict === 'inconclusive';
      }),
    );
  });

  it('swapping < for > swaps holds and does not hold, and keeps inconclusive (property)', () => {
    const flip = { holds: 'does not hold', 'does not hold': 'holds', inconclusive: 'inconclusive' } as Record<string, string>;
    fc.assert(
      fc.property(finite, finite, positive, (a, b, s) => {
        const values = { a: { value: a, se: s }, b: { value: b, se: s } };
        const lt = judge(values, [{ left: 'a', op: '<', right: 'b' }]).verdict;
        const gt = judge(values, [{ left: 'a', op: '>', right: 'b' }]).verdict;
        return a === b || flip[lt] === gt;
      }),
    );
  });

  it('a margin moves the boundary: a < b + m', () => {
    const values = { a: quantity(1.05), b: quantity(1) };
    expect(judge(values, [{ left: 'a', op: '<', right: 'b' }]).verdict).toBe('does not hold');
    expect(judge(values, [{ left: 'a', op: '<', right: 'b', margin: 0.1 }]).verdict).toBe('holds');
    expect(judge(values, [{ left: 'a', op: '<', right: 'b', margin: 0.1 }]).seKnown).toBe(false);
  });

  it('every comparison must hold; one clear failure fails the claim', () => {
    const v = { f4: errorRate(0.05, 10000), f12: errorRate(0.03, 10000), f20: errorRate(0.031, 10000) };
    expect(judge(v, decreasingIn(['f4', 'f12', 'f20'])).verdict).toBe('inconclusive');
    const w = { ...v, f20: errorRate(0.045, 10000) };
    expect(judge(w, decreasingIn(['f4', 'f12', 'f20'])).verdict).toBe('does not hold');
  });

  it('a comparison naming an absent value is an error, not a silent verdict', () => {
    expect(() => judge({ a: quantity(1) }, [{ left: 'a', op: '<', right: 'c' }])).toThrow(/names 'c'/);
  });

  it('a NaN value makes the claim inconclusive, never holds, also after JSON wrote it as null', () => {
    expect(judge({ a: quantity(NaN), b: quantity(1) }, [{ left: 'a', op: '<', right: 'b' }]).verdict).toBe('inconclusive');
    const readBack = JSON.parse(JSON.stringify({ a: quantity(NaN), b: quantity(1) }));
    expect(readBack.a.value).toBeNull();
    expect(judge(readBack, [{ left: 'a', op: '<', right: 'b' }]).verdict).toBe('inconclusive');
    expect(formatQuantity(readBack.a)).toBe('n/a');
    expect(formatQuantity({ value: 0.5, se: null as unknown as number })).toBe('0.500');
  });

  it('ClaimList: no comparison is reported; tested: false is not tested at this scale', () => {
    const list = new ClaimList('x');
    expect(list.add({ claim: 'c', paperValue: 'p', measured: 'm', values: { a: quantity(1) } }).verdict).toBe('reported');
    expect(list.add({ claim: 'd', paperValue: 'p', measured: 'm', values: { a: quantity(0) }, test: [{ left: 'a', op: '<', right: 1 }], tested: false }).verdict).toBe('not tested at this scale');
    expect(untestedInMode(list.rows, 'tiny').map((c) => c.verdict)).toEqual(['reported', 'not tested at this scale']);
    expect(list.rows.every((c) => c.experiment === 'x' && c.seeds === 1)).toBe(true);
  });
});

describe('claims: merging seeds', () => {
  const claimOf = (a: number, b: number): Claim => new ClaimList('x').add({ claim: 'a < b', paperValue: '', measured: `${a} vs ${b}`, values: { a: quantity(a), b: quantity(b) }, test: [{ left: 'a', op: '<', right: 'b' }] });

  it('means and SE s/√k of each value across seeds', () => {
    const m = mergeSeeds([claimOf(1, 2), claimOf(2, 3), claimOf(3, 4)]);
    expect(m.seeds).toBe(3);
    expect(m.values.a.value).toBeCloseTo(2, 12);
    expect(m.values.a.se).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(meanWithSe([5]).se).toBeUndefined();
  });

  it('pairs the comparison per seed: a consistent small gap holds although the values vary a lot', () => {
    // unpaired, the SE of a − b would be ≈ 0.8; paired, the gaps 0.10, 0.11, 0.09 have SE ≈ 0.006
    const m = mergeSeeds([claimOf(1, 1.1), claimOf(2.5, 2.61), claimOf(0.2, 0.29)]);
    expect(m.verdict).toBe('holds');
    expect(m.seKnown).toBe(true);
    // a gap that changes sign across seeds is inconclusive
    expect(mergeSeeds([claimOf(1, 1.1), claimOf(2, 1.9), claimOf(3, 3.05)]).verdict).toBe('inconclusive');
  });

  it("adds the seeds' own SE (one shared test set) to the spread across seeds: agreeing seeds do not make a gap within the test set's error clear", () => {
    const rates = (a: number, b: number): Claim => new ClaimList('x').add({ claim: 'a < b', paperValue: '', measured: '', values: { a: errorRate(a, 2000), b: errorRate(b, 2000) }, test: [{ left: 'a', op: '<', right: 'b' }] });
    // gaps 0.0040 and 0.0041: across seeds SE 0.00005; each seed's own SE of the gap ≈ 0.0050
    const m = mergeSeeds([rates(0.03, 0.034), rates(0.0301, 0.0342)]);
    expect(m.verdict).toBe('inconclusive');
    const own = Math.hypot(Math.sqrt((0.03 * 0.97) / 2000), Math.sqrt((0.034 * 0.966) / 2000));
    expect(own).toBeGreaterThan(0.004 / 2); // so the gap is within 2 SE of one seed
    // a gap well beyond the test set's error still holds
    expect(mergeSeeds([rates(0.03, 0.06), rates(0.031, 0.062)]).verdict).toBe('holds');
  });

  it("uses each seed's own margin", () => {
    const withMargin = (a: number, b: number, margin: number): Claim => new ClaimList('x').add({ claim: 'a < b + m', paperValue: '', measured: '', values: { a: quantity(a), b: quantity(b) }, test: [{ left: 'a', op: '<', right: 'b', margin }] });
    // gaps a − b − m: −0.1, −0.1, −0.1 with the seeds' own margins; with seed 0's margin for all: −0.1, +0.9, +1.9
    const m = mergeSeeds([withMargin(1, 1, 0.1), withMargin(2, 1, 1.1), withMargin(3, 1, 2.1)]);
    expect(m.verdict).toBe('holds');
  });

  it('one seed is returned as it is', () => {
    const c = claimOf(1, 2);
    expect(mergeSeeds([c])).toBe(c);
  });

  it('formats percentages and numbers with their SE', () => {
    expect(formatQuantity(errorRate(0.0293, 2000))).toBe('2.93 ± 0.38%');
    expect(formatQuantity(quantity(0.5412, 0.02))).toBe('0.541 ± 0.020');
    expect(formatQuantity(quantity(4.8e-7))).toBe('4.8e-7');
  });
});
