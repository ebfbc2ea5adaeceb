// The resume path: an experiment interrupted after some epoch resumes from its epoch checkpoint and
// ends with exactly the numbers of an uninterrupted run (same seed).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Dropout, Linear, ReLU, Sequential } from '../../src/layers/layers.js';
import { Adam, SGD } from '../../src/layers/optim.js';
import { findExperiment } from '../../src/experiments/index.js';
import { train } from '../../src/experiments/common.js';
import { buildDcimCnn, dcimCnnSpec } from '../../src/experiments/dcim-cnn.js';
import { trainDcim } from '../../src/experiments/dcim-common.js';
import type { Experiment, ExperimentContext, ExperimentEvent, ExperimentResult } from '../../src/experiments/types.js';
import { runExperiment } from '../../src/report/runner.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'gg-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An experiment whose result is just the metrics `measure` returns (no claims, no figures). */
function probeExperiment(name: string, title: string, measure: (ctx: ExperimentContext) => Record<string, unknown>): Experiment {
  return {
    name, title, paper: '—',
    run(ctx) {
      return { data: 'random', metrics: measure(ctx), claims: [], figures: [] };
    },
  };
}

/** Two training runs (with dropout, so module-owned Rngs matter), records with NaN and −0, and a draw from ctx.rng afterwards. */
const probeMeasure = (secondLr: number) => (ctx: ExperimentContext) => {
  const dataRng = ctx.rng.fork();
  const x = randn([96, 6], dataRng);
  const y = new Tensor(Float32Array.from({ length: 96 }, (_, i) => (x.data[i * 6] + x.data[i * 6 + 1] > 0 ? 1 : 0) + (i % 3 === 0 ? 2 : 0)), [96]);
  const data = { x, y, xTest: x, yTest: y };
  const net = new Sequential(new Linear(6, 16, { rng: ctx.rng.fork() }), new ReLU(), new Dropout(0.3, { rng: ctx.rng.fork() }), new Linear(16, 4, { rng: ctx.rng.fork() }));
  const records: unknown[] = [];
  const measure = (epoch: number) => ({ epoch, firstWeight: net.parameters()[0].data[0], odd: [NaN, -0, Infinity] });
  const keep = (r: ReturnType<typeof measure>) => (records.push(r), r);
  const first = train(ctx, 'first', net, data, { epochs: 3, lr: 0.01, batchSize: 16, afterEpoch: (l, restored) => keep(restored ?? measure(l.epoch)) });
  const second = train(ctx, 'second', net, data, { epochs: 4, lr: secondLr, batchSize: 8, weightDecay: 0.01, optimizer: 'sgd', momentum: 0.9 });
  const strip = (logs: { seconds: number }[]) => logs.map(({ seconds: _s, ...rest }) => rest);
  return { first: strip(first), second: strip(second), records, weights: net.parameters().map((p) => [...p.data]), after: ctx.rng.uniform() };
};
const probe = probeExperiment('resume-probe', 'resume probe', probeMeasure(0.005));

/** trainDcim with objective (22): its batch order, x^{d−1} draws and evaluation draws must all resume. */
const dcimProbe = probeExperiment('resume-dcim-probe', 'resume probe for trainDcim', (ctx) => {
  const dataRng = ctx.rng.fork();
  const n = 24;
  const image = () => Float32Array.from({ length: n * 784 }, () => +(dataRng.uniform() < 0.3));
  const labels = () => Float32Array.from({ length: n }, (_, i) => i % 10);
  const data = { xTrain: new Tensor(image(), [n, 784]), yTrain: new Tensor(labels(), [n]), xTest: new Tensor(image(), [n, 784]), yTest: new Tensor(labels(), [n]) };
  const model = buildDcimCnn(dcimCnnSpec(2, 3, 6), ctx.rng.fork());
  // larger weights, so that the reverse loss depends on the x^{d−1} draws (at the default scale only in its 7th digit)
  for (const p of model.parameters()) p.data.forEach((v, i) => (p.data[i] = 4 * v));
  const log = trainDcim(ctx, 'dcim', model, data, { objective: 'eq22', epochs: 3, lr: 0.01, batchSize: 8 });
  return { log, weights: model.parameters().map((p) => [...p.data]), after: ctx.rng.uniform() };
});

async function interrupted(exp: Experiment, outDir: string, seed: number, stopAt: (e: ExperimentEvent) => boolean): Promise<void> {
  const stop = new Error('interrupted by the test');
  await expect(runExperiment(exp, { mode: 'tiny', seed, outDir, onEvent: (_n, e) => { if (stopAt(e)) throw stop; } })).rejects.toBe(stop);
  expect(existsSync(join(outDir, exp.name, 'result.json'))).toBe(false);
}

function resumedRun(exp: Experiment, outDir: string, seed: number) {
  const events: ExperimentEvent[] = [];
  return runExperiment(exp, { mode: 'tiny', seed, outDir, onEvent: (_n, e) => { if (e.kind !== 'batch') events.push(e); } }).then(({ result, reused }) => ({ result, reused, events }));
}

/** Metrics without wall times (the only thing allowed to differ). */
function numbers(r: ExperimentResult): string {
  return JSON.stringify(r.metrics, (k, v) => (k === 'seconds' ? undefined : typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v));
}

describe('resume from epoch checkpoints', () => {
  it('an experiment interrupted inside its second training run resumes it and matches an uninterrupted run bit for bit', async () => {
    const whole = await runExperiment(probe, { mode: 'tiny', seed: 3, outDir: join(root, 'whole') });
    const dir = join(root, 'cut-second');
    await interrupted(probe, dir, 3, (e) => e.kind === 'epoch' && e.label === 'second' && e.epoch === 2);
    const files = readdirSync(join(dir, probe.name, '.progress'));
    expect(files.filter((f) => f.endsWith('.ckpt'))).toHaveLength(2);
    const again = await resumedRun(probe, dir, 3);
    expect(again.reused).toBe(false);
    expect(numbers(again.result)).toBe(numbers(whole.result));
    // the finished run was restored, the unfinished one continued after epoch 2
    const epochs = again.events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && `${e.label} ${e.epoch}`);
    expect(epochs).toEqual(['second 3', 'second 4']);
    expect(again.events.some((e) => e.kind === 'stage' && e.label === 'first: resumed after epoch 3/3')).toBe(true);
    expect(existsSync(join(dir, probe.name, '.progress'))).toBe(false); // cleaned when finished
  });

  it('replays afterEpoch records when interrupted inside the first run (NaN, −0 and ∞ survive)', async () => {
    const whole = await runExperiment(probe, { mode: 'tiny', seed: 4, outDir: join(root, 'whole4') });
    const dir = join(root, 'cut-first');
    await interrupted(probe, dir, 4, (e) => e.kind === 'epoch' && e.label === 'first' && e.epoch === 1);
    const again = await resumedRun(probe, dir, 4);
    expect(numbers(again.result)).toBe(numbers(whole.result));
    const odd = (again.result.metrics.records as { odd: number[] }[])[0].odd;
    expect(Object.is(odd[0], NaN) && Object.is(odd[1], -0) && odd[2] === Infinity).toBe(true);
  });

  /** Changes a digit of the first number after the markers (each found after the previous one), keeping the JSON valid. */
  function changeDigitAfter(file: string, markers: readonly string[]): void {
    const bytes = readFileSync(file);
    let i = 0;
    for (const marker of markers) {
      i = bytes.indexOf(marker, i);
      expect(i).toBeGreaterThan(0);
      i += marker.length;
    }
    const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
    while (!isDigit(bytes[i])) i++;
    while (isDigit(bytes[i + 1])) i++; // the last digit of the run: a 32-bit integer stays in range
    bytes[i] = bytes[i] === 0x39 ? 0x38 : bytes[i] + 1;
    writeFileSync(file, bytes);
  }

  it.each([
    ['a digit of an afterEpoch record of the finished first run', 'first', ['"firstWeight":'], ['first 1', 'first 2', 'first 3', 'second 3', 'second 4'], 'second: resumed after epoch 2/4'],
    ['a digit of the batch-order Rng state of the unfinished second run', 'second', ['"batchOrder":', '"generator":['], ['second 1', 'second 2', 'second 3', 'second 4'], 'first: resumed after epoch 3/3'],
  ] as const)('a progress checkpoint with %s is reported, that run trains from the start, and the result is an uninterrupted run\'s', async (_what, label, marker, epochs, otherRun) => {
    const whole = await runExperiment(probe, { mode: 'tiny', seed: 9, outDir: join(root, `whole9-${label}`) });
    const dir = join(root, `corrupt-${label}`);
    await interrupted(probe, dir, 9, (e) => e.kind === 'epoch' && e.label === 'second' && e.epoch === 2);
    const progress = join(dir, probe.name, '.progress');
    const file = readdirSync(progress).find((f) => f.startsWith(`${label}-`) && f.endsWith('.ckpt'))!;
    changeDigitAfter(join(progress, file), marker);
    const again = await resumedRun(probe, dir, 9);
    const stages = again.events.flatMap((e) => (e.kind === 'stage' ? [e.label] : []));
    expect(stages).toContain(otherRun);
    const reported = stages.filter((s) => s.startsWith(`${label}: `));
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(`${label}: the checkpoint cannot be used (loadCheckpoint: ${join(progress, file)}: the header (bytes 24–`);
    expect(reported[0]).toMatch(/, parameter list and meta data\) is corrupted: .*\); training this run from the start$/);
    expect(again.events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && `${e.label} ${e.epoch}`)).toEqual(epochs);
    expect(numbers(again.result)).toBe(numbers(whole.result));
  });

  it('a checkpoint saved with other options is reported, and that run trains from the start to the new options\' result', async () => {
    const changed = probeExperiment('resume-probe', 'resume probe', probeMeasure(0.004)); // the second run's lr changed
    const whole = await runExperiment(changed, { mode: 'tiny', seed: 8, outDir: join(root, 'whole8-changed') });
    const dir = join(root, 'changed-options');
    await interrupted(probe, dir, 8, (e) => e.kind === 'epoch' && e.label === 'second' && e.epoch === 2);
    const again = await resumedRun(changed, dir, 8);
    const stages = again.events.flatMap((e) => (e.kind === 'stage' ? [e.label] : []));
    expect(stages).toEqual(['first: resumed after epoch 3/3', 'second: the checkpoint was saved by a run with other options, parameters or data; training this run from the start']);
    expect(again.events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && `${e.label} ${e.epoch}`)).toEqual(['second 1', 'second 2', 'second 3', 'second 4']);
    expect(numbers(again.result)).toBe(numbers(whole.result));
  });

  it('ignores checkpoints of another seed', async () => {
    const dir = join(root, 'other-seed');
    await interrupted(probe, dir, 5, (e) => e.kind === 'epoch' && e.label === 'second' && e.epoch === 1);
    const whole = await runExperiment(probe, { mode: 'tiny', seed: 6, outDir: join(root, 'whole6') });
    const other = await resumedRun(probe, dir, 6);
    expect(other.events.some((e) => e.kind === 'stage')).toBe(false);
    expect(numbers(other.result)).toBe(numbers(whole.result));
  });

  it('a registered experiment (energy-min, tiny) interrupted after epoch 1 resumes to the same metrics', async () => {
    const exp = findExperiment('energy-min');
    const whole = await runExperiment(exp, { mode: 'tiny', seed: 7, outDir: join(root, 'em-whole') });
    const dir = join(root, 'em-cut');
    await interrupted(exp, dir, 7, (e) => e.kind === 'epoch' && e.epoch === 1);
    const again = await resumedRun(exp, dir, 7);
    // the CNN's epoch 2 continues; the MLP (Fig. 23's second row) then trains from its start
    expect(again.events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && `${e.label} ${e.epoch}`)).toEqual(['CNN 2', 'MLP 1', 'MLP 2']);
    expect(numbers(again.result)).toBe(numbers(whole.result));
    expect(again.result.claims).toEqual(whole.result.claims);
  }, 60_000);

  it('trainDcim (objective 22, three Rngs) interrupted after epoch 2 resumes to the same numbers bit for bit', async () => {
    const whole = await runExperiment(dcimProbe, { mode: 'tiny', seed: 8, outDir: join(root, 'dcim-whole') });
    const dir = join(root, 'dcim-cut');
    await interrupted(dcimProbe, dir, 8, (e) => e.kind === 'epoch' && e.epoch === 2);
    const again = await resumedRun(dcimProbe, dir, 8);
    expect(again.events.some((e) => e.kind === 'stage' && e.label === 'dcim: resumed after epoch 2/3')).toBe(true);
    expect(again.events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && e.epoch)).toEqual([3]);
    expect(numbers(again.result)).toBe(numbers(whole.result));
  }, 60_000);

  it('rejects a label used twice in one experiment', () => {
    const rng = new Rng(0);
    const ctx = { mode: 'tiny' as const, seed: 0, rng, report: () => {} };
    const net = new Sequential(new Linear(2, 2, { rng }));
    const data = { x: randn([4, 2], rng), y: new Tensor(new Float32Array([0, 1, 0, 1]), [4]), xTest: randn([4, 2], rng), yTest: new Tensor(new Float32Array([0, 1, 0, 1]), [4]) };
    train(ctx, 'a', net, data, { epochs: 1, batchSize: 2 });
    expect(() => train(ctx, 'a', net, data, { epochs: 1, batchSize: 2 })).toThrow(/train: the label 'a' is used twice/);
  });
});

describe('state snapshots for resuming', () => {
  it('an Rng set to another\'s state draws the same numbers (uniform, normal with a spare value)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(20), (seed, skip) => {
        const a = new Rng(seed);
        for (let i = 0; i < skip; i++) a.normal();
        const b = Rng.fromState(JSON.parse(JSON.stringify(a.getState())));
        const draws = (r: Rng) => [r.normal(), r.uniform(), r.normal(), r.int(1000)];
        expect(draws(b)).toEqual(draws(a));
      }),
    );
    expect(() => new Rng(0).setState({ seed: 0, generator: [1, 2], spareNormal: null })).toThrow(/Rng.setState: generator must be four 32-bit integers/);
  });

  it.each([
    ['Adam', (p: Tensor[]) => new Adam(p, { lr: 0.05, weightDecay: 0.01 })],
    ['SGD', (p: Tensor[]) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ] as const)('%s continues from its stateDict exactly as without the interruption', (_name, make) => {
    const rng = new Rng(1);
    const w0 = randn([5], rng);
    const grads = Array.from({ length: 6 }, () => randn([5], rng));
    const step = (opt: ReturnType<typeof make>, w: Tensor, g: Tensor) => {
      w.grad = new Tensor(g.data.slice(), g.shape);
      opt.step();
    };
    const wa = new Tensor(w0.data.slice(), [5]);
    const a = make([wa]);
    grads.forEach((g) => step(a, wa, g));
    const wb = new Tensor(w0.data.slice(), [5]);
    const b = make([wb]);
    grads.slice(0, 3).forEach((g) => step(b, wb, g));
    const c = make([wb]); // a fresh optimiser, as after a restart
    c.loadStateDict(b.stateDict());
    grads.slice(3).forEach((g) => step(c, wb, g));
    expect([...wb.data]).toEqual([...wa.data]);
    expect(() => c.loadStateDict({ stepCount: 1, lr: 0.05, buffers: new Map([['nope.0', w0]]) })).toThrow(/loadStateDict: unexpected buffer 'nope.0'/);
  });
});
