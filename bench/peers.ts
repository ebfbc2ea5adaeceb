/**
 * Our backends against TF.js (cpu and wasm backends) in one run, on the same random inputs: matmul,
 * the two convolutions of CNN1 at batch 64 (forward, and forward + input and filter gradients),
 * 2×2 max-pool on the CNN1 shapes, and the full CNN1 training step.
 *
 * Every backend `listBackends()` reports is measured, so a fast backend appears here as soon as it
 * registers. Each implementation uses its native layout: NCHW with [out, in, kh, kw] filters for
 * gibbsgrad, NHWC with [kh, kw, in, out] filters for TF.js (the same numbers, transposed before
 * timing starts). FLOPs count multiply and add separately: 2·m·k·n for a matmul, 2·N·O·OH·OW·C·KH·KW
 * for a convolution, three times that for forward + both gradients. Max-pool counts input elements.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { F, Rng, Tensor, listBackends, optim, randn, setBackend, tensor } from '../src/index.js';
import { cnn1 } from './cnn1.js';
import type { BenchCase, Prepared, Unit } from './suite.js';
import { registerTfjsGradients, softmaxCrossEntropy } from './tfjs-gradients.js';

export const tfjsBackends = ['cpu', 'wasm'] as const;
type TfjsBackend = (typeof tfjsBackends)[number];

/** Implementation names as they appear in the table. */
export const ourImpl = (backend: string) => `gibbsgrad/${backend}`;
const tfjsImpl = (backend: TfjsBackend) => `tfjs-${backend}`;

interface Task {
  name: string;
  task: string;
  work: number;
  unit: Unit;
  ours: () => Prepared;
  /** Runs with the TF.js backend already active; creates its inputs there. */
  tfjs: () => Prepared;
}

const BATCH = 64;
const LR = 0.01;

/** The tasks of the peer suite; smaller sizes and batch make a quick run (the harness test). */
export function peerTasks({ matmulSizes = [128, 256, 512, 1024], batch = BATCH, seed = 0 } = {}): Task[] {
  registerTfjsGradients();
  const rng = new Rng(seed);
  const tasks: Task[] = [];

  for (const n of matmulSizes) {
    const a = randn([n, n], rng);
    const b = randn([n, n], rng);
    tasks.push({
      name: `matmul ${n}`,
      task: `matmul ${n}×${n}×${n}`,
      work: 2 * n ** 3,
      unit: 'GFLOP/s',
      ours: () => ({ fn: () => a.matmul(b) }),
      tfjs: () => {
        const [ta, tb] = [tf.tensor2d(a.data, [n, n]), tf.tensor2d(b.data, [n, n])];
        return { fn: () => tf.tidy(() => void tf.matMul(ta, tb)), dispose: () => tf.dispose([ta, tb]) };
      },
    });
  }

  // CNN1's convolutions (LB-repr Table 1) at batch 64, valid padding, stride 1.
  const convs = [
    { label: 'conv1', x: [batch, 1, 32, 32], w: [20, 1, 3, 3] },
    { label: 'conv2', x: [batch, 20, 15, 15], w: [60, 20, 5, 5] },
  ];
  for (const { label, x: xs, w: ws } of convs) {
    const [n, c, h, wd] = xs;
    const [o, , kh, kw] = ws;
    const [oh, ow] = [h - kh + 1, wd - kw + 1];
    const flops = 2 * n * o * oh * ow * c * kh * kw;
    const x = randn(xs, rng);
    const w = randn(ws, rng, { std: 1 / Math.sqrt(c * kh * kw) });
    const dy = randn([n, o, oh, ow], rng);
    // The same arrays as leaves that collect gradients, for the forward + backward case.
    const [xg, wg] = [tensor(x.data, { shape: xs, requiresGrad: true }), tensor(w.data, { shape: ws, requiresGrad: true })];
    const shape = `[${xs}]∗[${ws}]`;
    const tfInputs = () => ({ x: nhwc(x), w: hwio(w), dy: nhwc(dy) });
    tasks.push({
      name: `${label} forward`,
      task: `${label} ${shape} forward`,
      work: flops,
      unit: 'GFLOP/s',
      ours: () => ({ fn: () => x.conv2d(w) }),
      tfjs: () => {
        const t = tfInputs();
        return { fn: () => tf.tidy(() => void tf.conv2d(t.x, t.w, 1, 'valid')), dispose: () => tf.dispose(Object.values(t)) };
      },
    });
    tasks.push({
      name: `${label} forward+backward`,
      task: `${label} forward + ∂x + ∂w`,
      work: 3 * flops,
      unit: 'GFLOP/s',
      ours: () => ({
        fn: () => {
          xg.grad = wg.grad = null;
          xg.conv2d(wg).backward(dy);
        },
      }),
      tfjs: () => {
        const t = tfInputs();
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'));
        return { fn: () => tf.tidy(() => void grads([t.x, t.w], t.dy)), dispose: () => tf.dispose(Object.values(t)) };
      },
    });
  }

  // The two max-pools of CNN1 (2×2, stride 2) on the conv outputs.
  for (const xs of [[batch, 20, 30, 30], [batch, 60, 11, 11]]) {
    const [n, c, h, wd] = xs;
    const x = randn(xs, rng);
    const xg = tensor(x.data, { shape: xs, requiresGrad: true });
    const dy = randn([n, c, Math.floor(h / 2), Math.floor(wd / 2)], rng);
    const elems = n * c * h * wd;
    tasks.push({
      name: `maxpool [${xs}] forward`,
      task: `max-pool 2×2 [${xs}] forward`,
      work: elems,
      unit: 'Melem/s',
      ours: () => ({ fn: () => x.maxPool2d({ kernelSize: 2 }) }),
      tfjs: () => {
        const tx = nhwc(x);
        return { fn: () => tf.tidy(() => void tf.maxPool(tx, 2, 2, 'valid')), dispose: () => tx.dispose() };
      },
    });
    tasks.push({
      name: `maxpool [${xs}] forward+backward`,
      task: `max-pool 2×2 [${xs}] forward + ∂x`,
      work: elems,
      unit: 'Melem/s',
      ours: () => ({
        fn: () => {
          xg.grad = null;
          xg.maxPool2d({ kernelSize: 2 }).backward(dy);
        },
      }),
      tfjs: () => {
        const [tx, tdy] = [nhwc(x), nhwc(dy)];
        const grads = tf.grads((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'));
        return { fn: () => tf.tidy(() => void grads([tx], tdy)), dispose: () => tf.dispose([tx, tdy]) };
      },
    });
  }

  // The full CNN1 training step: forward, softmax cross-entropy, backward, SGD update.
  const images = randn([batch, 1, 32, 32], rng);
  const labels = tensor(Float32Array.from({ length: batch }, () => rng.int(10)));
  const modelSeed = rng.int(2 ** 31);
  tasks.push({
    name: 'CNN1 training step',
    task: `CNN1 training step, batch ${batch}`,
    work: batch,
    unit: 'images/s',
    ours: () => {
      const model = cnn1(new Rng(modelSeed));
      const opt = new optim.SGD(model.parameters(), { lr: LR });
      return {
        fn: () => {
          opt.zeroGrad();
          F.crossEntropy(model.forward(images), labels).backward();
          opt.step();
        },
      };
    },
    tfjs: () => {
      // The same initial weights as ours, in TF.js layout.
      const [w1, b1, w2, b2, w3, b3] = cnn1(new Rng(modelSeed)).parameters();
      const vars = {
        w1: tf.variable(hwio(w1)), b1: tf.variable(tf.tensor1d(b1.data)),
        w2: tf.variable(hwio(w2)), b2: tf.variable(tf.tensor1d(b2.data)),
        // Linear stores [out, in]; TF.js multiplies x·W with W [in, out].
        w3: tf.variable(tf.transpose(tf.tensor2d(w3.data, w3.shape as [number, number]))), b3: tf.variable(tf.tensor1d(b3.data)),
      };
      const tx = nhwc(images);
      const targets = tf.oneHot(tf.tensor1d(labels.data, 'int32'), 10) as tf.Tensor2D;
      const sgd = tf.train.sgd(LR);
      const loss = () => {
        const block = (x: tf.Tensor4D, w: tf.Variable, b: tf.Variable) => tf.relu(tf.maxPool(tf.add<tf.Tensor4D>(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid'), b), 2, 2, 'valid'));
        const h = block(block(tx, vars.w1, vars.b1), vars.w2, vars.b2);
        const logits = tf.add(tf.matMul(tf.reshape(h, [batch, -1]), vars.w3), vars.b3) as tf.Tensor2D;
        return softmaxCrossEntropy(logits, targets);
      };
      return {
        fn: () => tf.tidy(() => void sgd.minimize(loss, false)),
        dispose: () => {
          tf.dispose([...Object.values(vars), tx, targets]);
          sgd.dispose();
        },
      };
    },
  });
  return tasks;
}

/** Cases in task order; within a task, our backends first, then the TF.js peers. */
export function peerCases(tasks = peerTasks(), backends = listBackends()): BenchCase[] {
  return tasks.flatMap((t) => [
    ...backends.map((be): BenchCase => ({
      name: `${t.name} (${ourImpl(be)})`, task: t.task, impl: ourImpl(be), work: t.work, unit: t.unit,
      prepare: () => {
        setBackend(be);
        return t.ours();
      },
    })),
    ...tfjsBackends.map((be): BenchCase => ({
      name: `${t.name} (${tfjsImpl(be)})`, task: t.task, impl: tfjsImpl(be), work: t.work, unit: t.unit, mayBeUnsupported: true,
      prepare: async () => {
        if (!(await tf.setBackend(be))) throw new Error(`TF.js backend '${be}' failed to initialise`);
        return t.tfjs();
      },
    })),
  ]);
}

/** What the TF.js wasm backend can use here (Node gives it SIMD; threads need a browser's SharedArrayBuffer setup). */
export async function tfjsWasmFeatures(): Promise<{ simd: boolean; threads: boolean }> {
  return { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) };
}

function nhwc(t: Tensor): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

function hwio(t: Tensor): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [2, 3, 1, 0]));
}
