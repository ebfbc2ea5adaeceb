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
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { experiments, findExperiment } from './experiments/index.js';
import type { ExperimentEvent, Mode } from './experiments/types.js';
import { buildReport } from './report/html.js';
import { runExperiment } from './report/runner.js';

interface RunFlags {
  quick?: boolean;
  full?: boolean;
  tiny?: boolean;
  seed: number;
  out: string;
  force?: boolean;
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('the seed must be an integer');
  return n;
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
  const progress = progressPrinter();
  try {
    for (const exp of chosen) {
      const { result, reused } = await runExperiment(exp, { mode, seed: flags.seed, outDir: flags.out, force: flags.force, onEvent: progress.onEvent });
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
    .option('--seed <n>', 'random seed', parseSeed, 0)
    .option('--out <dir>', 'results folder', 'results')
    .option('--force', 'rerun experiments whose results exist');

program.command('list').description('list the experiments').action(() => {
  for (const e of experiments) console.log(`${e.name.padEnd(20)} ${e.title}  [${e.paper}]`);
});

runOptions(program.command('run').description('run some experiments').argument('<names...>', 'experiment names (see list)')).action((names: string[], flags: RunFlags) => runAll(names, flags));

runOptions(program.command('reproduce').description('run every experiment, then build the report')).action((flags: RunFlags) => runAll(experiments.map((e) => e.name), flags));

program.command('report').description('rebuild the HTML report from a results folder').option('--out <dir>', 'results folder', 'results').action((flags: { out: string }) => {
  console.log(`report: ${buildReport(flags.out, experiments).path}`);
});

program.parseAsync().catch((err: Error) => {
  console.error(`gibbsgrad: ${err.message}`);
  process.exit(1);
});
