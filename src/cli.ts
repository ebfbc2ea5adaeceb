#!/usr/bin/env node
/**
 * The `gibbsgrad` command: list, run and reproduce the papers' experiments, and build the report.
 *
 *   gibbsgrad list
 *   gibbsgrad run weight-correlation energy-min --quick --seed 0 --out results
 *   gibbsgrad reproduce            (every experiment, quick mode, then the report)
 *   gibbsgrad run capacity --full --seed 0 --seeds 3 --out docs/results   (three seeds: mean ± SE)
 *   gibbsgrad run bayes-prior --full --unit foe --out docs/results        (one unit of a long experiment)
 *   gibbsgrad report               (rebuild results/index.html from what is there)
 *   gibbsgrad report --from docs/results --out report   (the report of the committed full runs)
 */
import './index.js'; // every backend and op registered before anything runs
import { existsSync, mkdirSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { experiments, findExperiment } from './experiments/index.js';
import type { Claim, ExperimentEvent, Mode } from './experiments/types.js';
import { assertReportReplaceable, buildReport } from './report/html.js';
import { lockResultsFolder } from './node/folder-lock.js';
import { MODE_PREFERENCE } from './report/merge.js';
import { loadRuns, runExperiment, writeMergedResult } from './report/runner.js';

interface RunFlags {
  quick?: boolean;
  full?: boolean;
  tiny?: boolean;
  seed: number;
  seeds: number;
  unit?: string;
  out: string;
  force?: boolean;
}

/**
 * A seed is written in decimal, optionally negative (Rng takes any safe integer): Number() alone
 * would also take '' (0), '0x10' (16), ' 7' and '1e3', so one typo would silently run another seed.
 */
function parseSeed(v: string): number {
  const n = /^-?[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`the seed must be a decimal integer between -(2^53 - 1) and 2^53 - 1, got '${v}'`);
  return n === 0 ? 0 : n; // -0 would be stored as 0 in result.json and then not match this run
}

/** How many seeds, from --seed on: a positive integer, written in decimal. */
function parseSeedCount(v: string): number {
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`the number of seeds must be a positive decimal integer, got '${v}'`);
  return n;
}

/** An empty --out would put the results (and index.html) into the current folder. */
function parseOut(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError(`the results folder must be named, got '${v}'`);
  return v;
}

const WRITE_PROBLEMS: Record<string, string> = {
  ENOTDIR: 'a file is where a folder should be',
  EEXIST: 'a file is where a folder should be',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'the path cannot be created (e.g. a read-only file system)',
  ENOSPC: 'the disk is full',
};

function cannotWrite(out: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return new Error(`cannot write to the results folder '${out}': ${WRITE_PROBLEMS[code] ?? (e as Error).message} (${code || 'error'})`, { cause: e });
}

/**
 * Creates the results folder and takes its lock until this process exits. Errors say which folder
 * could not be written (mkdir's own message names a subfolder and, on a read-only file system or
 * under a file, a misleading ENOENT or ENOTDIR).
 */
function openResultsFolder(out: string, create: boolean): void {
  try {
    if (create) mkdirSync(out, { recursive: true });
  } catch (e) {
    throw cannotWrite(out, e);
  }
  let release: () => void;
  try {
    release = lockResultsFolder(out, ['gibbsgrad', ...process.argv.slice(2)].join(' '));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !create) throw new Error(`there is no results folder '${out}'`, { cause: e });
    throw code ? cannotWrite(out, e) : e;
  }
  // 'exit' runs on a normal end and after process.exit (the error path below); Ctrl-C outside an
  // experiment's computation comes here, inside one it is an error (runExperiment's breakOnSigint).
  process.on('exit', release);
  process.on('SIGINT', () => {
    console.error('gibbsgrad: interrupted; run the same command again to resume');
    process.exit(130);
  });
}

function modeOf(f: RunFlags): Mode {
  if ([f.quick, f.full, f.tiny].filter(Boolean).length > 1) throw new Error('choose one of --quick, --full, --tiny');
  return f.full ? 'full' : f.tiny ? 'tiny' : 'quick';
}

/** Progress bars on a terminal; one line per epoch otherwise (CI logs stay readable). */
function progressPrinter(): { onEvent: (name: string, e: ExperimentEvent) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    return {
      onEvent: (name, e) => {
        if (e.kind === 'stage') console.error(`[${name}] ${e.label}`);
        if (e.kind === 'epoch') console.error(`[${name}] ${e.label} epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(4)}${e.accuracy !== undefined ? ` test ${(100 * e.accuracy).toFixed(2)}%` : ''}`);
      },
      stop: () => {},
    };
  }
  const bars = new cliProgress.MultiBar({ format: '{name} |{bar}| {value}/{total} {info}', hideCursor: true, clearOnComplete: false, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let epochBar: cliProgress.SingleBar | null = null;
  let batchBar: cliProgress.SingleBar | null = null;
  return {
    onEvent: (name, e) => {
      if (e.kind === 'stage') bars.log(`[${name}] ${e.label}\n`);
      if (e.kind === 'batch') {
        batchBar ??= bars.create(e.batches, 0, { name: '  batches', info: '' });
        batchBar.setTotal(e.batches);
        batchBar.update(e.batch);
      }
      if (e.kind === 'epoch') {
        epochBar ??= bars.create(e.epochs, 0, { name: `${name} epochs`, info: '' });
        epochBar.setTotal(e.epochs);
        epochBar.update(e.epoch, { name: `${name} ${e.label}`, info: `loss ${e.loss.toFixed(4)}${e.accuracy !== undefined ? ` test ${(100 * e.accuracy).toFixed(1)}%` : ''}` });
      }
    },
    stop: () => bars.stop(),
  };
}

/** "3 hold, 1 does not hold, 2 inconclusive" over the claims that test something. */
function verdictCounts(claims: readonly Claim[]): string {
  const counts = new Map<string, number>();
  for (const c of claims) if (c.verdict !== 'reported') counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${n} ${v}`).join(', ') || 'no claims tested';
}

async function runAll(names: string[], flags: RunFlags): Promise<void> {
  const mode = modeOf(flags);
  const chosen = names.map(findExperiment);
  if (flags.unit !== undefined && chosen.length !== 1) throw new Error('--unit names a unit of one experiment: run one experiment with it');
  const seeds = Array.from({ length: flags.seeds }, (_, i) => flags.seed + i);
  if (!Number.isSafeInteger(seeds[seeds.length - 1])) throw new Error(`--seed ${flags.seed} with --seeds ${flags.seeds} goes past 2^53 - 1`);
  openResultsFolder(flags.out, true);
  assertReportReplaceable(flags.out); // now, not after hours of training
  const progress = progressPrinter();
  try {
    for (const exp of chosen) {
      for (const seed of seeds) {
        const { result, reused, complete } = await runExperiment(exp, { mode, seed, unit: flags.unit, outDir: flags.out, force: flags.force, onEvent: progress.onEvent, breakOnSigint: true });
        const what = complete ? `${verdictCounts(result.claims)} (${result.runs?.length ?? 1} run(s) merged)` : 'units still missing for the merged result';
        console.log(`${exp.name} seed ${seed}${flags.unit ? ` unit ${flags.unit}` : ''}: ${reused ? 'kept the finished run' : 'done'}; ${what}`);
      }
    }
  } finally {
    progress.stop();
  }
  const { path } = buildReport(flags.out, experiments);
  console.log(`report: ${path}`);
}

const program = new Command();
program.name('gibbsgrad').description("Reproduce the papers' experiments with gibbsgrad and build an HTML report.");

const runOptions = (cmd: Command) =>
  cmd
    .option('--quick', 'quick mode (default): minutes on a 2-core laptop')
    .option('--full', 'paper-scale mode')
    .option('--tiny', 'smoke-test sizes (seconds)')
    .option('--seed <n>', 'random seed (a decimal integer)', parseSeed, 0)
    .option('--seeds <k>', 'run k seeds: --seed, --seed + 1, … (the report gives mean ± SE across them)', parseSeedCount, 1)
    .option('--unit <name>', 'run one unit of an experiment split into units (see list)')
    .option('--out <dir>', 'results folder', parseOut, 'results')
    .option('--force', 'rerun experiments whose results exist');

program.command('list').description('list the experiments').action(() => {
  for (const e of experiments) {
    console.log(`${e.name.padEnd(20)} ${e.title}  [${e.paper}]`);
    if (e.units) console.log(`${''.padEnd(20)} units in full mode: ${e.units('full').join(', ')}`);
  }
});

runOptions(program.command('run').description('run some experiments').argument('<names...>', 'experiment names (see list)')).action((names: string[], flags: RunFlags) => runAll(names, flags));

runOptions(program.command('reproduce').description('run every experiment, then build the report')).action((flags: RunFlags) => runAll(experiments.map((e) => e.name), flags));

program
  .command('report')
  .description('rebuild the HTML report from a results folder (or from the runs in another, e.g. docs/results)')
  .option('--out <dir>', 'results folder', parseOut, 'results')
  .option('--from <dir>', 'read the runs from this folder (default: the results folder itself)', parseOut)
  .action(async (flags: { out: string; from?: string }) => {
    const from = flags.from ?? flags.out;
    if (flags.from !== undefined && !existsSync(from)) throw new Error(`there is no folder '${from}' to read runs from`);
    openResultsFolder(flags.out, flags.from !== undefined);
    assertReportReplaceable(flags.out);
    for (const exp of experiments) {
      const runs = loadRuns(from, exp.name);
      const mode = MODE_PREFERENCE.find((m) => runs.some((r) => r.mode === m));
      if (mode && !(await writeMergedResult(exp, mode, from, flags.out))) console.error(`${exp.name}: no seed has all its units in ${mode} mode yet`);
    }
    console.log(`report: ${buildReport(flags.out, experiments).path}`);
  });

program.parseAsync().catch((err: NodeJS.ErrnoException) => {
  if (err.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') {
    console.error('gibbsgrad: interrupted; run the same command again to resume');
    process.exit(130);
  }
  console.error(`gibbsgrad: ${err.message}`);
  process.exit(1);
});
