/**
 * The benchmark harness, not the timings (no test asserts a timing): the TF.js, jax-js and PyTorch
 * peers compute the same numbers as gibbsgrad (so each peer does the same work), the suite yields
 * one row per task and implementation with n/a rows naming the missing TF.js kernel and "not
 * installed" for a missing PyTorch, and the README block swaps in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { F, Rng, Tensor, listBackends, optim, randn, tensor, type nn } from '../../src/index.js';
import { SCALES, table11Cnn } from '../../src/experiments/bayes-prior.js';
import { cnn1 } from '../../bench/cnn1.js';
import * as jax from '../../bench/jaxjs.js';
import { jaxImpl, jaxLaxConvImpl, ourImpl, peerAside, peerCases, peerRatio, peerTasks, torchImpl } from '../../bench/peers.js';
import { benchBlock, replaceBenchBlock } from '../../bench/readme.js';
import { NOT_INSTALLED, marginOfMean, runSuite, table } from '../../bench/suite.js';
import { registerTfjsGradients, softmaxCrossEntropy } from '../../bench/tfjs-gradients.js';
import { checkTorch, torchInfo } from '../../bench/torch.js';

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

describe('bench: jax-js peer', () => {
  it('its convolutions (gathers + matmul, and lax.conv), their gradients and its CNN1 SGD steps agree with gibbsgrad', async () => {
    await jax.jaxReady();
    const rng = new Rng(11);
    const x = randn([2, 3, 7, 6], rng);
    const w = randn([4, 3, 3, 2], rng);
    const dy = randn([2, 4, 5, 5], rng);
    const [xg, wg] = [tensor(x.data, { shape: x.shape, requiresGrad: true }), tensor(w.data, { shape: w.shape, requiresGrad: true })];
    const y = xg.conv2d(wg);
    y.backward(dy);
    for (const formulation of ['gather', 'lax.conv'] as const) {
      const c = jax.convForward(x, w, formulation);
      expectClose(c.result(), y.data, `conv (${formulation})`);
      c.dispose!();
    }
    const b = jax.convBackward(x, w, dy);
    const [jy, jgx, jgw] = b.result();
    b.dispose!();
    expectClose(jy, y.data, 'conv');
    expectClose(jgx, xg.grad!.data, '∂x');
    expectClose(jgw, wg.grad!.data, '∂w');

    // Three SGD steps of CNN1 from the same weights: the losses (each before its update) agree.
    const images = randn([2, 1, 32, 32], rng);
    const labels = tensor([3, 7]);
    const model = cnn1(new Rng(5));
    const trainer = jax.cnn1Trainer(cnn1(new Rng(5)).parameters(), images, labels, 0.05);
    const opt = new optim.SGD(model.parameters(), { lr: 0.05 });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(images), labels);
      loss.backward();
      opt.step();
      expect(Math.abs(trainer.step() - loss.item()), `step ${step}`).toBeLessThan(1e-5 * Math.max(1, loss.item()));
    }
    trainer.dispose!();
  });
});

/** Losses of `steps` training steps of `net` on one batch (each before its update). */
function ourLosses(net: nn.Sequential, x: Tensor, y: Tensor, opt: optim.SGD | optim.Adam, steps: number): number[] {
  return Array.from({ length: steps }, () => {
    opt.zeroGrad();
    const loss = F.crossEntropy(net.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  });
}

describe.skipIf(!(await torchInfo()).available)('bench: PyTorch peer', () => {
  it('PyTorch computes the same convolution and the same CNN1 (SGD) and bayes-prior (Adam) training steps from the same numbers', async () => {
    const rng = new Rng(12);
    const x = randn([2, 3, 7, 6], rng);
    const w = randn([4, 3, 3, 2], rng);
    const [conv] = await checkTorch({ kind: 'conv', inputs: { x, w } }, 1);
    expectClose(Float32Array.from(conv), x.conv2d(w).data, 'conv');

    const images = randn([2, 1, 32, 32], rng);
    const labels = tensor([3, 7]);
    const cnn1Losses = await checkTorch({ kind: 'train-step', inputs: { x: images, y: labels }, net: cnn1(new Rng(5)), optimizer: { name: 'sgd', lr: 0.05 } }, 3);
    const model = cnn1(new Rng(5));
    ourLosses(model, images, labels, new optim.SGD(model.parameters(), { lr: 0.05 }), 3).forEach((l, i) => expect(Math.abs(cnn1Losses[i][0] - l), `CNN1 step ${i}`).toBeLessThan(1e-5 * Math.max(1, l)));

    const net = () => table11Cnn(SCALES.full, new Rng(6), null).net;
    const bayesLosses = await checkTorch({ kind: 'train-step', inputs: { x: images, y: labels }, net: net(), optimizer: { name: 'adam', lr: 2e-3 } }, 3);
    const ours = net();
    ourLosses(ours, images, labels, new optim.Adam(ours.parameters(), { lr: 2e-3 }), 3).forEach((l, i) => expect(Math.abs(bayesLosses[i][0] - l), `bayes-prior step ${i}`).toBeLessThan(1e-4 * Math.max(1, l)));
  }, 30_000);
});

describe('bench: harness', () => {
  it('one row per task and implementation; TF.js wasm shows n/a for the missing filter gradient; ratios per (ours, peer)', async () => {
    const tasks = peerTasks({ matmulSizes: [8], batch: 1, bayesBatch: 1 }).filter((t) => /^(matmul|conv1|maxpool \[1,60)/.test(t.name));
    const ours = listBackends();
    // PyTorch starts a Python process per case: one task is enough to check its path.
    const torchAvailable = (await torchInfo()).available;
    const cases = [...peerCases(tasks, ours, { peers: ['tfjs-cpu', 'tfjs-wasm', jaxImpl, jaxLaxConvImpl] }), ...peerCases(tasks.slice(0, 1), [], { peers: [torchImpl] })];
    // slowCall 0 sends every case to the plain loop with one call: seconds, not benny's minutes.
    const rows = await runSuite('harness-test', cases, { slowCall: 0, slowBudget: 0, slowSamples: 1, write: false, log: false });
    expect(rows.map((r) => `${r.task} | ${r.impl}`)).toEqual(cases.map((c) => `${c.task} | ${c.impl}`));
    expect(new Set(rows.map((r) => r.impl))).toEqual(new Set([...ours.map(ourImpl), 'tfjs-cpu', 'tfjs-wasm', jaxImpl, jaxLaxConvImpl, torchImpl]));
    // lax.conv is measured for the forward convolutions only.
    expect(rows.filter((r) => r.impl === jaxLaxConvImpl).map((r) => r.task)).toEqual([tasks.find((t) => t.name === 'conv1 forward')!.task]);
    const unsupported = rows.filter((r) => r.method === 'unsupported' && r.note !== NOT_INSTALLED);
    expect(unsupported.map((r) => `${r.task} | ${r.impl}`)).toEqual(['conv1 forward + ∂x + ∂w | tfjs-wasm']);
    expect(unsupported[0].note).toMatch(/Conv2DBackpropFilter/);
    for (const r of rows.filter((r) => r.method !== 'unsupported')) expect(r.throughput, `${r.task} ${r.impl}`).toBeGreaterThan(0);
    expect(rows.find((r) => r.impl === torchImpl)!.method).toBe(torchAvailable ? 'once' : 'unsupported');

    const md = table(rows.filter((r) => !peerAside(r)), ours.map(ourImpl), peerRatio).split('\n');
    const peers = ['tfjs-cpu', 'tfjs-wasm', jaxImpl, torchImpl];
    const ratioColumns = ours.flatMap((b) => (b === 'reference' ? ['reference / tfjs-cpu'] : peers.map((p) => `${b} / ${p}`)));
    expect(md[0]).toBe(`| ${['task', ...ours.map(ourImpl), ...peers, ...ratioColumns].join(' | ')} |`);
    // conv1 forward + ∂x + ∂w: TF.js wasm n/a, PyTorch not asked (only matmul ran there).
    const convRow = md.find((l) => l.startsWith('| conv1 forward + ∂x + ∂w'))!.split(' | ');
    expect(convRow.slice(1 + ours.length, 1 + ours.length + peers.length)).toEqual([expect.stringMatching(/GFLOP\/s$/), 'n/a [1]', expect.stringMatching(/GFLOP\/s$/), '—']);
    expect(md.at(-1)).toMatch(/^- \[1\] tfjs-wasm: .*Conv2DBackpropFilter/);
  });

  it('without torch, every PyTorch cell says "not installed" and its ratios n/a', async () => {
    const [matmul] = peerTasks({ matmulSizes: [8], batch: 1, bayesBatch: 1 });
    const rows = await runSuite('harness-test', peerCases([matmul], ['reference'], { peers: [torchImpl], python: '/nonexistent/python3' }), { slowCall: 0, slowBudget: 0, slowSamples: 1, write: false, log: false });
    expect(rows.map((r) => [r.impl, r.method, r.note])).toEqual([[ourImpl('reference'), 'once', undefined], [torchImpl, 'unsupported', NOT_INSTALLED]]);
    const md = table(rows, [ourImpl('reference')]).split('\n');
    expect(md[2]).toMatch(/ \| not installed \| n\/a \|$/);
    expect(md).toHaveLength(3);
  });

  it("benny's cases report the unrounded mean, not its summary's rounded calls per second", async () => {
    const spin = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };
    const [row] = await runSuite('harness-test', [{ name: 'spin', task: 'spin', impl: ourImpl('reference'), work: 1, unit: 'images/s', fn: () => spin(7.3) }], { maxTime: 0.3, write: false, log: false });
    expect(row.method).toBe('benny');
    // No bound on the rate itself: that would be a timing assertion (a loaded machine stretches the spin).
    expect(Number.isFinite(row.opsPerSec) && row.opsPerSec > 0).toBe(true);
    expect(Number.isInteger(row.opsPerSec)).toBe(false); // the rounded summary gave a whole number
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

  it('--write-readme replaces exactly the text between the markers of the running Node', () => {
    const readme = 'intro\n<!-- bench:start node20 -->\nold 20\n<!-- bench:end node20 -->\nmiddle\n<!-- bench:start node24 -->\nold 24\n<!-- bench:end node24 -->\noutro\n';
    expect(replaceBenchBlock(readme, benchBlock('new 24', 24))).toBe('intro\n<!-- bench:start node20 -->\nold 20\n<!-- bench:end node20 -->\nmiddle\n<!-- bench:start node24 -->\nnew 24\n<!-- bench:end node24 -->\noutro\n');
    expect(replaceBenchBlock(readme, benchBlock('new 20', 20))).toBe('intro\n<!-- bench:start node20 -->\nnew 20\n<!-- bench:end node20 -->\nmiddle\n<!-- bench:start node24 -->\nold 24\n<!-- bench:end node24 -->\noutro\n');
    expect(benchBlock('x')).toContain(`<!-- bench:start node${process.versions.node.split('.')[0]} -->`);
    expect(() => replaceBenchBlock('no markers', benchBlock('x', 22))).toThrow(/bench:start node22/);
  });
});
