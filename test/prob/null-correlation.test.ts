// The i.i.d. yardsticks of LB-hidden §4.1–4.2: the null distribution of sample correlations and
// the randomised-block F test of equal expectations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlationMatrix } from '../../src/prob/correlation.js';
import { equalMeansTest, fMoments } from '../../src/prob/equal-means.js';
import { nullCorrelation, pairsAgainstIndependence } from '../../src/prob/null-correlation.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

describe('nullCorrelation (r² ~ Beta(1/2, (n − 2)/2))', () => {
  it('has the closed forms at small n and √(2/(π(n − 3/2))) for large n', () => {
    expect(nullCorrelation(2)).toMatchObject({ meanAbs: 1, meanSquare: 1, sdSquare: 0 }); // two points: r = ±1
    expect(nullCorrelation(3).meanAbs).toBeCloseTo(2 / Math.PI, 12); // r = cos of a uniform angle
    expect(nullCorrelation(4).meanAbs).toBeCloseTo(0.5, 12); // r uniform on [−1, 1]
    expect(nullCorrelation(784).meanAbs / Math.sqrt(2 / (Math.PI * (784 - 1.5)))).toBeCloseTo(1, 5); // Γ(m − ½)/Γ(m) ≈ (m − ¾)^−½
    expect(() => nullCorrelation(1)).toThrow(/n ≥ 2, got 1/);
  });

  it('matches the mean and spread of |r| and r² of simulated independent normal pairs', () => {
    const rng = new Rng(11);
    for (const n of [5, 20]) {
      const reps = 4000;
      const abs: number[] = [];
      const sq: number[] = [];
      for (let i = 0; i < reps; i++) {
        const r = correlationMatrix(randn([2, n], rng)).data[1];
        abs.push(Math.abs(r));
        sq.push(r * r);
      }
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
      const h0 = nullCorrelation(n);
      expect(Math.abs(mean(abs) - h0.meanAbs)).toBeLessThan(4 * h0.sdAbs / Math.sqrt(reps));
      expect(Math.abs(mean(sq) - h0.meanSquare)).toBeLessThan(4 * h0.sdSquare / Math.sqrt(reps));
      expect(sd(sq) / h0.sdSquare).toBeGreaterThan(0.9);
      expect(sd(sq) / h0.sdSquare).toBeLessThan(1.1);
    }
  });
});

describe('pairsAgainstIndependence', () => {
  it('independent rows land within a few SD of the independence level; rows sharing a factor do not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const p = pairsAgainstIndependence(correlationMatrix(randn([30, 40], rng)), 40);
        expect(p.pairs).toBe(435);
        expect(Math.abs(p.meanSquare - p.independent.meanSquare)).toBeLessThan(5 * p.independent.sdMeanSquare);
        expect(Math.abs(p.meanAbs - p.independent.meanAbs)).toBeLessThan(5 * p.independent.sdMeanAbs);
        // the same rows plus one shared direction: every pair is correlated
        const shared = randn([40], rng).data;
        const x = randn([30, 40], rng);
        x.data.forEach((v, i) => (x.data[i] = v + shared[i % 40]));
        const q = pairsAgainstIndependence(correlationMatrix(x), 40);
        expect(q.meanSquare - q.independent.meanSquare).toBeGreaterThan(10 * q.independent.sdMeanSquare);
      }),
      { numRuns: 20 },
    );
    expect(() => pairsAgainstIndependence(new Tensor(new Float32Array(6), [2, 3]), 5)).toThrow(/square correlation matrix/);
  });
});

describe('equalMeansTest (randomised blocks)', () => {
  const table = (rng: Rng, t: number, k: number, col: (j: number) => number, row: (i: number) => number) =>
    Array.from({ length: t }, (_, i) => Array.from({ length: k }, (_, j) => rng.normal() + col(j) + row(i)));

  it("does not change when each row gets its own constant (a retraining's common factor)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 6, maxLength: 6 }), (seed, shifts) => {
        const base = table(new Rng(seed), 6, 5, () => 0, () => 0);
        const shifted = base.map((row, i) => row.map((v) => v + shifts[i]));
        expect(equalMeansTest(shifted).f).toBeCloseTo(equalMeansTest(base).f, 6);
      }),
    );
  });

  it('averages to the F distribution’s mean under equal expectations, even with a large common factor, and rises with unequal ones', () => {
    const rng = new Rng(5);
    const fs: number[] = [];
    for (let rep = 0; rep < 400; rep++) {
      const factor = Array.from({ length: 8 }, () => 10 * rng.normal());
      fs.push(equalMeansTest(table(rng, 8, 12, () => 0, (i) => factor[i])).f);
    }
    const { nullMean, nullSd } = fMoments(11, 77);
    const mean = fs.reduce((s, v) => s + v, 0) / fs.length;
    expect(Math.abs(mean - nullMean)).toBeLessThan(4 * nullSd / Math.sqrt(fs.length));
    const unequal = equalMeansTest(table(rng, 8, 12, (j) => j / 2, () => 0));
    expect(unequal.df1).toBe(11);
    expect(unequal.df2).toBe(77);
    expect(unequal.f).toBeGreaterThan(unequal.nullMean + 5 * unequal.nullSd);
    expect(unequal.means.length).toBe(12);
  });

  it('fMoments are those of F(d1, d2) and NaN where they do not exist', () => {
    expect(fMoments(10, 20).nullMean).toBeCloseTo(20 / 18, 12);
    expect(fMoments(10, 20).nullSd).toBeCloseTo(Math.sqrt((2 * 400 * 28) / (10 * 324 * 16)), 12);
    expect(fMoments(3, 2).nullMean).toBeNaN();
    expect(fMoments(3, 4).nullSd).toBeNaN();
    expect(() => equalMeansTest([[1, 2]])).toThrow(/at least 2 rows/);
  });
});
