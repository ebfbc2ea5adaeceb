/**
 * `npm run bench [-- suite… [--quick] [--write-readme]]`: runs the benchmark suites (all by
 * default), prints markdown tables and writes JSON under bench/results/. Timings are never asserted
 * anywhere; the docs quote ratios measured in one run on one machine.
 *
 * The peers suite prints the README block between `<!-- bench:start -->` and `<!-- bench:end -->`;
 * `--write-readme` also replaces that block in README.md. `--quick` runs the peers suite on small
 * sizes and batches with short time budgets (about two minutes): a check that every peer runs, not
 * a measurement.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { listBackends, registerBackend } from '../src/index.js';
import { createWasmKernels, defaultFusedMultiplyAdd } from '../src/backends/wasm/backend.js';
import { jaxInfo } from './jaxjs.js';
import { jaxImpl, jaxLaxConvImpl, ourImpl, peerAside, peerCases, peerRatio, peerTasks, tfjsWasmFeatures, UNFUSED_BACKEND } from './peers.js';
import { benchBlock, writeReadmeBlock } from './readme.js';
import { referenceCases } from './reference.js';
import { stepCases } from './steps.js';
import { fmt, machine, runSuite, table, type BenchCase, type BenchRow, type RunOptions } from './suite.js';
import { TORCH_THREADS, defaultPython, torchInfo } from './torch.js';

interface Suite {
  cases: () => BenchCase[] | Promise<BenchCase[]>;
  /** Our implementations: the table gets a ratio column for each of them against each peer. */
  ours?: () => string[];
  /** Which (ours, peer) pairs get a ratio column (default all). */
  ratio?: (ours: string, peer: string) => boolean;
  /** Rows measured for the text above the table rather than for a column of it. */
  aside?: (row: BenchRow) => boolean;
  options?: RunOptions;
  /** The text above the table in the README block. */
  describe?: (rows: BenchRow[], loadAtStart: number) => Promise<string>;
}

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('-')));
const knownFlags = new Set(['--write-readme', '--quick']);
const quick = flags.has('--quick');

const suites: Record<string, Suite> = {
  reference: { cases: referenceCases },
  // the full runs' training steps on each backend (wasm against the reference kernels)
  steps: { cases: () => stepCases(), ours: () => ['gibbsgrad/wasm'], options: { maxTime: 2, slowCall: 0.25, slowBudget: 6, slowSamples: 2 } },
  peers: {
    cases: () => peerCases(quick ? peerTasks({ matmulSizes: [128, 256], batch: 8, bayesBatch: 4 }) : peerTasks()),
    ours: () => listBackends().map(ourImpl),
    ratio: peerRatio,
    aside: peerAside,
    // ≈ 80 cases: a 1 s budget per fast case and 3 s (at least 2 calls) per slow one keep the
    // whole run at several minutes.
    options: quick ? { maxTime: 0.2, slowCall: 0.1, slowBudget: 0.4, slowSamples: 2, meta: { quick: true } } : { maxTime: 1, slowCall: 0.25, slowBudget: 3, slowSamples: 2 },
    describe: describePeers,
  },
};

const wanted = args.filter((a) => !a.startsWith('-'));
const unknown = [...wanted.filter((w) => !(w in suites)), ...[...flags].filter((f) => !knownFlags.has(f))];
if (unknown.length) {
  console.error(`bench: unknown suite or flag ${unknown.join(', ')} (suites: ${Object.keys(suites).join(', ')}; flags: ${[...knownFlags].join(', ')})`);
  process.exit(2);
}
if (flags.has('--write-readme') && !wanted.includes('peers')) {
  console.error('bench: --write-readme needs the peers suite (npm run bench -- peers --write-readme)');
  process.exit(2);
}
// Both GEMM kernels side by side where the fused one is the default (Node ≥ 22).
if (defaultFusedMultiplyAdd() && (wanted.length === 0 || wanted.includes('peers'))) {
  const unfused = createWasmKernels({ fusedMultiplyAdd: false });
  registerBackend(UNFUSED_BACKEND, unfused.kernels, { threads: () => unfused.runtime.activeThreads });
}

for (const name of wanted.length ? wanted : Object.keys(suites)) {
  const { cases, ours, ratio, aside, options, describe } = suites[name];
  const loadAtStart = os.loadavg()[0];
  const rows = await runSuite(name, await cases(), options);
  const md = table(aside ? rows.filter((r) => !aside(r)) : rows, ours?.(), ratio);
  if (!describe) {
    console.log(`\n## ${name} (${new Date().toISOString().slice(0, 10)}, Node ${process.version})\n\n${md}\n`);
    continue;
  }
  const block = benchBlock(`${await describe(rows, loadAtStart)}\n\n${md}`);
  console.log(`\n## ${name}: paste into README.md (or rerun with --write-readme)\n\n${block}\n`);
  if (flags.has('--write-readme')) {
    writeReadmeBlock(block);
    console.log('bench: README.md updated between the bench markers');
  }
}

async function describePeers(rows: BenchRow[], loadAtStart: number): Promise<string> {
  const m = machine();
  const wasm = await tfjsWasmFeatures();
  const jx = jaxInfo();
  const torch = await torchInfo(defaultPython);
  // The end-of-run load average counts the benchmark's own threads, so only the start tells
  // whether other jobs shared the machine.
  const shared = loadAtStart > 0.5
    ? ` The ${m.cores} cores were shared with other jobs (load average ${loadAtStart.toFixed(1)} before the run), so every absolute number is low and noisy; ratios within a row, measured minutes apart, are the more reliable reading.`
    : ` Load average before the run: ${loadAtStart.toFixed(1)} (no other jobs).`;
  const widest = Math.max(...rows.filter((r) => Number.isFinite(r.margin)).map((r) => r.margin));
  return [
    `${quick ? '**Quick run (`--quick`: small sizes and batches, short budgets; not a measurement).** ' : ''}Measured by \`npm run bench peers\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at ${revision()}:`,
    `${m.cores}× ${m.cpu}, ${m.memoryGB} GB, ${m.platform}, Node ${m.node}; TF.js ${tf.version_core}`,
    `(wasm backend: SIMD ${wasm.simd ? 'on' : 'off'}, ${wasm.threads ? 'threads' : 'one thread'}); jax-js ${jx.version} (wasm device, ${jx.threads ? 'Web Workers' : 'one thread'});`,
    `${torch.available ? `PyTorch ${torch.version} (${defaultPython}, ${TORCH_THREADS} threads)` : `PyTorch not installed (${defaultPython} cannot import torch)`}.`,
    `gibbsgrad backends: ${listBackends().join(', ')}. Throughput is GFLOP/s (multiply and add counted`,
    'separately), input Melem/s for max-pool and images/s (and ms per step) for the training steps;',
    "ratios divide our throughput by the peer's, the reference backend's by tfjs-cpu's only.",
    ...laxConvNote(rows),
    ...fusedNote(rows),
    `"—": not run on that peer. Widest 95 % margin of a single mean: ±${widest.toFixed(0)} %.${shared}`,
  ].join('\n');
}

/** jax-js's convolutions in the table are gathers + matmul; its lax.conv, timed beside them, in words. */
function laxConvNote(rows: BenchRow[]): string[] {
  const pairs = rows.filter((r) => r.impl === jaxLaxConvImpl && Number.isFinite(r.throughput)).map((r) => {
    const gather = rows.find((g) => g.task === r.task && g.impl === jaxImpl)?.throughput ?? NaN;
    return `${r.task.split(' ')[0]} ${fmt(r.throughput)} GFLOP/s, ${(gather / r.throughput).toFixed(0)}× slower`;
  });
  return pairs.length ? [`jax-js convolutions are im2col gathers + \`np.matmul\` (its \`lax.conv\`, forward: ${pairs.join('; ')}).`] : [];
}

/** The fused-multiply-add GEMM (the 'wasm' backend on Node ≥ 22) against the unfused kernel, in words. */
function fusedNote(rows: BenchRow[]): string[] {
  const ratios = rows.filter((r) => r.impl === ourImpl(UNFUSED_BACKEND) && Number.isFinite(r.throughput)).map((r) => {
    const fused = rows.find((f) => f.task === r.task && f.impl === ourImpl('wasm'))?.throughput ?? NaN;
    return `${r.task} ${(fused / r.throughput).toFixed(2)}×`;
  });
  return ratios.length ? [`gibbsgrad/wasm fuses its GEMM's multiply-adds (relaxed SIMD); against the unfused kernel (${UNFUSED_BACKEND}, same run): ${ratios.join('; ')}.`] : [];
}

/** The commit measured, marked when the working tree had uncommitted changes. */
function revision(): string {
  try {
    const rev = execFileSync('git', ['describe', '--always', '--dirty=+uncommitted'], { encoding: 'utf8' }).trim();
    return `commit ${rev}`;
  } catch {
    return 'an unknown commit';
  }
}
