#!/usr/bin/env node
/**
 * The `gibbsgrad` command: list, run and reproduce the papers' experiments, and build the report.
 *
 *   gibbsgrad list
 *   gibbsgrad run weight-correlation energy-min --quick --seed 0 --out results
 *   gibbsgrad reproduce            (every experiment, quick mode, then the report)
 *   gibbsgrad report               (rebuild results/index.html from what is there)
 */
import './index.js'; // every backend and op registered before anything runs
import { mkdirSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { experiments, findExperiment } from './experiments/index.js';
import type { ExperimentEvent, Mode } from './experiments/types.js';
import { assertReportReplaceable, buildReport } from './report/html.js';
import { lockResultsFolder } from './node/folder-lock.js';
import { runExperiment } from './report/runner.js';

interface RunFlags {
  quick?: boolean;
  full?: boolean;
  tiny?: boolean;
  seed: number;
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

async function runAll(names: string[], flags: RunFlags): Promise<void> {
  const mode = modeOf(flags);
  const chosen = names.map(findExperiment);
  openResultsFolder(flags.out, true);
  assertReportReplaceable(flags.out); // now, not after hours of training
  const progress = progressPrinter();
  try {
    for (const exp of chosen) {
      const { result, reused } = await runExperiment(exp, { mode, seed: flags.seed, outDir: flags.out, force: flags.force, onEvent: progress.onEvent, breakOnSigint: true });
      console.log(`${exp.name}: ${reused ? 'kept the finished result' : `done in ${result.seconds.toFixed(1)} s`} (${result.claims.filter((c) => c.holds === true).length}/${result.claims.filter((c) => c.holds !== null).length} directional claims hold)`);
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
    .option('--out <dir>', 'results folder', parseOut, 'results')
    .option('--force', 'rerun experiments whose results exist');

program.command('list').description('list the experiments').action(() => {
  for (const e of experiments) console.log(`${e.name.padEnd(20)} ${e.title}  [${e.paper}]`);
});

runOptions(program.command('run').description('run some experiments').argument('<names...>', 'experiment names (see list)')).action((names: string[], flags: RunFlags) => runAll(names, flags));

runOptions(program.command('reproduce').description('run every experiment, then build the report')).action((flags: RunFlags) => runAll(experiments.map((e) => e.name), flags));

program.command('report').description('rebuild the HTML report from a results folder').option('--out <dir>', 'results folder', parseOut, 'results').action((flags: { out: string }) => {
  openResultsFolder(flags.out, false);
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
