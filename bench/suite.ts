/**
 * A thin layer over benny: each case declares the work one call does (FLOPs or elements), so the
 * table reports throughput (GFLOP/s, Melem/s, images/s) and the ratio of our backends to the peers.
 * Results go to bench/results/<suite>.json; the markdown table goes to stdout.
 *
 * How a case is timed. Every case first runs one untimed warm-up call: it pays one-time costs
 * (JIT, TF.js wasm packing the weights for XNNPACK, lazy worker start) that a training loop pays
 * once, not per step. Then:
 * - a fast case (warm-up call < `slowCall` seconds) goes to benny, which repeats it for `maxTime`
 *   seconds and reports the mean and its 95 % margin;
 * - a slow case (e.g. a TF.js cpu training step, several seconds per call) would make benny's
 *   sampling take minutes, so a plain loop times whole calls one by one until `slowBudget`
 *   seconds have passed, with at least `slowSamples` calls. The mean is honest; its margin (from
 *   Student's t on so few samples) is wide and is reported as such in the JSON;
 * - a very slow case, whose warm-up call alone outlasted `slowBudget` (TF.js cpu's
 *   Conv2DBackpropFilter: a minute or more per CNN1 step), reports that one call: its one-time
 *   costs are negligible next to it, and repeating it would stretch the run by minutes per case.
 * An external case (PyTorch, in a Python subprocess: bench/torch.ts) times itself by the same
 * rules, with batches of calls in place of benny, and reports its mean.
 * No timing is asserted anywhere.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import b from 'benny';

export type Unit = 'GFLOP/s' | 'Melem/s' | 'images/s';

/** What `prepare` returns: the call to time and what to free afterwards (e.g. TF.js tensors). */
export interface Prepared {
  fn: () => unknown;
  dispose?: () => void;
}

interface CaseInfo {
  name: string;
  /** What the case measures, shared by the engine's case and its peers (the row of the table). */
  task: string;
  /** Who runs it: 'gibbsgrad/reference', 'tfjs-cpu', … (the column of the table). */
  impl: string;
  /** Work per call, in `unit`s (FLOPs, elements, images). */
  work: number;
  unit: Unit;
  /**
   * A peer that lacks a kernel (TF.js wasm has no Conv2DBackpropFilter) shows "n/a" with the error
   * instead of stopping the run. Our own cases leave this unset: their errors are bugs.
   */
  mayBeUnsupported?: boolean;
}

/** What an external case reports: mean seconds per call, its 95 % margin in percent (NaN: none), how timed. */
export interface ExternalTiming {
  seconds: number;
  margin: number;
  samples: number;
  method: 'once' | 'loop' | 'batches';
}

/** Timing options with their defaults filled in (what an external case receives). */
export type TimingOptions = Required<Pick<RunOptions, 'maxTime' | 'slowCall' | 'slowBudget' | 'slowSamples'>>;

/**
 * `fn` is timed as is; `prepare` runs just before the case (e.g. to switch the TF.js backend and
 * create the inputs on it) and is not timed; `external` times the case elsewhere (another
 * process) with the suite's options and reports the result.
 */
export type BenchCase = CaseInfo &
  ({ fn: () => unknown } | { prepare: () => Prepared | Promise<Prepared> } | { external: (timing: TimingOptions) => Promise<ExternalTiming> });

/** The note of a peer that is not installed here (e.g. PyTorch); its cells say just that. */
export const NOT_INSTALLED = 'not installed';

export interface BenchRow {
  task: string;
  impl: string;
  /** Calls per second; NaN when the implementation cannot run the task. */
  opsPerSec: number;
  throughput: number;
  unit: Unit;
  /** Relative margin of error of the mean (95 %), in percent. */
  margin: number;
  samples: number;
  /** 'batches': an external case's batches of calls (benny's counterpart). */
  method: 'benny' | 'loop' | 'once' | 'batches' | 'unsupported';
  /** Why the implementation cannot run the task. */
  note?: string;
}

export interface RunOptions {
  /** benny's time budget per fast case, seconds. */
  maxTime?: number;
  /** A warm-up call slower than this (seconds) sends the case to the plain loop. */
  slowCall?: number;
  /** Time budget of the plain loop, seconds. */
  slowBudget?: number;
  /** Fewest timed calls of the plain loop. */
  slowSamples?: number;
  /** Write bench/results/<suite>.json (default true). */
  write?: boolean;
  /** Print each result as it comes (default true). */
  log?: boolean;
  /** Extra fields for the JSON file (e.g. the machine). */
  meta?: Record<string, unknown>;
}

const scale: Record<Unit, number> = { 'GFLOP/s': 1e9, 'Melem/s': 1e6, 'images/s': 1 };

export async function runSuite(name: string, cases: BenchCase[], opts: RunOptions = {}): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of cases) {
    const row = await runCase(name, c, opts);
    const spread = Number.isFinite(row.margin) ? ` ±${row.margin.toFixed(1)}%` : '';
    const shown = row.method === 'unsupported' ? `n/a (${row.note})` : `${fmt(row.throughput)} ${row.unit}${spread} (${row.method}, ${row.samples} sample${row.samples > 1 ? 's' : ''})`;
    if (opts.log ?? true) console.log(`  ${c.task} — ${c.impl}: ${shown}`);
    rows.push(row);
  }
  if (opts.write ?? true) {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/${name}.json`, JSON.stringify({ suite: name, date: new Date().toISOString(), machine: machine(), ...opts.meta, rows }, null, 2));
  }
  return rows;
}

async function runCase(suite: string, c: BenchCase, opts: RunOptions): Promise<BenchRow> {
  const { maxTime = 1.5, slowCall = 0.25, slowBudget = 4, slowSamples = 2 } = opts;
  const base = { task: c.task, impl: c.impl, unit: c.unit };
  if ('external' in c) {
    let t: ExternalTiming;
    try {
      t = await c.external({ maxTime, slowCall, slowBudget, slowSamples });
    } catch (e) {
      if (!c.mayBeUnsupported) throw e;
      return unsupported(base, e);
    }
    return { ...base, opsPerSec: 1 / t.seconds, throughput: c.work / t.seconds / scale[c.unit], margin: t.margin, samples: t.samples, method: t.method };
  }
  let prepared: Prepared;
  try {
    prepared = 'prepare' in c ? await c.prepare() : { fn: c.fn };
  } catch (e) {
    if (!c.mayBeUnsupported) throw e;
    return unsupported(base, e);
  }
  try {
    const t0 = performance.now();
    try {
      prepared.fn();
    } catch (e) {
      if (!c.mayBeUnsupported) throw e;
      return unsupported(base, e);
    }
    const warmup = (performance.now() - t0) / 1000;
    if (warmup >= slowBudget && warmup >= slowCall) {
      return { ...base, opsPerSec: 1 / warmup, throughput: c.work / warmup / scale[c.unit], margin: NaN, samples: 1, method: 'once' };
    }
    if (warmup >= slowCall) {
      const times: number[] = [];
      const start = performance.now();
      while (times.length < slowSamples || (performance.now() - start) / 1000 < slowBudget) {
        const t = performance.now();
        prepared.fn();
        times.push((performance.now() - t) / 1000);
      }
      const mean = times.reduce((s, t) => s + t, 0) / times.length;
      return { ...base, opsPerSec: 1 / mean, throughput: c.work / mean / scale[c.unit], margin: marginOfMean(times), samples: times.length, method: 'loop' };
    }
    const summary = await b.suite(`${suite}: ${c.name}`, b.add(c.name, prepared.fn), b.configure({ cases: { maxTime, minSamples: 3 } }));
    const r = summary.results[0];
    // benny's summary rounds `ops` (to integers when it can): 22 calls/s would read 22 whether the
    // mean call took 44.6 or 46.5 ms. The mean of its samples is not rounded.
    const ops = 1 / r.details.mean;
    return { ...base, opsPerSec: ops, throughput: (ops * c.work) / scale[c.unit], margin: r.margin, samples: r.samples, method: 'benny' };
  } finally {
    prepared.dispose?.();
  }
}

function unsupported(base: Pick<BenchRow, 'task' | 'impl' | 'unit'>, e: unknown): BenchRow {
  const note = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return { ...base, opsPerSec: NaN, throughput: NaN, margin: NaN, samples: 0, method: 'unsupported', note };
}

/** 95 % margin of the mean in percent, with Student's t for the few samples of the plain loop. */
export function marginOfMean(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const t = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23][n - 2] ?? 1.96;
  return ((t * sd) / Math.sqrt(n) / mean) * 100;
}

/** The machine, for the JSON and the README: CPU, cores, memory, Node, and the load when the run began. */
export function machine(): { cpu: string; cores: number; memoryGB: number; node: string; platform: string; loadAverage: number[] } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/**
 * Markdown: one row per task, one column per implementation, then one ratio column per (ours, peer)
 * pair, where `ours` lists our implementations (a single baseline name is accepted too) and
 * `ratio(ours, peer)`, when given, picks the pairs that get a column. A task an implementation
 * cannot run shows "n/a" with a numbered footnote giving the reason ("not installed" for a peer
 * missing here), one it was not asked to run "—". A training step (images/s) also shows its ms.
 */
export function table(rows: BenchRow[], ours?: string | readonly string[], ratio: (ours: string, peer: string) => boolean = () => true): string {
  const mine = ours === undefined ? [] : typeof ours === 'string' ? [ours] : [...ours];
  const impls = [...new Set(rows.map((r) => r.impl))];
  const tasks = [...new Set(rows.map((r) => r.task))];
  const peers = impls.filter((i) => !mine.includes(i));
  const pairs = mine.filter((m) => impls.includes(m)).flatMap((m) => peers.filter((p) => ratio(m, p)).map((p) => [m, p] as const));
  const short = (impl: string) => impl.split('/').pop();
  const head = ['task', ...impls, ...pairs.map(([m, p]) => `${short(m)} / ${short(p)}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const notes: string[] = [];
  const footnote = (note: string) => {
    if (!notes.includes(note)) notes.push(note);
    return notes.indexOf(note) + 1;
  };
  for (const task of tasks) {
    const by = new Map(rows.filter((r) => r.task === task).map((r) => [r.impl, r]));
    const cells = impls.map((i) => {
      const r = by.get(i);
      if (!r) return '—';
      if (r.method === 'unsupported') return r.note === NOT_INSTALLED ? NOT_INSTALLED : `n/a [${footnote(`${i}: ${r.note}`)}]`;
      return `${fmt(r.throughput)} ${r.unit}${r.unit === 'images/s' ? `, ${fmt(1000 / r.opsPerSec)} ms` : ''}`;
    });
    const ratios = pairs.map(([m, p]) => {
      const a = by.get(m)?.throughput ?? NaN;
      const z = by.get(p)?.throughput ?? NaN;
      return Number.isFinite(a) && Number.isFinite(z) ? `${(a / z).toFixed(2)}×` : by.get(p)?.method === 'unsupported' ? 'n/a' : '—';
    });
    lines.push(`| ${[task, ...cells, ...ratios].join(' | ')} |`);
  }
  if (notes.length) lines.push('', ...notes.map((n, i) => `- [${i + 1}] ${n}`));
  return lines.join('\n');
}

export function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2);
}
