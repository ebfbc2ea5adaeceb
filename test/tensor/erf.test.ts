// erf in double precision: tabulated values (A&S Table 7.1 and higher-precision references), odd
// symmetry, and its derivative (2/√π)e^{−x²} by central differences on both sides of the switch
// between the series and the continued fraction at |x| = 2.5.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erf, erfc } from '../../src/tensor/erf.js';

const TABLE: [number, number][] = [
  [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
  [1.5, 0.9661051464753108], [2, 0.9953222650189527], [2.5, 0.999593047982555], [3, 0.9999779095030014],
];
const ERFC: [number, number][] = [[3, 2.209049699858544e-5], [4, 1.541725790028002e-8], [6, 2.151973671249891e-17]];

describe('erf', () => {
  it('matches tabulated values to 1e-15', () => {
    for (const [x, v] of TABLE) {
      expect(Math.abs(erf(x) - v)).toBeLessThanOrEqual(1e-15);
      expect(Math.abs(erf(-x) + v)).toBeLessThanOrEqual(1e-15);
    }
    for (const [x, v] of ERFC) expect(Math.abs(erfc(x) - v) / v).toBeLessThanOrEqual(1e-13);
  });

  it('is odd, bounded and has derivative (2/√π)e^{−x²}', () => {
    fc.assert(fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
      expect(erf(-x)).toBe(-erf(x));
      expect(Math.abs(erf(x))).toBeLessThanOrEqual(1);
      const h = 1e-5;
      const numeric = (erf(x + h) - erf(x - h)) / (2 * h);
      expect(Math.abs(numeric - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x))).toBeLessThan(1e-8);
    }));
  });

  it('is continuous where the two expansions meet', () => {
    expect(Math.abs(erf(2.5 - 1e-12) - erf(2.5))).toBeLessThan(1e-14);
  });

  it('keeps NaN and saturates at ±∞', () => {
    expect(erf(NaN)).toBeNaN();
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
  });
});
