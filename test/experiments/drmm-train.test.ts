// The DRMM experiments' training loop (EG and the DCN): test error several times per epoch at
// evenly spaced batches, and epoch checkpoints that resume to exactly an uninterrupted run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDcn, buildDrmm, evaluations, testError, trainDcn, trainEg } from '../../src/experiments/drmm-common.js';
import type { Experiment, ExperimentContext, ExperimentEvent, ExperimentResult } from '../../src/experiments/types.js';
import { runExperiment } from '../../src/report/runner.js';
import { Rng } from '../../src/tensor/rng.js';
import { rand, Tensor } from '../../src/tensor/tensor.js';

const root = mkdtempSync(join(tmpdir(), 'gg-drmm-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = { name: 'tiny', levels: [{ channels: 2, kernel: 5, pool: 2 }] };

function digits(rng: Rng, n: number) {
  const x = rand([n, 1, 28, 28], rng);
  const y = new Tensor(Float32Array.from({ length: n }, (_, i) => i % 10), [n]);
  return { x, y, xTest: x, yTest: y };
}

/** EG then the DCN, 3 epochs each, three evaluations per epoch. */
function both(ctx: ExperimentContext) {
  const data = digits(ctx.rng.fork(), 32);
  const eg = trainEg(ctx, 'eg', buildDrmm(config, ctx.rng.fork(), { nonnegativity: 'topDownRelu' }), data, { epochs: 3, lr: 0.01, batchSize: 8, klWeight: 0.1, reconWeight: 10, evalsPerEpoch: 3 });
  const net = buildDcn(config, ctx.rng.fork());
  const dcn = trainDcn(ctx, 'dcn', net, data, { epochs: 3, lr: 0.01, batchSize: 8, evalsPerEpoch: 3 });
  const strip = (r: typeof eg) => r.map(({ seconds: _s, ...rest }) => rest);
  return { eg: strip(eg), dcn: strip(dcn), finalDcnError: testError(net, data.xTest, data.yTest), after: ctx.rng.uniform() };
}

const probe: Experiment = { name: 'drmm-train-probe', title: 'probe', paper: '—', run: (ctx) => ({ data: 'random', metrics: both(ctx), claims: [], figures: [] }) };

describe('DRMM training loop', () => {
  it('evaluates evalsPerEpoch times per epoch after evenly spaced batches, the last at the end of the epoch', () => {
    const ctx: ExperimentContext = { mode: 'tiny', seed: 1, rng: new Rng(1), report: () => {} };
    const data = digits(new Rng(2), 32); // 4 batches of 8
    const net = buildDcn(config, new Rng(3));
    const records = trainDcn(ctx, 'dcn', net, data, { epochs: 2, lr: 0.01, batchSize: 8, evalsPerEpoch: 3 });
    expect(evaluations(records).map((e) => e.epoch)).toEqual([0.5, 0.75, 1, 1.5, 1.75, 2]); // after batches 2, 3, 4
    for (const r of records) expect(r.testError).toBe(r.evaluations![r.evaluations!.length - 1].testError);
    expect(records[1].testError).toBe(testError(net, data.xTest, data.yTest));
    const once = trainDcn({ ...ctx, rng: new Rng(1) }, 'dcn', buildDcn(config, new Rng(3)), data, { epochs: 2, lr: 0.01, batchSize: 8 });
    expect(once.every((r) => r.evaluations === undefined)).toBe(true);
    expect(evaluations(once).map((e) => e.epoch)).toEqual([1, 2]);
    expect(() => trainDcn(ctx, 'bad', net, data, { epochs: 1, lr: 0.01, batchSize: 8, evalsPerEpoch: 0 })).toThrow(/evalsPerEpoch must be a positive integer, got 0/);
  });

  it('a run interrupted inside the DCN resumes from its epoch checkpoint to the numbers of an uninterrupted run', async () => {
    const whole = await runExperiment(probe, { mode: 'tiny', seed: 5, outDir: join(root, 'whole') });
    const dir = join(root, 'cut');
    const stop = new Error('interrupted by the test');
    await expect(runExperiment(probe, { mode: 'tiny', seed: 5, outDir: dir, onEvent: (_n, e) => { if (e.kind === 'epoch' && e.label === 'dcn' && e.epoch === 2) throw stop; } })).rejects.toBe(stop);
    const events: ExperimentEvent[] = [];
    const again = await runExperiment(probe, { mode: 'tiny', seed: 5, outDir: dir, onEvent: (_n, e) => { if (e.kind !== 'batch') events.push(e); } });
    const numbers = (r: ExperimentResult) => JSON.stringify(r.metrics);
    expect(numbers(again.result)).toBe(numbers(whole.result));
    expect(events.filter((e) => e.kind === 'epoch').map((e) => e.kind === 'epoch' && `${e.label} ${e.epoch}`)).toEqual(['dcn 3']);
    expect(events.some((e) => e.kind === 'stage' && e.label === 'eg: resumed after epoch 3/3')).toBe(true);
    expect(existsSync(join(dir, probe.name, '.progress'))).toBe(false);
  });
});
