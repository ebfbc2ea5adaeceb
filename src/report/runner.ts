/**
 * Runs experiments into a results folder: <out>/<name>/result.json (numbers and claims, the
 * machine-checkable part) and one SVG per figure. An experiment whose result.json already exists
 * for the same mode and seed is kept, not rerun, so an interrupted `reproduce` picks up where it
 * stopped; the experiment it was running resumes from its last epoch checkpoint (<name>/.progress).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../node/checkpoint-file.js';
import { closeProgressFolder, openProgressFolder } from '../experiments/progress.js';
import type { Experiment, ExperimentEvent, ExperimentResult, Mode } from '../experiments/types.js';
import { Rng } from '../tensor/rng.js';
import { renderSvg } from './render.js';

export interface RunOptions {
  mode: Mode;
  seed: number;
  outDir: string;
  force?: boolean;
  onEvent?: (experiment: string, e: ExperimentEvent) => void;
}

export function readResult(outDir: string, name: string): ExperimentResult | null {
  const path = join(outDir, name, 'result.json');
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ExperimentResult;
  } catch {
    return null; // unreadable: run it again
  }
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
  const progress = openProgressFolder(join(dir, '.progress'), { mode: opts.mode, seed: opts.seed });
  const start = performance.now();
  const findings = await exp.run({ mode: opts.mode, seed: opts.seed, rng: new Rng(opts.seed), report: (e) => opts.onEvent?.(exp.name, e), checkpointDir: progress });
  const result: ExperimentResult = { name: exp.name, title: exp.title, paper: exp.paper, mode: opts.mode, seed: opts.seed, seconds: (performance.now() - start) / 1000, ...findings };
  for (const f of result.figures) writeAtomic(join(dir, `${f.name}.svg`), new TextEncoder().encode(await renderSvg(f.spec)));
  // result.json last: its presence marks the experiment as finished
  writeAtomic(join(dir, 'result.json'), new TextEncoder().encode(JSON.stringify(result, null, 2)));
  closeProgressFolder(progress);
  return { result, reused: false };
}
