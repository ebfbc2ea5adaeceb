/**
 * Runs experiments into a results folder. Each run — one (mode, seed, unit) — is stored as
 * <out>/<name>/runs/<mode>-seed<seed>[-<unit>].json when it finishes; <out>/<name>/result.json
 * (numbers and claims, the machine-checkable part) and one SVG per figure are then rebuilt from
 * all runs of that mode (merge.ts: units merged per seed, seeds merged per claim). A run whose
 * file already exists is kept, not rerun, so an interrupted `reproduce` picks up where it stopped;
 * the run it was in resumes from its last epoch checkpoint (<name>/.progress).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { writeAtomic } from '../node/checkpoint-file.js';
import { closeProgressFolder, openProgressFolder } from '../experiments/progress.js';
import { untestedInMode, VERDICTS } from '../experiments/claims.js';
import type { Experiment, ExperimentEvent, ExperimentFindings, ExperimentResult, Mode } from '../experiments/types.js';
import { Rng } from '../tensor/rng.js';
import { MODE_PREFERENCE, mergeRuns, unitsOf } from './merge.js';
import { provenance } from './provenance.js';
import { renderSvg } from './render.js';

export interface RunOptions {
  mode: Mode;
  seed: number;
  /** Run only this unit of an experiment split into units (default: every unit, in order). */
  unit?: string;
  outDir: string;
  force?: boolean;
  onEvent?: (experiment: string, e: ExperimentEvent) => void;
  /**
   * Let Ctrl-C (SIGINT) stop the experiment's synchronous computation with an Error (code
   * ERR_SCRIPT_EXECUTION_INTERRUPTED) instead of waiting for it to end: experiments compute for
   * minutes without returning to the event loop, where a process.on('SIGINT') handler would run.
   */
  breakOnSigint?: boolean;
}

const MODES: readonly string[] = ['tiny', 'quick', 'full'];

/** What is wrong with a parsed result.json, or null when it has the structure of an ExperimentResult. */
function resultProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expected an object, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`;
  const r = v as Record<string, unknown>;
  const describe = (x: unknown) => (Array.isArray(x) ? 'an array' : x === null ? 'null' : typeof x);
  for (const key of ['name', 'title', 'paper', 'data'] as const) if (typeof r[key] !== 'string') return `'${key}' must be a string, got ${describe(r[key])}`;
  if (!MODES.includes(r.mode as string)) return `'mode' must be one of ${MODES.join(', ')}, got ${JSON.stringify(r.mode)}`;
  if (!Number.isSafeInteger(r.seed)) return `'seed' must be a safe integer, got ${JSON.stringify(r.seed)}`;
  if (typeof r.seconds !== 'number' || !Number.isFinite(r.seconds)) return `'seconds' must be a finite number, got ${JSON.stringify(r.seconds)}`;
  if (typeof r.metrics !== 'object' || r.metrics === null || Array.isArray(r.metrics)) return `'metrics' must be an object, got ${describe(r.metrics)}`;
  if (!Array.isArray(r.claims)) return `'claims' must be an array, got ${describe(r.claims)}`;
  for (const [i, c] of r.claims.entries()) {
    const claim = c as Record<string, unknown> | null;
    if (typeof claim !== 'object' || claim === null) return `claims[${i}] must be an object, got ${describe(c)}`;
    for (const key of ['claim', 'paperValue', 'measured'] as const) if (typeof claim[key] !== 'string') return `claims[${i}].${key} must be a string, got ${describe(claim[key])}`;
    if (claim.holds !== null && typeof claim.holds !== 'boolean') return `claims[${i}].holds must be true, false or null, got ${JSON.stringify(claim.holds)}`;
    if (!VERDICTS.includes(claim.verdict as never)) return `claims[${i}].verdict must be one of ${VERDICTS.join(', ')}, got ${JSON.stringify(claim.verdict)}`;
    if (typeof claim.values !== 'object' || claim.values === null || Array.isArray(claim.values)) return `claims[${i}].values must be an object, got ${describe(claim.values)}`;
    if (!Array.isArray(claim.test)) return `claims[${i}].test must be an array, got ${describe(claim.test)}`;
    if (!Number.isSafeInteger(claim.seeds) || (claim.seeds as number) < 1) return `claims[${i}].seeds must be a positive integer, got ${JSON.stringify(claim.seeds)}`;
  }
  if (r.unit !== undefined && typeof r.unit !== 'string') return `'unit' must be a string, got ${describe(r.unit)}`;
  if (!Array.isArray(r.figures)) return `'figures' must be an array, got ${describe(r.figures)}`;
  for (const [i, f] of r.figures.entries()) {
    const figure = f as Record<string, unknown> | null;
    if (typeof figure !== 'object' || figure === null) return `figures[${i}] must be an object, got ${describe(f)}`;
    for (const key of ['name', 'title'] as const) if (typeof figure[key] !== 'string') return `figures[${i}].${key} must be a string, got ${describe(figure[key])}`;
  }
  return null;
}

/**
 * The stored result of experiment `name`, null when there is none; throws, naming the file and
 * what is wrong, when result.json cannot be read or does not have the structure of a result.
 */
export function loadResult(outDir: string, name: string): ExperimentResult | null {
  return loadResultFile(join(outDir, name, 'result.json'), name);
}

function loadResultFile(path: string, name: string): ExperimentResult | null {
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`loadResult: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const problem = resultProblem(parsed);
  if (problem) throw new Error(`loadResult: ${path} is not an experiment's result: ${problem}`);
  if ((parsed as ExperimentResult).name !== name) throw new Error(`loadResult: ${path} is the result of '${(parsed as ExperimentResult).name}', not of '${name}'`);
  return parsed as ExperimentResult;
}

/** The stored result, or null when there is none or it cannot be used (then the experiment runs again). */
export function readResult(outDir: string, name: string): ExperimentResult | null {
  try {
    return loadResult(outDir, name);
  } catch {
    return null; // unreadable or of another structure: run it again
  }
}

export interface RunKey {
  mode: Mode;
  seed: number;
  unit?: string;
}

const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9+=._-]*$/;

/** runs/<mode>-seed<seed>[-<unit>].json under the experiment's folder. */
export function runFile(outDir: string, name: string, key: RunKey): string {
  return join(outDir, name, 'runs', `${key.mode}-seed${key.seed}${key.unit === undefined ? '' : `-${key.unit}`}.json`);
}

/** A stored run that matches its key, or null (none, unreadable, or another run's: it runs again). */
function readRun(outDir: string, name: string, key: RunKey): ExperimentResult | null {
  try {
    const r = loadResultFile(runFile(outDir, name, key), name);
    return r && r.mode === key.mode && r.seed === key.seed && r.unit === key.unit ? r : null;
  } catch {
    return null;
  }
}

/**
 * Every run stored for experiment `name` under <dir>/<name>/runs/ (throws, naming the file, on one
 * that cannot be read or is not a result: a report must not silently drop a committed run).
 */
export function loadRuns(dir: string, name: string, fresh?: ReadonlyMap<string, ExperimentResult>): ExperimentResult[] {
  const runsDir = join(dir, name, 'runs');
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => fresh?.get(join(runsDir, f)) ?? loadResultFile(join(runsDir, f), name)!);
}

/**
 * The merged result of every experiment of `registry` with runs under `dir`, each in the most
 * complete mode present (full, then quick, then tiny); experiments without a complete seed are left out.
 */
export function mergedResults(dir: string, registry: readonly Experiment[]): ExperimentResult[] {
  return registry.flatMap((exp) => {
    const runs = loadRuns(dir, exp.name);
    const mode = MODE_PREFERENCE.find((m) => runs.some((r) => r.mode === m));
    const merged = mode ? mergeRuns(exp, mode, runs).result : null;
    return merged ? [merged] : [];
  });
}

/**
 * Rebuilds <outDir>/<name>/result.json and its SVG figures from the runs of `mode` stored under
 * <fromDir>/<name>/runs (by default the same folder). Returns the merged result, or null when no
 * seed has all its units yet.
 */
export async function writeMergedResult(exp: Experiment, mode: Mode, fromDir: string, outDir = fromDir, fresh?: ReadonlyMap<string, ExperimentResult>): Promise<ExperimentResult | null> {
  const { result } = mergeRuns(exp, mode, loadRuns(fromDir, exp.name, fresh));
  if (!result) return null;
  const dir = join(outDir, exp.name);
  mkdirSync(dir, { recursive: true });
  for (const f of result.figures) writeAtomic(join(dir, `${f.name}.svg`), new TextEncoder().encode(await renderSvg(f.spec)));
  writeAtomic(join(dir, 'result.json'), new TextEncoder().encode(JSON.stringify(result, null, 2)));
  return result;
}

/**
 * The seconds that earlier, interrupted attempts at this (mode, seed) spent, kept in the progress
 * folder beside the checkpoints they resume from (and deleted with them). Anything unexpected
 * counts as none: the file only makes the reported time more complete.
 */
function earlierSeconds(path: string, run: RunKey): number {
  try {
    const e = JSON.parse(readFileSync(path, 'utf8')) as { mode?: unknown; seed?: unknown; unit?: unknown; seconds?: unknown };
    return e.mode === run.mode && e.seed === run.seed && e.unit === run.unit && typeof e.seconds === 'number' && Number.isFinite(e.seconds) && e.seconds >= 0 ? e.seconds : 0;
  } catch {
    return 0;
  }
}

/** exp.run, stoppable by Ctrl-C when asked (see RunOptions.breakOnSigint). */
function runFindings(exp: Experiment, ctx: Parameters<Experiment['run']>[0], breakOnSigint: boolean): ExperimentFindings | Promise<ExperimentFindings> {
  if (!breakOnSigint) return exp.run(ctx);
  // Only code run by the vm module can be interrupted this way; `run` itself still executes in
  // this realm (a function keeps the realm it was created in), so its objects are ordinary ones.
  return runInNewContext('run()', { run: () => exp.run(ctx) }, { breakOnSigint: true }) as ExperimentFindings | Promise<ExperimentFindings>;
}

/**
 * Runs one experiment — each of its units, or the one asked for — unless its runs are stored, then
 * rebuilds its result.json from every stored run of this mode. `result` is the merged result, or
 * the last run's own when units are still missing (`complete` false).
 */
export async function runExperiment(exp: Experiment, opts: RunOptions): Promise<{ result: ExperimentResult; reused: boolean; complete: boolean }> {
  // Experiments compute synchronously for seconds to minutes. Passing through the event loop's
  // poll phase between them lets a host waiting on this process (vitest's worker RPC, which times
  // out after 60 s without a reply being read) see that it is alive.
  await new Promise((resolve) => setImmediate(resolve));
  const units = unitsOf(exp, opts.mode);
  if (opts.unit !== undefined && !units.includes(opts.unit)) {
    throw new Error(exp.units ? `experiment '${exp.name}' has no unit '${opts.unit}' in ${opts.mode} mode (its units: ${units.join(', ')})` : `experiment '${exp.name}' is not split into units (no --unit)`);
  }
  for (const u of units) if (u !== undefined && !UNIT_NAME.test(u)) throw new Error(`experiment '${exp.name}': unit name '${u}' is not usable as a file name`);
  let reused = true;
  let last: ExperimentResult | null = null;
  // the runs made now, as computed (their JSON files cannot hold NaN or −0, the objects can)
  const fresh = new Map<string, ExperimentResult>();
  for (const unit of opts.unit !== undefined ? [opts.unit] : units) {
    const key: RunKey = { mode: opts.mode, seed: opts.seed, ...(unit === undefined ? {} : { unit }) };
    const stored = opts.force ? null : readRun(opts.outDir, exp.name, key);
    if (stored) {
      last = stored;
      continue;
    }
    reused = false;
    last = await runOnce(exp, key, opts);
    fresh.set(runFile(opts.outDir, exp.name, key), last);
  }
  const merged = await writeMergedResult(exp, opts.mode, opts.outDir, opts.outDir, fresh);
  return { result: merged ?? last!, reused, complete: merged !== null };
}

/** One run of (mode, seed, unit): trains (resuming from its checkpoints), stores the run's file. */
async function runOnce(exp: Experiment, key: RunKey, opts: RunOptions): Promise<ExperimentResult> {
  const dir = join(opts.outDir, exp.name);
  mkdirSync(dir, { recursive: true });
  // Epoch checkpoints: an interrupted run resumes its training where it stopped (see progress.ts).
  const progress = openProgressFolder(join(dir, '.progress'), key);
  const elapsedFile = join(progress, 'elapsed.json');
  const before = earlierSeconds(elapsedFile, key);
  const start = performance.now();
  const seconds = () => before + (performance.now() - start) / 1000;
  // Recorded at every epoch (when the checkpoint the next attempt resumes from was just saved), so
  // that a resumed run's `seconds` is the time of all its attempts, not only of the last one.
  const report = (e: ExperimentEvent) => {
    if (e.kind === 'epoch') writeAtomic(elapsedFile, new TextEncoder().encode(JSON.stringify({ ...key, seconds: seconds() })));
    opts.onEvent?.(exp.name, e);
  };
  const origin = provenance();
  const readUnit = (unit: string): ExperimentFindings | null => readRun(opts.outDir, exp.name, { mode: key.mode, seed: key.seed, unit });
  const ctx = { mode: key.mode, seed: key.seed, rng: new Rng(key.seed), report, checkpointDir: progress, ...(key.unit === undefined ? {} : { unit: key.unit, readUnit }) };
  const findings = await runFindings(exp, ctx, opts.breakOnSigint ?? false);
  const result: ExperimentResult = {
    name: exp.name,
    title: exp.title,
    paper: exp.paper,
    ...key,
    seconds: seconds(),
    provenance: origin,
    ...findings,
    claims: untestedInMode(findings.claims, key.mode),
  };
  // the run's file last: its presence marks the run as finished
  mkdirSync(join(dir, 'runs'), { recursive: true });
  // one line: runs are committed (docs/results), and their figures inline thousands of data points
  writeAtomic(runFile(opts.outDir, exp.name, key), new TextEncoder().encode(JSON.stringify(result)));
  closeProgressFolder(progress);
  return result;
}
