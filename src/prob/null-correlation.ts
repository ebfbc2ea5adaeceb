/**
 * What sample correlations look like when the i.i.d. hypothesis of LB-hidden §4.1–4.2 holds, as
 * the yardstick for the papers' "|r| close to zero" / "far from zero" (eq 2, 22, 48).
 *
 * For n pairs of independent normal variables, r² ~ Beta(1/2, (n − 2)/2) (Fisher 1915), so
 *   E r² = 1/(n − 1),   Var r² = 2(n − 2) / ((n − 1)²(n + 1)),
 *   E|r| = Γ((n − 1)/2) / (√π Γ(n/2)),   Var|r| = 1/(n − 1) − (E|r|)².
 * Averaged over the P = K(K − 1)/2 pairs of K independent rows, the r's are pairwise independent
 * (given row a, r(a, b) has the same distribution whatever a is, by the rotational symmetry of
 * the centred row b), so the mean over pairs has variance Var/P exactly, although the pairs are
 * not jointly independent.
 */
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export interface NullCorrelation {
  /** E|r| and the standard deviation of |r| for one pair. */
  meanAbs: number;
  sdAbs: number;
  /** E r² and the standard deviation of r² for one pair. */
  meanSquare: number;
  sdSquare: number;
}

/** The distribution of |r| and r² of n ≥ 2 pairs of independent normal variables. */
export function nullCorrelation(n: number): NullCorrelation {
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`nullCorrelation: need an integer number of samples n ≥ 2, got ${n}`);
  // R(n) = Γ((n − 1)/2)/Γ(n/2) by R(n + 2) = R(n)(n − 1)/n from R(2) = √π, R(3) = 2/√π (no log-gamma needed)
  let ratio = n % 2 === 0 ? Math.sqrt(Math.PI) : 2 / Math.sqrt(Math.PI);
  for (let m = n % 2 === 0 ? 2 : 3; m < n; m += 2) ratio *= (m - 1) / m;
  const meanAbs = ratio / Math.sqrt(Math.PI);
  const meanSquare = 1 / (n - 1);
  return {
    meanAbs,
    sdAbs: Math.sqrt(Math.max(meanSquare - meanAbs * meanAbs, 0)),
    meanSquare,
    sdSquare: Math.sqrt((2 * (n - 2)) / ((n - 1) ** 2 * (n + 1))),
  };
}

export interface PairsAgainstIndependence {
  pairs: number;
  /** Mean |r| and mean r² over the off-diagonal pairs of the matrix. */
  meanAbs: number;
  meanSquare: number;
  /** The same means if the rows were independent normal vectors of n entries: expectation and standard deviation. */
  independent: { meanAbs: number; sdMeanAbs: number; meanSquare: number; sdMeanSquare: number };
}

/** A correlation matrix of K rows of n samples each, beside what K independent rows would give. */
export function pairsAgainstIndependence(r: Tensor, n: number): PairsAgainstIndependence {
  const k = r.shape[0];
  if (r.ndim !== 2 || r.shape[1] !== k || k < 2) throw new Error(`pairsAgainstIndependence: expected a square correlation matrix of size ≥ 2, got ${fmt(r.shape)}`);
  let abs = 0;
  let square = 0;
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const v = r.data[a * k + b];
      abs += Math.abs(v);
      square += v * v;
    }
  }
  const pairs = (k * (k - 1)) / 2;
  const h0 = nullCorrelation(n);
  return {
    pairs,
    meanAbs: abs / pairs,
    meanSquare: square / pairs,
    independent: { meanAbs: h0.meanAbs, sdMeanAbs: h0.sdAbs / Math.sqrt(pairs), meanSquare: h0.meanSquare, sdMeanSquare: h0.sdSquare / Math.sqrt(pairs) },
  };
}
