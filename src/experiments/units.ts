/**
 * Running an experiment that is split into units (Experiment.units) outside the runner. The runner
 * calls `run` once per unit with `ctx.unit` set; a direct call without a unit gets every unit in
 * order, each with the context the runner would give it (a fresh Rng of the seed, the earlier
 * units readable through readUnit), merged — so both paths give the same numbers.
 */
import { Rng } from '../tensor/rng.js';
import type { Experiment, ExperimentContext, ExperimentFindings } from './types.js';

/** Every unit of `exp` in order, then its merge. The units must compute synchronously. */
export function runEveryUnit(exp: Experiment, ctx: ExperimentContext): ExperimentFindings {
  if (!exp.units || !exp.merge) throw new Error(`runEveryUnit: experiment '${exp.name}' has no units`);
  const parts: { unit: string; findings: ExperimentFindings }[] = [];
  for (const unit of exp.units(ctx.mode)) {
    const findings = exp.run({ ...ctx, rng: new Rng(ctx.seed), unit, readUnit: (u) => parts.find((p) => p.unit === u)?.findings ?? null });
    if (findings instanceof Promise) throw new Error(`runEveryUnit: unit '${unit}' of '${exp.name}' computes asynchronously; run it through the runner`);
    parts.push({ unit, findings });
  }
  return exp.merge(parts, ctx.mode);
}

/**
 * An experiment's `run` for units: without `ctx.unit` every unit (runEveryUnit), with one its
 * computation `runUnit(unit)`; a unit the experiment does not have is an error naming its units.
 */
export function dispatchUnit(exp: Experiment, ctx: ExperimentContext, runUnit: (unit: string) => ExperimentFindings): ExperimentFindings {
  if (ctx.unit === undefined) return runEveryUnit(exp, ctx);
  const units = exp.units?.(ctx.mode) ?? [];
  if (!units.includes(ctx.unit)) throw new Error(`${exp.name}: no unit '${ctx.unit}' (units: ${units.join(', ')})`);
  return runUnit(ctx.unit);
}

/**
 * A merge's lookup of one unit's findings: `findings(unit)` for the parts the runner passed, and a
 * missing unit is an error naming the units that did arrive.
 */
export function unitFindings(name: string, parts: readonly { unit: string; findings: ExperimentFindings }[]): (unit: string) => ExperimentFindings {
  return (unit) => {
    const part = parts.find((p) => p.unit === unit);
    if (!part) throw new Error(`${name}: merge needs unit '${unit}' (got ${parts.map((p) => p.unit).join(', ') || 'none'})`);
    return part.findings;
  };
}

/** The findings of each of `units` by name, through unitFindings (so a missing unit gets its message). */
export function byUnit(parts: readonly { unit: string; findings: ExperimentFindings }[], units: readonly string[], experiment: string): Record<string, ExperimentFindings> {
  const find = unitFindings(experiment, parts);
  return Object.fromEntries(units.map((u) => [u, find(u)]));
}
