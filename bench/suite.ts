/**
 * A thin layer over benny: each case declares the work one call does (FLOPs or elements), so the
 * table reports throughput (GFLOP/s, Melem/s) and, where a case names a peer, the ratio to it.
 * Results go to bench/results/<suite>.json; the markdown table goes to stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import b from 'benny';

export interface BenchCase {
  name: string;
  /** What the case measures, shared by the engine's case and its peers (the row of the table). */
  task: string;
  /** Who runs it: 'gibbsgrad/reference', 'tfjs-cpu', … */
  impl: string;
  /** Work per call, in `unit`s (FLOPs, elements, images). */
  work: number;
  unit: 'GFLOP/s' | 'Melem/s' | 'images/s';
  fn: () => unknown;
}

export interface BenchRow {
  task: string;
  impl: string;
  opsPerSec: number;
  throughput: number;
  unit: BenchCase['unit'];
  margin: number;
}

const scale = { 'GFLOP/s': 1e9, 'Melem/s': 1e6, 'images/s': 1 } as const;

export async function runSuite(name: string, cases: BenchCase[], { maxTime = 1.5 } = {}): Promise<BenchRow[]> {
  const summary = await b.suite(
    name,
    ...cases.map((c) => b.add(c.name, c.fn)),
    b.configure({ cases: { maxTime, minSamples: 3 } }),
  );
  const rows = summary.results.map((r, i) => {
    const c = cases[i];
    return { task: c.task, impl: c.impl, opsPerSec: r.ops, throughput: (r.ops * c.work) / scale[c.unit], unit: c.unit, margin: r.margin };
  });
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, JSON.stringify({ suite: name, date: new Date().toISOString(), node: process.version, rows }, null, 2));
  return rows;
}

/** Markdown: one row per task, one column per implementation, ratios against `baseline`. */
export function table(rows: BenchRow[], baseline?: string): string {
  const impls = [...new Set(rows.map((r) => r.impl))];
  const tasks = [...new Set(rows.map((r) => r.task))];
  const peers = impls.filter((i) => i !== baseline);
  const head = ['task', ...impls, ...(baseline ? peers.map((p) => `${baseline.split('/').pop()} / ${p}`) : [])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const task of tasks) {
    const by = new Map(rows.filter((r) => r.task === task).map((r) => [r.impl, r]));
    const cells = impls.map((i) => (by.has(i) ? `${fmt(by.get(i)!.throughput)} ${by.get(i)!.unit}` : '—'));
    const base = baseline ? by.get(baseline) : undefined;
    const ratios = baseline ? peers.map((p) => (base && by.has(p) ? `${(base.throughput / by.get(p)!.throughput).toFixed(2)}×` : '—')) : [];
    lines.push(`| ${[task, ...cells, ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
