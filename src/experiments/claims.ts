/**
 * Claims with uncertainty. A claim names the quantities it measured (each with its standard error
 * when the run itself gives one, e.g. the binomial SE of an error rate on n test examples) and the
 * comparisons between them that the paper's sentence asserts. Its verdict is then a statement about
 * the difference, not about two point estimates:
 *
 *   holds          every comparison goes the paper's way by more than 2 SE of the difference;
 *   does not hold  some comparison goes the other way by more than 2 SE;
 *   inconclusive   otherwise (some difference lies within 2 SE);
 *   not tested at this scale   the run was too small to test it (tiny mode; quick modes that say so);
 *   reported       nothing to decide: the paper's number beside ours.
 *
 * A comparison whose quantities have no SE (one seed of a value with no sampling formula, or an
 * identity checked against a tolerance) is decided on its direction alone; `seKnown` says so.
 * Across seeds (`mergeSeeds`), each comparison's difference is taken per seed and its mean and
 * standard error across seeds decide (a paired test: the models of one seed share data and order).
 */
import type { Mode } from './types.js';

/** One measured value; `se` when the run gives a sampling error for it. */
export interface Quantity {
  value: number;
  se?: number;
  /** How to print it: as a percentage (error rates, accuracies) or as a number. */
  unit?: 'percent' | 'number';
}

/** left op right + margin, where left and right name quantities of the claim (or right is a constant). */
export interface Comparison {
  left: string;
  op: '<' | '>';
  right: string | number;
  /** Added to the right side: `a < b + 0.01` is { left: 'a', op: '<', right: 'b', margin: 0.01 }. */
  margin?: number;
}

export type Verdict = 'holds' | 'does not hold' | 'inconclusive' | 'not tested at this scale' | 'reported';
export const VERDICTS: readonly Verdict[] = ['holds', 'does not hold', 'inconclusive', 'not tested at this scale', 'reported'];

/** How many of `claims` got each verdict (every verdict present, zeros included, in VERDICTS' order). */
export function countVerdicts(claims: readonly Pick<Claim, 'verdict'>[]): Record<Verdict, number> {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const c of claims) counts[c.verdict] += 1;
  return counts;
}

export interface Claim {
  experiment: string;
  claim: string;
  paperValue: string;
  /** What this run measured, in words (per-run detail; `values` carries the numbers). */
  measured: string;
  values: Record<string, Quantity>;
  /** The comparisons the claim asserts, all of which must hold (empty: a reported value). */
  test: Comparison[];
  verdict: Verdict;
  /** Whether every comparison's difference had a standard error (false: decided on direction). */
  seKnown: boolean;
  /** Number of seeds behind `values` (means across seeds when > 1). */
  seeds: number;
  /** The direction of the point estimates: every comparison true (null: nothing to compare). */
  holds: boolean | null;
  note?: string;
}

/** An error rate measured on n examples, with its binomial standard error √(p(1−p)/n). */
export function errorRate(rate: number, n: number): Quantity {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`errorRate: n must be a positive integer, got ${n}`);
  return { value: rate, se: Math.sqrt(Math.max(rate * (1 - rate), 0) / n), unit: 'percent' };
}

/** A value with no sampling error of its own (a KL, a correlation, an epoch count). */
export function quantity(value: number, se?: number): Quantity {
  return se === undefined ? { value, unit: 'number' } : { value, se, unit: 'number' };
}

/** The mean of several values and its standard error s/√n (n ≥ 2). */
export function meanWithSe(values: readonly number[]): Quantity {
  const n = values.length;
  if (n === 0) throw new Error('meanWithSe: no values');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { value: mean, unit: 'number' };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { value: mean, se: Math.sqrt(variance / n), unit: 'number' };
}

/** Comparisons saying that the named quantities strictly decrease in the order given. */
export function decreasingIn(keys: readonly string[]): Comparison[] {
  return keys.slice(1).map((k, i) => ({ left: k, op: '<', right: keys[i] }));
}

/** Comparisons saying that the named quantities strictly increase in the order given. */
export function increasingIn(keys: readonly string[]): Comparison[] {
  return keys.slice(1).map((k, i) => ({ left: k, op: '>', right: keys[i] }));
}

/** A value read back from JSON, where NaN and ±∞ were written as null, is NaN again. */
const numberOrNaN = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** The signed margin by which a comparison holds (> 0 holds), and its SE when known. */
function difference(c: Comparison, values: Record<string, Quantity>): { d: number; se: number | undefined } {
  const side = (k: string | number): Quantity => {
    if (typeof k === 'number') return { value: k, se: 0 };
    const q = values[k];
    if (!q) throw new Error(`claim: the comparison names '${k}', which is not among its values (${Object.keys(values).join(', ')})`);
    return { value: numberOrNaN(q.value), se: q.se === undefined ? undefined : numberOrNaN(q.se) };
  };
  const l = side(c.left);
  const r = side(c.right);
  const gap = l.value - r.value - (c.margin ?? 0);
  const se = l.se === undefined || r.se === undefined ? undefined : Math.hypot(l.se, r.se);
  return { d: c.op === '<' ? -gap : gap, se };
}

/** Combines per-comparison outcomes: any clear failure fails; any unclear one is inconclusive. */
function combine(outcomes: { d: number; se: number | undefined }[]): { verdict: Verdict; seKnown: boolean; holds: boolean | null } {
  if (outcomes.length === 0) return { verdict: 'reported', seKnown: true, holds: null };
  const seKnown = outcomes.every((o) => o.se !== undefined);
  const holds = outcomes.every((o) => o.d > 0);
  if (outcomes.some((o) => Number.isNaN(o.d))) return { verdict: 'inconclusive', seKnown, holds: false };
  const clear = (o: { d: number; se: number | undefined }) => Math.abs(o.d) > 2 * (o.se ?? 0);
  if (outcomes.some((o) => o.d < 0 && clear(o))) return { verdict: 'does not hold', seKnown, holds };
  if (outcomes.every((o) => o.d > 0 && clear(o))) return { verdict: 'holds', seKnown, holds };
  return { verdict: 'inconclusive', seKnown, holds };
}

/** Decides a claim from one run's values. */
export function judge(values: Record<string, Quantity>, test: readonly Comparison[]): { verdict: Verdict; seKnown: boolean; holds: boolean | null } {
  return combine(test.map((c) => difference(c, values)));
}

export interface ClaimSpec {
  claim: string;
  paperValue: string;
  measured: string;
  values?: Record<string, Quantity>;
  test?: Comparison[];
  note?: string;
  /** false when this run is too small to test the claim (its verdict then says so). */
  tested?: boolean;
}

/** The claims of one experiment: `claims.add({...})` judges and records one. */
export class ClaimList {
  readonly rows: Claim[] = [];
  constructor(readonly experiment: string) {}

  add(spec: ClaimSpec): Claim {
    const values = spec.values ?? {};
    const test = spec.test ?? [];
    const judged = judge(values, test);
    const claim: Claim = {
      experiment: this.experiment,
      claim: spec.claim,
      paperValue: spec.paperValue,
      measured: spec.measured,
      values,
      test,
      ...judged,
      verdict: spec.tested === false && test.length > 0 ? 'not tested at this scale' : judged.verdict,
      seeds: 1,
      ...(spec.note === undefined ? {} : { note: spec.note }),
    };
    this.rows.push(claim);
    return claim;
  }
}

/** Tiny mode checks that an experiment runs; none of its claims is tested at that scale. */
export function untestedInMode(claims: readonly Claim[], mode: Mode): Claim[] {
  return mode === 'tiny' ? claims.map((c) => (c.test.length > 0 ? { ...c, verdict: 'not tested at this scale' } : c)) : [...claims];
}

/**
 * One claim across seeds: each value becomes its mean ± SE over the seeds, and the verdict comes
 * from the per-seed differences of each comparison (paired): their mean, and their SE across seeds
 * combined with the seeds' mean own SE (the test set's sampling error, shared by the seeds). With
 * one seed the claim is returned as it is. Claims are matched by their `claim` text.
 */
export function mergeSeeds(perSeed: readonly Claim[]): Claim {
  if (perSeed.length === 0) throw new Error('mergeSeeds: no claims');
  const [first] = perSeed;
  if (perSeed.length === 1) return first;
  const keys = Object.keys(first.values);
  const values: Record<string, Quantity> = Object.fromEntries(keys.map((k) => [k, { ...meanWithSe(perSeed.map((c) => numberOrNaN(c.values[k]?.value))), unit: first.values[k].unit }]));
  const outcomes = first.test.map((t, i) => {
    // each seed's own comparison: a margin may come from that run (e.g. 2 SE of its final error)
    const perSeedOutcomes = perSeed.map((c) => difference(c.test[i] ?? t, c.values));
    const m = meanWithSe(perSeedOutcomes.map((o) => o.d));
    // The seeds share one test set, so its sampling error (each seed's own SE) does not average
    // out across seeds: it adds to the spread of the seeds' differences, which two or three seeds
    // that happen to agree can put near zero.
    const ownSes = perSeedOutcomes.map((o) => o.se).filter((se): se is number => se !== undefined);
    const own = ownSes.length === perSeed.length ? meanWithSe(ownSes).value : 0;
    return { d: m.value, se: Math.hypot(m.se!, own) };
  });
  const judged = combine(outcomes);
  const untested = perSeed.some((c) => c.verdict === 'not tested at this scale');
  return {
    ...first,
    measured: perSeed.map((c) => c.measured).join(' | '),
    values,
    ...judged,
    verdict: untested ? 'not tested at this scale' : judged.verdict,
    seeds: perSeed.reduce((s, c) => s + c.seeds, 0),
  };
}

/** "2.93 ± 0.17%" or "0.541 ± 0.020" (no ± without an SE). */
export function formatQuantity(q: Quantity): string {
  if (!Number.isFinite(q.value)) return 'n/a'; // NaN (null once written as JSON): nothing measured
  const percent = q.unit === 'percent';
  const scale = percent ? 100 : 1;
  const digits = percent ? 2 : Math.abs(q.value) >= 100 ? 1 : Math.abs(q.value) < 0.01 && q.value !== 0 ? 4 : 3;
  const fmt = (v: number) => (Math.abs(v) < 1e-4 && v !== 0 && !percent ? v.toExponential(1) : (v * scale).toFixed(digits));
  return `${fmt(q.value)}${typeof q.se === 'number' && Number.isFinite(q.se) ? ` ± ${fmt(q.se)}` : ''}${percent ? '%' : ''}`;
}

/** The claim's values as one line: "EG 1.21 ± 0.11%, DCN 1.30 ± 0.11%". */
export function formatValues(c: Claim): string {
  return Object.entries(c.values)
    .map(([k, q]) => `${k} ${formatQuantity(q)}`)
    .join(', ');
}
