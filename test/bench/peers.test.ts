/**
 * The benchmark harness, not the timings (no test asserts a timing): the TF.js peer computes the
 * same gradients as gibbsgrad (so the peer does the same work), the suite yields one row per task
 * and implementation with n/a rows naming the missing TF.js kernel, and the README block swaps in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { F, Rng, Tensor, listBackends, randn, tensor } from '../../src/index.js';
import { ourImpl, peerCases, peerTasks } from '../../bench/peers.js';
import { benchBlock, replaceBenchBlock } from '../../bench/readme.js';
import { marginOfMean, runSuite, table } from '../../bench/suite.js';
import { registerTfjsGradients, softmaxCrossEntropy } from '../../bench/tfjs-gradients.js';

const toTf4 = (t: Tensor, perm: number[]) => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), perm);

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1e-3, ...Array.from(expected, Math.abs));
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `${what}[${i}]: ${v} vs ${expected[i]}`).toBeLessThan(1e-4 * scale));
}

describe('bench: TF.js peer gradients', () => {
  it('conv → bias → max-pool → ReLU → linear → cross-entropy: TF.js cpu and gibbsgrad give the same loss and gradients', async () => {
    registerTfjsGradients();
    await tf.setBackend('cpu');
    const rng = new Rng(7);
    // The pooled map is 1×1, so flattening NCHW (ours) and NHWC (TF.js) orders features alike.
    const x = randn([3, 3, 4, 4], rng, { requiresGrad: true });
    const w = randn([8, 3, 3, 3], rng, { requiresGrad: true });
    // A negative mean bias makes some pooled maxima negative, so the ReLU gradient matters.
    const b = randn([8], rng, { mean: -2, requiresGrad: true });
    const W = randn([5, 8], rng, { requiresGrad: true });
    const b2 = randn([5], rng, { requiresGrad: true });
    const labels = tensor([3, 1, 4]);
    const pooled = x.conv2d(w, b).maxPool2d({ kernelSize: 2 });
    expect(pooled.data.some((v) => v < 0) && pooled.data.some((v) => v > 0)).toBe(true);
    const ours = F.crossEntropy(pooled.relu().flatten(1).matmul(W.transpose(0, 1)).add(b2), labels);
    ours.backward();

    const targets = tf.oneHot(tf.tensor1d([3, 1, 4], 'int32'), 5) as tf.Tensor2D;
    const f = (tx: tf.Tensor, tw: tf.Tensor, tb: tf.Tensor, tW: tf.Tensor, tb2: tf.Tensor) => {
      const h = tf.relu(tf.maxPool(tf.add<tf.Tensor4D>(tf.conv2d(tx as tf.Tensor4D, tw as tf.Tensor4D, 1, 'valid'), tb), 2, 2, 'valid'));
      return softmaxCrossEntropy(tf.add(tf.matMul(tf.reshape(h, [3, 8]), tW), tb2) as tf.Tensor2D, targets);
    };
    const inputs = [toTf4(x, [0, 2, 3, 1]), toTf4(w, [2, 3, 1, 0]), tf.tensor1d(b.data), tf.transpose(tf.tensor2d(W.data, [5, 8])), tf.tensor1d(b2.data)];
    const { value, grads } = tf.valueAndGrads(f)(inputs);
    expect(Math.abs(value.dataSync()[0] - ours.item())).toBeLessThan(1e-5);
    const [gx, gw, gb, gW, gb2] = grads;
    expectClose(tf.transpose(gx, [0, 3, 1, 2]).dataSync() as Float32Array, x.grad!.data, '∂x');
    expectClose(tf.transpose(gw, [3, 2, 0, 1]).dataSync() as Float32Array, w.grad!.data, '∂w');
    expectClose(gb.dataSync() as Float32Array, b.grad!.data, '∂b');
    expectClose(tf.transpose(gW).dataSync() as Float32Array, W.grad!.data, '∂W');
    expectClose(gb2.dataSync() as Float32Array, b2.grad!.data, '∂b2');
    tf.dispose([...inputs, ...grads, value, targets]);
  });
});

describe('bench: harness', () => {
  it('one row per task and implementation; TF.js wasm shows n/a for the missing filter gradient; ratios per (ours, peer)', async () => {
    const tasks = peerTasks({ matmulSizes: [8], batch: 1 }).filter((t) => /^(matmul|conv1|maxpool \[1,60)/.test(t.name));
    const ours = listBackends();
    const cases = peerCases(tasks, ours);
    // slowCall 0 sends every case to the plain loop with one call: seconds, not benny's minutes.
    const rows = await runSuite('harness-test', cases, { slowCall: 0, slowBudget: 0, slowSamples: 1, write: false, log: false });
    expect(rows.map((r) => `${r.task} | ${r.impl}`)).toEqual(cases.map((c) => `${c.task} | ${c.impl}`));
    expect(new Set(rows.map((r) => r.impl))).toEqual(new Set([...ours.map(ourImpl), 'tfjs-cpu', 'tfjs-wasm']));
    const unsupported = rows.filter((r) => r.method === 'unsupported');
    expect(unsupported.map((r) => `${r.task} | ${r.impl}`)).toEqual(['conv1 forward + ∂x + ∂w | tfjs-wasm']);
    expect(unsupported[0].note).toMatch(/Conv2DBackpropFilter/);
    for (const r of rows.filter((r) => r.method !== 'unsupported')) expect(r.throughput, `${r.task} ${r.impl}`).toBeGreaterThan(0);

    const md = table(rows, ours.map(ourImpl)).split('\n');
    const ratioColumns = ours.flatMap((b) => [`${b} / tfjs-cpu`, `${b} / tfjs-wasm`]);
    expect(md[0]).toBe(`| ${['task', ...ours.map(ourImpl), 'tfjs-cpu', 'tfjs-wasm', ...ratioColumns].join(' | ')} |`);
    const convRow = md.find((l) => l.startsWith('| conv1 forward + ∂x + ∂w'))!;
    expect(convRow).toMatch(new RegExp(`\\| n/a \\[1\\] (\\| [0-9.]+× \\| n/a ){${ours.length}}\\|$`));
    expect(md.at(-1)).toMatch(/^- \[1\] tfjs-wasm: .*Conv2DBackpropFilter/);
  });

  it('an error in one of our own cases stops the run instead of becoming n/a', async () => {
    const broken = { name: 'broken', task: 'broken', impl: ourImpl('reference'), work: 1, unit: 'GFLOP/s' as const, fn: () => { throw new Error('planted'); } };
    await expect(runSuite('harness-test', [broken], { write: false, log: false })).rejects.toThrow('planted');
  });

  it('the margin of the plain loop widens with Student t for few samples', () => {
    expect(marginOfMean([1])).toBeNaN();
    expect(marginOfMean([1, 1, 1])).toBe(0);
    // Two samples 1 and 3: mean 2, sd √2, t(1) = 12.71 → 12.71·√2/√2/2 = 635.5 %.
    expect(marginOfMean([1, 3])).toBeCloseTo(635.5, 1);
  });

  it('--write-readme replaces exactly the text between the markers', () => {
    const readme = 'intro\n<!-- bench:start -->\nold table\n<!-- bench:end -->\noutro\n';
    expect(replaceBenchBlock(readme, benchBlock('new table'))).toBe('intro\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\noutro\n');
    expect(() => replaceBenchBlock('no markers', benchBlock('x'))).toThrow(/bench:start/);
  });
});
