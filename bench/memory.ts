/**
 * `npm run bench:memory [-- --steps 2000 --every 250 --warmup 20 --tolerance 10 --backend name]`:
 * trains CNN1 (batch 64, SGD) for `steps` steps on the default backend and reports the resident set
 * (RSS), the V8 heap and the memory outside it (ArrayBuffers, WebAssembly memories) after warm-up,
 * every `every` steps and at the end. The resident set is "flat" when the median RSS of the later
 * half of the samples is within `tolerance` percent of the median of the earlier half. Medians,
 * because a single sample swings with whatever the allocator has not yet returned to the system:
 * a Node 24 run went 212 → 236 → 213 → 214 → 240 MB over its last five samples, with heap and
 * external memory flat, so comparing the last sample with the first called it growing. A leak of
 * one activation per step (≥ 1 MB at batch 64) would add gigabytes over 2,000 steps, far outside
 * either measure. Exits with status 1 when it is not flat.
 *
 * A reference-backend step takes seconds, so 2,000 steps take about an hour there: `--steps` runs a
 * shorter check. With `--expose-gc` (the npm script passes it) every sample follows a full GC, so
 * the heap numbers are live data rather than garbage that happens not to be collected yet.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { F, Rng, getBackend, listBackends, optim, randn, setBackend, tensor } from '../src/index.js';
import { cnn1 } from './cnn1.js';
import { machine } from './suite.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '2000' },
    every: { type: 'string', default: '250' },
    warmup: { type: 'string', default: '20' },
    tolerance: { type: 'string', default: '10' },
    batch: { type: 'string', default: '64' },
    backend: { type: 'string' },
  },
});

function positive(name: string, text: string, { allowZero = false } = {}): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) throw new Error(`bench:memory: --${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got '${text}'`);
  return v;
}
const steps = positive('steps', values.steps!);
const every = positive('every', values.every!);
const warmup = positive('warmup', values.warmup!, { allowZero: true });
const batch = positive('batch', values.batch!);
const tolerance = Number(values.tolerance);
if (!(tolerance >= 0)) throw new Error(`bench:memory: --tolerance must be a non-negative percentage, got '${values.tolerance}'`);
if (values.backend) setBackend(values.backend);

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;

interface Sample {
  step: number;
  rssMB: number;
  heapUsedMB: number;
  /** Memory V8 tracks outside its heap: ArrayBuffers (tensor data) and WebAssembly memories. */
  externalMB: number;
  seconds: number;
}

const rng = new Rng(0);
const model = cnn1(rng.fork());
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
// A few fixed batches in rotation: the loop allocates nothing but what a training step allocates.
const data = Array.from({ length: 4 }, () => ({
  x: randn([batch, 1, 32, 32], rng),
  y: tensor(Float32Array.from({ length: batch }, () => rng.int(10))),
}));

function step(i: number): void {
  const { x, y } = data[i % data.length];
  opt.zeroGrad();
  const loss = F.crossEntropy(model.forward(x), y);
  const value = loss.item();
  if (!Number.isFinite(value)) throw new Error(`bench:memory: the loss became ${value} at step ${i}`);
  loss.backward();
  opt.step();
}

const start = performance.now();
function sample(stepsDone: number): Sample {
  gc?.();
  const m = process.memoryUsage();
  const round = (v: number) => Math.round((v / MB) * 10) / 10;
  const s = { step: stepsDone, rssMB: round(m.rss), heapUsedMB: round(m.heapUsed), externalMB: round(m.external), seconds: Math.round((performance.now() - start) / 100) / 10 };
  console.log(`step ${String(s.step).padStart(5)}  RSS ${s.rssMB.toFixed(1).padStart(7)} MB  heap ${s.heapUsedMB.toFixed(1).padStart(6)} MB  external ${s.externalMB.toFixed(1).padStart(7)} MB  ${s.seconds.toFixed(1)} s`);
  return s;
}

console.log(`bench:memory: CNN1, batch ${batch}, ${steps} steps after ${warmup} warm-up steps, backend ${getBackend()} (available: ${listBackends().join(', ')})${gc ? '' : '; run with --expose-gc for post-GC heap numbers'}`);
for (let i = 0; i < warmup; i++) step(i);
const samples = [sample(0)];
// Ctrl-C (or a kill) ends the run early with a verdict over the steps done so far.
let stopped: string | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { stopped = signal; });
const t0 = performance.now();
let done = 0;
while (done < steps && !stopped) {
  step(warmup + ++done);
  if (done % every === 0 || done === steps) samples.push(sample(done));
  await new Promise((resolve) => setImmediate(resolve)); // lets a signal in between steps
}
if (stopped && samples[samples.length - 1].step !== done) samples.push(sample(done));
const imagesPerSecond = (done * batch) / ((performance.now() - t0) / 1000);

const first = samples[0];
const last = samples[samples.length - 1];
const peak = Math.max(...samples.map((s) => s.rssMB));
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const half = Math.ceil(samples.length / 2);
const [early, late] = [median(samples.slice(0, half).map((s) => s.rssMB)), median(samples.slice(half).map((s) => s.rssMB))];
const growth = ((late - early) / early) * 100;
const endToEnd = ((last.rssMB - first.rssMB) / first.rssMB) * 100;
const flat = samples.length < 2 || growth <= tolerance;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
const verdict = `bench:memory: ${flat ? 'FLAT' : 'GROWING'}: median RSS ${early.toFixed(1)} MB over the earlier half of the samples → ${late.toFixed(1)} MB over the later half (${signed(growth)}, tolerance ${tolerance} %); first and last sample ${first.rssMB.toFixed(1)} → ${last.rssMB.toFixed(1)} MB after ${done} steps${stopped ? ` (stopped by ${stopped} before ${steps})` : ''} (${signed(endToEnd)}, peak ${peak.toFixed(1)} MB); heap ${first.heapUsedMB.toFixed(1)} → ${last.heapUsedMB.toFixed(1)} MB, external ${first.externalMB.toFixed(1)} → ${last.externalMB.toFixed(1)} MB; ${imagesPerSecond.toFixed(1)} images/s on ${getBackend()}`;
console.log(verdict);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/memory.json', JSON.stringify({ date: new Date().toISOString(), machine: machine(), backend: getBackend(), batch, steps, stepsDone: done, stoppedBy: stopped, warmup, tolerance, flat, growthPercent: growth, endToEndPercent: endToEnd, imagesPerSecond, gc: Boolean(gc), samples }, null, 2));
if (!flat) process.exitCode = 1;
