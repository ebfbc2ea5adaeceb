/**
 * Empirical distributions and KL divergences (LB-bayes eq 8; LB-repr §5.1).
 *
 * The papers estimate the intractable P(F) of a layer by the histogram of its energy values,
 * P̂(B_i) = #{values in [B_i, B_{i+1})}/#values, and compare it with the true prior of the synthetic
 * data, P(X) = N(0, 1024), through KL[P(X) || P̂] over the same bins.
 */
import { erf } from '../tensor/erf.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Histogram {
  edges: number[];
  counts: number[];
  /** counts / number of values: mass outside [edges[0], edges[last]] is not redistributed. */
  probs: number[];
  /** Values below the first or above the last edge. */
  outside: number;
}

function checkEdges(op: string, edges: readonly number[]): void {
  if (edges.length < 2 || edges.some((e, i) => !Number.isFinite(e) || (i > 0 && e <= edges[i - 1]))) {
    throw new Error(`${op}: edges must be at least two finite, strictly increasing numbers`);
  }
}

/** `bins` equal-width edges from low to high. */
export function linearEdges(low: number, high: number, bins: number): number[] {
  if (!(high > low) || !Number.isInteger(bins) || bins < 1) throw new Error(`linearEdges: need low < high and a positive integer bin count, got ${low}, ${high}, ${bins}`);
  return Array.from({ length: bins + 1 }, (_, i) => low + ((high - low) * i) / bins);
}

/** Bins [B_i, B_{i+1}), the last one closed on the right (LB-bayes eq 8). */
export function histogram(values: Tensor | ArrayLike<number>, edges: readonly number[]): Histogram {
  checkEdges('histogram', edges);
  const data = 'data' in values ? values.data : values;
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  let outside = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= edges[0] && v <= edges[bins])) {
      outside++;
      continue;
    }
    // binary search for the last edge ≤ v
    let lo = 0;
    let hi = bins;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid;
      else hi = mid;
    }
    counts[lo]++;
  }
  const n = data.length || 1;
  return { edges: [...edges], counts, probs: counts.map((c) => c / n), outside };
}

/** Exact bin masses of N(mean, variance): Φ(B_{i+1}) − Φ(B_i), Φ(x) = ½(1 + erf((x − μ)/(σ√2))). */
export function gaussianBinProbs(edges: readonly number[], mean: number, variance: number): number[] {
  checkEdges('gaussianBinProbs', edges);
  if (!(variance > 0)) throw new Error(`gaussianBinProbs: variance must be positive, got ${variance}`);
  const cdf = edges.map((e) => 0.5 * (1 + erf((e - mean) / Math.sqrt(2 * variance))));
  return cdf.slice(1).map((c, i) => c - cdf[i]);
}

/**
 * KL[p || q] = Σ_i p_i log(p_i/q_i). Empty bins: a term with p_i = 0 contributes 0 (the limit of
 * p log p); where q_i = 0 < p_i, q_i is floored at `eps` (default 1e-10), so the result is finite
 * but large, and grows as eps shrinks.
 */
export function kl(p: readonly number[], q: readonly number[], { eps = 1e-10 } = {}): number {
  if (p.length !== q.length) throw new Error(`kl: p has ${p.length} bins but q has ${q.length}`);
  if ([...p, ...q].some((v) => !(v >= 0))) throw new Error('kl: probabilities must be non-negative numbers');
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / Math.max(q[i], eps));
  return s;
}

export interface KlToGaussian {
  kl: number;
  /** The Gaussian's bin masses (P(X) of the papers). */
  prior: number[];
  /** The histogram of the values (P̂). */
  empirical: Histogram;
}

/**
 * KL[N(mean, variance) || P̂(values)] over `edges` (default: 64 equal bins over mean ± 4σ), the
 * direction the papers use: the true prior first, the empirical distribution second.
 */
export function klToGaussian(values: Tensor | ArrayLike<number>, opts: { mean: number; variance: number; edges?: readonly number[]; eps?: number }): KlToGaussian {
  const sd = Math.sqrt(opts.variance);
  const edges = opts.edges ?? linearEdges(opts.mean - 4 * sd, opts.mean + 4 * sd, 64);
  const prior = gaussianBinProbs(edges, opts.mean, opts.variance);
  const empirical = histogram(values, edges);
  return { kl: kl(prior, empirical.probs, { eps: opts.eps }), prior, empirical };
}
