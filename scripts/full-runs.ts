/**
 * Works through docs/results/plan.json: every (experiment, seed, unit) of full mode that has no run
 * committed under docs/results/<name>/runs/ is run with the CLI, one at a time, and its run file is
 * copied into docs/results as soon as it finishes and the README's claims table regenerated
 * (commit both then). An interrupted run resumes from its epoch checkpoints in the work folder
 * when the script is started again; runs already in docs/results are never redone. Two processes
 * can share the plan: `--worker 1/2` and `--worker 2/2` take alternate items (each in its own work
 * folder; the runs a unit reads, such as a learned prior, are copied in from docs/results first).
 *
 *   npm run full-runs -- --list                  what is planned and what is still missing
 *   GIBBSGRAD_THREADS=1 npm run full-runs -- --worker 1/2 --work /tmp/full-1
 *   npm run full-runs -- --only weight-correlation,energy-min
 *   npm run full-runs -- --only dcim-cnn --units weights-eq21,weights-eq22
 *   npm run full-runs -- --node /tmp/node24/node_modules/.bin/node   (npm install --prefix /tmp/node24 node@24)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { findExperiment } from '../src/experiments/index.js';
import { readmeClaimsBlock, replaceClaimsBlock } from '../src/report/readme-claims.js';
import { runFile } from '../src/report/runner.js';

interface PlanItem {
  name: string;
  seeds: number[];
  /** Only these units for these seeds (seeds spent on one claim of an experiment with `unitClaims`). */
  units?: string[];
  note?: string;
}

const root = join(fileURLToPath(import.meta.url), '..', '..');
const results = join(root, 'docs', 'results');

const program = new Command()
  .option('--plan <file>', 'the plan', join(results, 'plan.json'))
  .option('--work <dir>', 'the results folder the CLI runs in (checkpoints live there)', join(root, 'results-full'))
  .option('--worker <k/n>', 'take items k, k + n, k + 2n, … of the missing ones', '1/1')
  .option('--only <names>', 'comma-separated experiment names')
  .option('--units <names>', 'comma-separated unit names: only these units, in this order (e.g. the shorter ones before a session ends)')
  .option('--cli <file>', "the CLI to run (e.g. a clean worktree's dist/cli.js, so that runs record a clean commit)", join(root, 'dist', 'cli.js'))
  .option('--node <binary>', 'the Node that runs the CLI (e.g. node_modules/.bin/node of npm\'s node@24 package: its V8 and the fused GEMM make steps 1.2–1.4× faster than Node 20)', process.execPath)
  .option('--list', 'print the planned runs and which are missing, run nothing')
  .parse();
const opts = program.opts<{ plan: string; work: string; worker: string; cli: string; node: string; only?: string; units?: string; list?: boolean }>();

const match = /^([0-9]+)\/([0-9]+)$/.exec(opts.worker);
if (!match || +match[1] < 1 || +match[1] > +match[2]) throw new Error(`--worker must be k/n with 1 ≤ k ≤ n, got '${opts.worker}'`);
const [k, n] = [+match[1], +match[2]];

const plan = JSON.parse(readFileSync(opts.plan, 'utf8')) as PlanItem[];
const only = opts.only?.split(',');
const onlyUnits = opts.units?.split(',');
const items = plan
  .filter((p) => !only || only.includes(p.name))
  .flatMap((p) => {
    const exp = findExperiment(p.name);
    const all: readonly (string | undefined)[] = exp.units ? exp.units('full') : [undefined];
    const unknown = p.units?.filter((u) => !all.includes(u));
    if (unknown?.length) throw new Error(`${opts.plan}: ${p.name} has no full-mode unit ${unknown.join(', ')} (units: ${all.join(', ') || 'none'})`);
    if (p.units && !exp.unitClaims) throw new Error(`${opts.plan}: ${p.name} lists units for seeds ${p.seeds.join(', ')}, but its claims may read several units, so those runs would never count`);
    const units = p.units ?? all;
    return p.seeds.flatMap((seed) => units.map((unit) => ({ name: p.name, seed, unit })));
  })
  .filter((it) => !onlyUnits || (it.unit !== undefined && onlyUnits.includes(it.unit)))
  .sort((a, b) => (onlyUnits ? onlyUnits.indexOf(a.unit!) - onlyUnits.indexOf(b.unit!) : 0));
const committed = (it: { name: string; seed: number; unit?: string }) => existsSync(runFile(results, it.name, { mode: 'full', ...it }));
const missing = items.filter((it) => !committed(it));
const label = (it: { name: string; seed: number; unit?: string }) => `${it.name} seed ${it.seed}${it.unit ? ` unit ${it.unit}` : ''}`;

if (opts.list) {
  for (const it of items) console.log(`${committed(it) ? 'done   ' : 'missing'} ${label(it)}`);
  console.log(`${items.length - missing.length} of ${items.length} planned runs committed`);
  process.exit(0);
}

const mine = missing.filter((_, i) => i % n === k - 1);
console.log(`worker ${k}/${n}: ${mine.length} of ${missing.length} missing runs`);
for (const it of mine) {
  // the runs this one may read (another unit of the same seed) come from docs/results
  const from = join(results, it.name, 'runs');
  const to = join(opts.work, it.name, 'runs');
  if (existsSync(from)) {
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(from)) if (f.endsWith('.json') && !existsSync(join(to, f))) copyFileSync(join(from, f), join(to, f));
  }
  if (committed(it)) continue; // the other worker finished it meanwhile
  console.log(`== ${new Date().toISOString()} ${label(it)}`);
  const args = [opts.cli, 'run', it.name, '--full', '--seed', String(it.seed), '--out', opts.work, ...(it.unit ? ['--unit', it.unit] : [])];
  const r = spawnSync(opts.node, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${label(it)}: the CLI exited with ${r.status ?? r.signal}; stopping (start again to resume)`);
    process.exit(1);
  }
  const file = runFile(opts.work, it.name, { mode: 'full', ...it });
  mkdirSync(from, { recursive: true });
  // on one line whatever the CLI's version wrote (runs are committed; their figures inline data)
  writeFileSync(runFile(results, it.name, { mode: 'full', ...it }), JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))));
  // the README's claims table follows docs/results (test/report/readme-claims.test.ts checks it)
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  writeFileSync(readme, replaceClaimsBlock(text, readmeClaimsBlock(results)));
  console.log(`== ${new Date().toISOString()} ${label(it)} done → docs/results, README claims table regenerated (commit both)`);
}
