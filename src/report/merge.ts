/**
 * From runs to an experiment's result. A run is one (mode, seed, unit) of an experiment, stored as
 * <name>/runs/<mode>-seed<seed>[-<unit>].json. For each seed, the units (when the experiment has
 * any) are merged by the experiment's own `merge`; then the seeds' claims are merged claim by
 * claim (mean ± SE across seeds, paired differences: claims.ts mergeSeeds). A seed that ran only
 * some units adds the claims those units decide, when the experiment says which (`unitClaims`).
 * Figures and metrics are those of the lowest complete seed; every run's seconds and provenance
 * are listed in `runs`.
 */
import { mergeSeeds, untestedInMode, type Claim } from '../experiments/claims.js';
import type { Experiment, ExperimentFindings, ExperimentResult, Mode } from '../experiments/types.js';

/** The order in which a report prefers the modes present: paper scale first. */
export const MODE_PREFERENCE: readonly Mode[] = ['full', 'quick', 'tiny'];

/** The units this experiment's runs must cover per seed ([undefined] when it has none). */
export function unitsOf(exp: Experiment, mode: Mode): readonly (string | undefined)[] {
  return exp.units ? exp.units(mode) : [undefined];
}

/** One seed's findings: its single run, or its units merged; null when a unit is missing. */
function seedFindings(exp: Experiment, mode: Mode, runs: readonly ExperimentResult[]): ExperimentFindings | null {
  if (!exp.units) return runs.find((r) => r.unit === undefined) ?? null;
  const parts = exp.units(mode).map((unit) => ({ unit, findings: runs.find((r) => r.unit === unit) }));
  if (parts.some((p) => !p.findings)) return null;
  if (!exp.merge) throw new Error(`experiment '${exp.name}' has units but no merge`);
  const merged = exp.merge(parts.map((p) => ({ unit: p.unit, findings: p.findings! })), mode);
  return { ...merged, claims: untestedInMode(merged.claims, mode) };
}

/** Claims of several seeds, matched by their text in the first seed's order (a seed may lack some). */
function mergeClaims(perSeed: readonly Claim[][]): Claim[] {
  const texts = [...new Set(perSeed.flatMap((claims) => claims.map((c) => c.claim)))];
  return texts.map((text) => mergeSeeds(perSeed.flatMap((claims) => claims.filter((c) => c.claim === text))));
}

/**
 * The result of `exp` in `mode` from its runs, or null when no seed has all its units. `missing`
 * lists, per seed that has some runs, the units it still lacks.
 */
export function mergeRuns(exp: Experiment, mode: Mode, runs: readonly ExperimentResult[]): { result: ExperimentResult | null; missing: { seed: number; units: string[] }[] } {
  const ofMode = runs.filter((r) => r.mode === mode && r.name === exp.name);
  const seeds = [...new Set(ofMode.map((r) => r.seed))].sort((a, b) => a - b);
  const complete: { seed: number; findings: ExperimentFindings; runs: ExperimentResult[] }[] = [];
  // seeds that ran some units only, for an experiment whose units decide their own claims
  const partial: { seed: number; claims: Claim[]; runs: ExperimentResult[] }[] = [];
  const missing: { seed: number; units: string[] }[] = [];
  for (const seed of seeds) {
    const order = unitsOf(exp, mode);
    const mine = ofMode.filter((r) => r.seed === seed).sort((a, b) => order.indexOf(a.unit) - order.indexOf(b.unit));
    const findings = seedFindings(exp, mode, mine);
    if (findings) {
      complete.push({ seed, findings, runs: mine });
      continue;
    }
    missing.push({ seed, units: unitsOf(exp, mode).filter((u): u is string => u !== undefined && !mine.some((r) => r.unit === u)) });
    if (exp.unitClaims) partial.push({ seed, claims: untestedInMode(mine.flatMap((r) => exp.unitClaims!(r.unit!, r, mode)), mode), runs: mine });
  }
  if (complete.length === 0) return { result: null, missing };
  const [first] = complete;
  const allRuns = [...complete, ...partial].sort((a, b) => a.seed - b.seed).flatMap((c) => c.runs);
  const result: ExperimentResult = {
    name: exp.name,
    title: exp.title,
    paper: exp.paper,
    mode,
    seed: first.seed,
    seconds: allRuns.reduce((s, r) => s + r.seconds, 0),
    data: first.findings.data,
    ...(first.findings.scale ? { scale: first.findings.scale } : {}),
    metrics: first.findings.metrics,
    claims: mergeClaims([...complete.map((c) => c.findings.claims), ...partial.map((p) => p.claims)]),
    figures: first.findings.figures,
    ...(first.runs[0].provenance ? { provenance: first.runs[0].provenance } : {}),
    runs: allRuns.map((r) => ({ seed: r.seed, ...(r.unit === undefined ? {} : { unit: r.unit }), seconds: r.seconds, ...(r.provenance ? { provenance: r.provenance } : {}) })),
  };
  return { result, missing };
}
