/**
 * Runs experiments into a results folder: <out>/<name>/result.json (numbers and claims, the
 * machine-checkable part) and one SVG per figure. An experiment whose result.json already exists
 * for the same mode and seed is kept, not rerun, so an interrupted `reproduce` picks up where it
 * stopped; the experiment it was running resumes from its last epoch checkpoint (<name>/.progress).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { writeAtomic } from '../node/checkpoint-file.js';
import { closeProgressFolder, openProgressFolder } from '../experiments/progress.js';
import type { Experiment, ExperimentEvent, ExperimentFindings, ExperimentResult, Mode } from '../experiments/types.js';
import { Rng } from '../tensor/rng.js';
import { renderSvg } from './render.js';

export interface RunOptions {
  mode: Mode;
  seed: number;
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
  }
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
  const path = join(outDir, name, 'result.json');
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

/**
 * The seconds that earlier, interrupted attempts at this (mode, seed) spent, kept in the progress
 * folder beside the checkpoints they resume from (and deleted with them). Anything unexpected
 * counts as none: the file only makes the reported time more complete.
 */
function earlierSeconds(path: string, run: { mode: Mode; seed: number }): number {
  try {
    const e = JSON.parse(readFileSync(path, 'utf8')) as { mode?: unknown; seed?: unknown; seconds?: unknown };
    return e.mode === run.mode && e.seed === run.seed && typeof e.seconds === 'number' && Number.isFinite(e.seconds) && e.seconds >= 0 ? e.seconds : 0;
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

/** Runs one experiment (or returns its stored result) and writes its JSON and SVG figures. */
export async function runExperiment(exp: Experiment, opts: RunOptions): Promise<{ result: ExperimentResult; reused: boolean }> {
  // Experiments compute synchronously for seconds to minutes. Passing through the event loop's
  // poll phase between them lets a host waiting on this process (vitest's worker RPC, which times
  // out after 60 s without a reply being read) see that it is alive.
  await new Promise((resolve) => setImmediate(resolve));
  const stored = readResult(opts.outDir, exp.name);
  if (!opts.force && stored && stored.mode === opts.mode && stored.seed === opts.seed) return { result: stored, reused: true };
  const dir = join(opts.outDir, exp.name);
  mkdirSync(dir, { recursive: true });
  // Epoch checkpoints: an interrupted run resumes its training where it stopped (see progress.ts).
  const run = { mode: opts.mode, seed: opts.seed };
  const progress = openProgressFolder(join(dir, '.progress'), run);
  const elapsedFile = join(progress, 'elapsed.json');
  const before = earlierSeconds(elapsedFile, run);
  const start = performance.now();
  const seconds = () => before + (performance.now() - start) / 1000;
  // Recorded at every epoch (when the checkpoint the next attempt resumes from was just saved), so
  // that a resumed run's `seconds` is the time of all its attempts, not only of the last one.
  const report = (e: ExperimentEvent) => {
    if (e.kind === 'epoch') writeAtomic(elapsedFile, new TextEncoder().encode(JSON.stringify({ ...run, seconds: seconds() })));
    opts.onEvent?.(exp.name, e);
  };
  const findings = await runFindings(exp, { ...run, rng: new Rng(opts.seed), report, checkpointDir: progress }, opts.breakOnSigint ?? false);
  const result: ExperimentResult = { name: exp.name, title: exp.title, paper: exp.paper, ...run, seconds: seconds(), ...findings };
  for (const f of result.figures) writeAtomic(join(dir, `${f.name}.svg`), new TextEncoder().encode(await renderSvg(f.spec)));
  // result.json last: its presence marks the experiment as finished
  writeAtomic(join(dir, 'result.json'), new TextEncoder().encode(JSON.stringify(result, null, 2)));
  closeProgressFolder(progress);
  return { result, reused: false };
}
