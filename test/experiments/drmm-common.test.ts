// The pieces the DRMM experiments share: the balanced N_L split, epochs-to-target, convergence
// against a curve's own final error, per-image MSE, the rescaled NN-DRMM and the DCN of the same
// configuration, and running an experiment's units outside the runner.
import { describe, expect, it } from 'vitest';
import { balancedLabelled, buildDcn, buildDrmm, convergence, epochsToReach, perImageMse, plateauEpochs } from '../../src/experiments/drmm-common.js';
import { dispatchUnit, runEveryUnit } from '../../src/experiments/units.js';
import type { Experiment } from '../../src/experiments/types.js';
import { noGrad, rand, Rng, tensor, Tensor } from '../../src/index.js';

describe('drmm-common', () => {
  it('balancedLabelled takes n/10 digits of each class, the first ones in pool order, and leaves the rest', () => {
    const labels = tensor(Array.from({ length: 60 }, (_, i) => (i * 7) % 10));
    const { labelled, rest } = balancedLabelled(labels, 23);
    expect(labelled.length).toBe(23);
    expect([...labelled, ...rest].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const perClass = new Array(10).fill(0);
    labelled.forEach((i) => perClass[labels.data[i]]++);
    expect(perClass).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
    // the first of each class in pool order
    for (let c = 0; c < 10; c++) {
      const firstOfClass = [...labels.data].map((v, i) => [v, i]).filter(([v]) => v === c).slice(0, perClass[c]).map(([, i]) => i);
      expect(labelled.filter((i) => labels.data[i] === c)).toEqual(firstOfClass);
    }
    expect(() => balancedLabelled(tensor([0, 1, 2]), 20)).toThrow(/too few digits of some class for 20/);
  });

  it('epochsToReach gives the first epoch at or below the target, or null', () => {
    const r = [0.3, 0.1, 0.05, 0.07].map((testError, i) => ({ epoch: i + 1, loss: 0, testError, seconds: 0 }));
    expect(epochsToReach(r, 0.1)).toBe(2);
    expect(epochsToReach(r, 0.05)).toBe(3);
    expect(epochsToReach(r, 0.01)).toBeNull();
  });

  it('convergence: the first epoch within max(0.2 points, 2 SE) of the mean of the last epochs', () => {
    const curve = (errors: number[]) => errors.map((testError, i) => ({ epoch: i + 1, loss: 0, testError, seconds: 0 }));
    expect([1, 2, 10, 30, 40].map(plateauEpochs)).toEqual([1, 1, 3, 5, 5]);
    // 12 epochs → plateau of the last 3: mean 1.3%; 2 SE on 10,000 digits = 0.227 points > 0.2
    const slow = curve([0.05, 0.03, 0.02, 0.016, 0.0154, 0.015, 0.014, 0.0135, 0.013, 0.0132, 0.0128, 0.013]);
    const c = convergence(slow, 10000);
    expect(c.final).toBeCloseTo(0.013, 10);
    expect(c.margin).toBeCloseTo(2 * Math.sqrt((0.013 * 0.987) / 10000), 10);
    expect(c.epoch).toBe(6); // 1.50% ≤ 1.3% + 0.227; 1.54% is not
    // the floor: with a million test digits 2 SE is 0.02 points, the margin stays 0.2 points
    expect(convergence(slow, 1_000_000).margin).toBe(0.002);
    expect(convergence(slow, 1_000_000).epoch).toBe(6);
    // a curve that plateaus above another still converges (a fixed target below it would never be reached)
    const fastButHigher = curve([0.05, 0.031, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03]);
    expect(convergence(fastButHigher, 10000).epoch).toBe(2);
    expect(epochsToReach(fastButHigher, 0.013)).toBeNull();
    expect(() => convergence([], 100)).toThrow(/no epochs/);
  });

  it('convergence with several evaluations per epoch: fractional epochs, the plateau over the last epochs\' evaluations', () => {
    const at = (e: number, errors: number[]) => ({ epoch: e, loss: 0, testError: errors[errors.length - 1], seconds: 0, evaluations: errors.map((testError, j) => ({ epoch: e - 1 + (j + 1) / errors.length, testError })) });
    const records = [at(1, [0.2, 0.05, 0.015, 0.012]), at(2, [0.011, 0.013, 0.012, 0.012])]; // plateau = epoch 2's four: 1.2%
    const c = convergence(records, 1000);
    expect(c.final).toBeCloseTo(0.012, 10);
    expect(c.margin).toBeCloseTo(2 * Math.sqrt((0.012 * 0.988) / 1000), 10); // 0.69 points
    expect(c.epoch).toBe(0.75); // 1.5% ≤ 1.2% + 0.69%, 5% is not
  });

  it('runEveryUnit runs each unit with a fresh Rng of the seed and the earlier units readable, then merges', async () => {
    const seen: string[] = [];
    const exp: Experiment = {
      name: 'probe',
      title: 'probe',
      paper: '—',
      units: () => ['a', 'b'],
      run(ctx) {
        seen.push(`${ctx.unit}:${ctx.rng.uniform().toFixed(6)}:${ctx.readUnit?.('a') ? 'a-read' : 'no-a'}`);
        return { data: ctx.unit!, metrics: { unit: ctx.unit }, claims: [], figures: [] };
      },
      merge(parts) {
        return { data: parts.map((p) => p.findings.data).join('+'), metrics: {}, claims: [], figures: [] };
      },
    };
    const merged = runEveryUnit(exp, { mode: 'tiny', seed: 7, rng: new Rng(99), report: () => {} });
    expect(merged.data).toBe('a+b');
    const first = new Rng(7).uniform().toFixed(6);
    expect(seen).toEqual([`a:${first}:no-a`, `b:${first}:a-read`]);
    // dispatchUnit: no unit runs them all; one unit runs alone; a unit it does not have is named
    const ctx = { mode: 'tiny' as const, seed: 7, rng: new Rng(7), report: () => {} };
    expect(dispatchUnit(exp, ctx, () => ({ data: 'x', metrics: {}, claims: [], figures: [] })).data).toBe('a+b');
    expect(dispatchUnit(exp, { ...ctx, unit: 'b' }, (u) => ({ data: `only ${u}`, metrics: {}, claims: [], figures: [] })).data).toBe('only b');
    expect(() => dispatchUnit(exp, { ...ctx, unit: 'c' }, () => ({ data: '', metrics: {}, claims: [], figures: [] }))).toThrow(/probe: no unit 'c' \(units: a, b\)/);
  });

  it('perImageMse is the mean squared difference of each row', () => {
    const a = new Tensor(Float32Array.from([0, 0, 1, 1]), [2, 1, 1, 2]);
    const b = new Tensor(Float32Array.from([1, 0, 1, 3]), [2, 1, 1, 2]);
    expect(perImageMse(a, b)).toEqual([0.5, 2]);
  });

  it('buildDrmm keeps the NN-DRMM signs and renders at the scale of a digit; buildDcn has the same geometry', () => {
    const config = { name: 'two', levels: [{ channels: 3, kernel: 5, pool: 2 }, { channels: 4, kernel: 3, pool: 2 }] };
    const model = buildDrmm(config, new Rng(1));
    expect([...model.templates.data].every((v) => v >= 0)).toBe(true);
    expect([...model.filters[1].data].every((v) => v >= 0)).toBe(true);
    const images = rand([4, 1, 28, 28], new Rng(2));
    const { latents } = noGrad(() => model.infer(images));
    const rendered = noGrad(() => model.topDown([0, 1, 2, 3], latents));
    const peak = rendered.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.01);
    expect(peak).toBeLessThan(20);
    const dcn = buildDcn(config, new Rng(3));
    expect(noGrad(() => dcn.forward(images)).shape).toEqual([4, 10]);
  });
});
