// capacity measures the average KL inside afterEpoch: an interrupted run must replay those records,
// not re-measure them on the restored (later) weights, and end with the uninterrupted numbers. It is
// split into units (one network each): finished units are kept, the interrupted one resumes.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExperiment } from '../../src/experiments/index.js';
import type { ExperimentEvent, ExperimentResult } from '../../src/experiments/types.js';
import { runExperiment } from '../../src/report/runner.js';

const root = mkdtempSync(join(tmpdir(), 'gg-capacity-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Metrics without wall times. */
const numbers = (r: ExperimentResult) => JSON.stringify(r.metrics, (k, v) => (k === 'seconds' ? undefined : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

describe('capacity resumes from its epoch checkpoints', () => {
  it('interrupted inside the third network, it resumes and matches an uninterrupted run', async () => {
    const exp = findExperiment('capacity');
    const whole = await runExperiment(exp, { mode: 'tiny', seed: 2, outDir: join(root, 'whole') });
    const dir = join(root, 'cut');
    const stop = new Error('interrupted by the test');
    const at = (e: ExperimentEvent) => e.kind === 'epoch' && e.label === 'capacity f1=20' && e.epoch === 1;
    await expect(runExperiment(exp, { mode: 'tiny', seed: 2, outDir: dir, onEvent: (_n, e) => { if (at(e)) throw stop; } })).rejects.toBe(stop);
    expect(existsSync(join(dir, 'capacity', 'result.json'))).toBe(false);
    const events: ExperimentEvent[] = [];
    const again = await runExperiment(exp, { mode: 'tiny', seed: 2, outDir: dir, onEvent: (_n, e) => { if (e.kind === 'epoch') events.push(e); } });
    // the f1=4 and f1=12 units are kept, f1=20 continues after its first epoch, the rest train
    expect(events.map((e) => e.kind === 'epoch' && `${e.label} ${e.epoch}`)).toEqual([
      'capacity f1=20 2',
      'capacity f1=36 1',
      'capacity f1=36 2',
      'capacity CNN1 f3=60 1',
      'capacity CNN1 f3=60 2',
      'capacity CNN2 f3=36 1',
      'capacity CNN2 f3=36 2',
    ]);
    expect(again.complete).toBe(true);
    expect(numbers(again.result)).toBe(numbers(whole.result));
    expect(again.result.claims).toEqual(whole.result.claims);
  }, 120_000);
});
