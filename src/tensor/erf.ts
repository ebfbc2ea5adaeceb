/**
 * The error function erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt in double precision, for Gaussian bin masses
 * (Φ(x) = ½(1 + erf(x/√2))). Two expansions, each used where it converges fast and adds only
 * positive terms (so nothing cancels):
 *   |x| < 2.5:  erf(x) = (2/√π) e^{−x²} Σₙ 2ⁿ x^{2n+1} / (1·3·5···(2n+1))      (A&S 7.1.6)
 *   |x| ≥ 2.5:  erfc(x) = (e^{−x²}/√π) · 1/(x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))   (A&S 7.1.14)
 * Relative error ≈ 1e-15 against tabulated values (test/tensor/erf.test.ts).
 */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const CONTINUED_FRACTION_TERMS = 60;

/** erfc(x) for x ≥ 2.5 by the continued fraction, evaluated from the bottom up. */
function erfcTail(x: number): number {
  let f = x;
  for (let n = CONTINUED_FRACTION_TERMS; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 2.5) return Math.sign(x) * (1 - erfcTail(ax));
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) = 1 − erf(x), without the cancellation for large x. */
export function erfc(x: number): number {
  return x >= 2.5 ? erfcTail(x) : 1 - erf(x);
}
