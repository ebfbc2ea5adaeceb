/**
 * Epoch checkpoints of an experiment's training runs, so that an interrupted experiment (Ctrl-C,
 * crash) resumes where it stopped and ends with exactly the numbers of an uninterrupted run.
 *
 * The runner gives the experiment a folder (<out>/<name>/.progress/); each `train` call keeps one
 * file there, named after its label, rewritten atomically after every epoch. It holds everything
 * the remaining epochs depend on:
 *   - the network's parameters (float32, bit for bit) and the optimiser's buffers (Adam's moments,
 *     SGD's velocity) with its step count;
 *   - the state of the Rng that orders the batches (or of each Rng the run draws from), and of every
 *     Rng a module owns (Dropout masks);
 *   - the epoch logs and the record the experiment's afterEpoch returned for each epoch.
 * A fingerprint (options, parameter shapes, a hash of the initial parameters and of the data) is
 * stored with it: a checkpoint written by other code or for other data is ignored, never loaded.
 * Every byte of the file is under a checksum (src/layers/checkpoint.ts): a corrupted checkpoint is
 * reported through ctx.report and its run trains from the start, never resumes from it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { encodeCheckpoint } from '../layers/checkpoint.js';
import { readCheckpoint, writeAtomic } from '../node/checkpoint-file.js';
import type { Module } from '../layers/module.js';
import type { Optimizer } from '../layers/optim.js';
import type { EpochCheckpoint, EpochLog, Progress, TrainingLoop } from '../layers/loop.js';
import { Rng, type RngState } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExperimentContext, Mode } from './types.js';

// 2: the epoch logs count epochs from 1 (format 1's from 0), so a format-1 file is not resumed from.
const FORMAT = 2;

/** FNV-1a over 32-bit words: a cheap fingerprint of large float arrays (not a security hash). */
function hashWords(h: number, data: Float32Array): number {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

/** A fingerprint of float arrays (e.g. a stage's inputs), for deciding whether a saved result still applies. */
export function hashArrays(arrays: readonly Float32Array[]): string {
  return arrays.reduce((h, a) => hashWords(h, a), 0x811c9dc5).toString(16).padStart(8, '0');
}

function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * JSON loses NaN, ±Infinity (→ null) and −0 (→ 0). Records and logs go through these two walks so
 * that a resumed run's numbers are the interrupted run's, bit for bit.
 */
function toJsonSafe(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
  if (Array.isArray(v)) return v.map(toJsonSafe);
  if (ArrayBuffer.isView(v)) throw new Error(`train: afterEpoch records must be plain JSON data (arrays of numbers, not ${v.constructor.name})`);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonSafe(x)]));
  return v;
}

function fromJsonSafe(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJsonSafe);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$number') return o.$number === '-0' ? -0 : Number(o.$number);
    return Object.fromEntries(keys.map((k) => [k, fromJsonSafe(o[k])]));
  }
  return v;
}

/** Every Rng owned by a module of the tree (e.g. Dropout's), in a fixed order. */
function moduleRngs(m: Module): Rng[] {
  return m.rngs();
}

interface Meta {
  format: number;
  label: string;
  fingerprint: string;
  epochsDone: number;
  optimizer: { stepCount: number; lr: number };
  /** One state, or one per Rng when the run passed several (e.g. batch order, sampling, evaluation). */
  batchOrder: RngState | RngState[];
  moduleRngs: RngState[];
  logs: unknown;
  records: unknown;
}

/**
 * One training run's checkpoint file, for the training loop (src/layers/loop.ts): `restore` loads
 * it into the network, optimiser and Rngs if there is a valid one for this run and returns its
 * logs and records (null: start from the beginning); `save` writes the state after an epoch.
 */
export interface TrainingCheckpoint<R> extends EpochCheckpoint<R> {
  readonly path: string;
}

const labelsInUse = new WeakMap<ExperimentContext, Set<string>>();

/** What a training run's checkpoint holds and is fingerprinted by. */
export interface CheckpointedRun {
  net: Module;
  optimizer: Optimizer;
  /** The Rng (or each Rng) the run draws from: batch order, and e.g. sampling and evaluation. */
  batchOrder: Rng | readonly Rng[];
  data: { x: Tensor; y: Tensor; xTest: Tensor; yTest: Tensor };
  options: object;
  /** A checkpoint lacking a record for some epoch (null: an afterEpoch that returned nothing cannot be replayed) is ignored. */
  needRecords?: boolean;
}

/**
 * The part of the training loop (src/layers/loop.ts) an experiment's run `label` supplies besides
 * its steps: its name, model and optimiser, its checkpoint and its progress reports.
 */
export function experimentRun<R>(ctx: ExperimentContext, label: string, run: CheckpointedRun): Pick<TrainingLoop<R>, 'name' | 'model' | 'optimizer' | 'checkpoint' | 'onProgress'> {
  return { name: label, model: run.net, optimizer: run.optimizer, checkpoint: trainingCheckpoint<R>(ctx, label, run), onProgress: reportProgress(ctx, label) };
}

/**
 * The checkpoint of the training run `label` of this experiment, or null when the context has no
 * checkpoint folder (a direct call of run(), a test). Labels must be unique within an experiment.
 */
export function trainingCheckpoint<R>(ctx: ExperimentContext, label: string, run: CheckpointedRun): TrainingCheckpoint<R> | null {
  const used = labelsInUse.get(ctx) ?? new Set<string>();
  labelsInUse.set(ctx, used);
  if (used.has(label)) throw new Error(`train: the label '${label}' is used twice in one experiment; labels name the checkpoints, so each training run needs its own`);
  used.add(label);
  if (!ctx.checkpointDir) return null;
  const { net, optimizer, batchOrder, data, needRecords = false } = run;
  const rngs = moduleRngs(net);
  const params = net.namedParameters();
  let h = 0x811c9dc5;
  for (const [, p] of params) h = hashWords(h, p.data);
  for (const t of [data.x, data.y, data.xTest, data.yTest]) h = hashWords(h, t.data);
  const options = JSON.stringify(run.options, (_k, v) => (typeof v === 'function' ? undefined : v));
  const fingerprint = JSON.stringify({ options, params: params.map(([n, p]) => [n, p.shape]), data: [data.x.shape, data.xTest.shape], rngs: rngs.length, optimizer: optimizer.constructor.name, hash: h });
  const path = join(ctx.checkpointDir, `${label.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 60)}-${hashText(label)}.ckpt`);

  return {
    path,
    restore() {
      if (!existsSync(path)) return null;
      let state: Map<string, Tensor>;
      let meta: Meta;
      try {
        ({ state, meta } = readCheckpoint(path) as { state: Map<string, Tensor>; meta: Meta });
      } catch (e) {
        // Corrupted (every byte is checksummed), truncated or of an older format: resuming from
        // it could silently change the result, so this run trains from the start, and says so.
        ctx.report({ kind: 'stage', label: `${label}: the checkpoint cannot be used (${(e as Error).message}); training this run from the start` });
        return null;
      }
      if (meta?.format !== FORMAT || meta.label !== label || meta.fingerprint !== fingerprint) {
        // e.g. the options changed between two attempts: say so, rather than silently start over
        ctx.report({ kind: 'stage', label: `${label}: the checkpoint was saved by a run with other options, parameters or data; training this run from the start` });
        return null;
      }
      const logs = fromJsonSafe(meta.logs) as EpochLog[];
      const records = fromJsonSafe(meta.records) as R[];
      if (logs.length !== meta.epochsDone || records.length !== meta.epochsDone || meta.moduleRngs.length !== rngs.length) return null;
      if (needRecords && records.some((r) => r === null)) return null;
      const orderStates = meta.batchOrder;
      if (Array.isArray(batchOrder) !== Array.isArray(orderStates) || (Array.isArray(batchOrder) && batchOrder.length !== (orderStates as RngState[]).length)) return null;
      const model = new Map(params.map(([n]) => [n, state.get(`model.${n}`)!]));
      if ([...model.values()].some((t) => !t)) return null;
      const buffers = new Map([...state].filter(([k]) => k.startsWith('optim.')).map(([k, t]) => [k.slice('optim.'.length), t]));
      net.loadStateDict(model);
      optimizer.loadStateDict({ ...meta.optimizer, buffers });
      if (Array.isArray(batchOrder)) batchOrder.forEach((r, i) => r.setState((orderStates as RngState[])[i]));
      else (batchOrder as Rng).setState(orderStates as RngState);
      rngs.forEach((r, i) => r.setState(meta.moduleRngs[i]));
      return { logs, records };
    },
    save({ logs, records }) {
      const opt = optimizer.stateDict();
      const tensors = new Map<string, Tensor>([
        ...params.map(([n, p]) => [`model.${n}`, p] as [string, Tensor]),
        ...[...opt.buffers].map(([k, t]) => [`optim.${k}`, t] as [string, Tensor]),
      ]);
      const meta: Meta = {
        format: FORMAT, label, fingerprint, epochsDone: logs.length,
        optimizer: { stepCount: opt.stepCount, lr: opt.lr },
        batchOrder: Array.isArray(batchOrder) ? batchOrder.map((r) => r.getState()) : (batchOrder as Rng).getState(),
        moduleRngs: rngs.map((r) => r.getState()),
        logs: toJsonSafe(logs),
        records: toJsonSafe(records),
      };
      mkdirSync(ctx.checkpointDir!, { recursive: true });
      writeAtomic(path, encodeCheckpoint(tensors, meta, path));
    },
  };
}

/**
 * Prepares an experiment's checkpoint folder for a run of (mode, seed, unit): checkpoints of another
 * mode, seed or unit are deleted, matching ones are kept to resume from. Files not ours are left alone.
 */
export function openProgressFolder(dir: string, run: { mode: Mode; seed: number; unit?: string }): string {
  const stamp = join(dir, 'run.json');
  const wanted = JSON.stringify(run);
  if (existsSync(dir)) {
    let current = '';
    try {
      current = readFileSync(stamp, 'utf8');
    } catch {
      // no stamp: not ours to trust
    }
    if (current !== wanted) removeOwnFiles(dir);
  }
  mkdirSync(dir, { recursive: true });
  if (!existsSync(stamp)) writeAtomic(stamp, new TextEncoder().encode(wanted));
  return dir;
}

/** Removes the checkpoint folder once the experiment's result is written (kept if it holds files not ours). */
export function closeProgressFolder(dir: string): void {
  removeOwnFiles(dir);
  try {
    rmdirSync(dir);
  } catch (e) {
    if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

/**
 * The names gibbsgrad writes here: the stamp, the runner's elapsed.json (the seconds of earlier
 * attempts), the checkpoints (trainingCheckpoint's, and any an experiment keeps itself, e.g.
 * bayes-prior's foe.ckpt) and writeAtomic's temporaries of them.
 */
const OWN_NAME = String.raw`(run\.json|elapsed\.json|[^/\\]+\.ckpt)`;
const OWN_FILE = new RegExp(`^${OWN_NAME}$|^\\.${OWN_NAME}\\..+\\.tmp$`);

/** Deletes only what this module wrote into `dir`: a user's file placed there survives. */
function removeOwnFiles(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) if (e.isFile() && OWN_FILE.test(e.name)) rmSync(join(dir, e.name), { force: true });
}

/** The training loop's progress as the runner's events for the run `label`. */
export function reportProgress(ctx: ExperimentContext, label: string): (p: Progress) => void {
  return (p) => {
    if (p.kind === 'batch') ctx.report({ kind: 'batch', batch: p.batch, batches: p.batches });
    else if (p.kind === 'resumed') ctx.report({ kind: 'stage', label: `${label}: resumed after epoch ${p.epochsDone}/${p.epochs}` });
    else ctx.report({ kind: 'epoch', label, epoch: p.log.epoch, epochs: p.epochs, loss: p.log.loss, accuracy: p.log.valAccuracy });
  };
}
