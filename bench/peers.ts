/**
 * Our backends against TF.js (cpu and wasm backends), jax-js (wasm device) and PyTorch (CPU, in a
 * Python subprocess) in one run, on the same random inputs: matmul, the two convolutions of CNN1 at
 * batch 64 (forward, and forward + input and filter gradients), 2×2 max-pool on the CNN1 shapes,
 * the full CNN1 training step, and a training step (Adam) of bayes-prior's Table 11 CNN at batch 32.
 *
 * Every backend `listBackends()` reports is measured, so a fast backend appears here as soon as it
 * registers. Each implementation uses its native layout: NCHW with [out, in, kh, kw] filters for
 * gibbsgrad and PyTorch, NHWC with [kh, kw, in, out] filters for TF.js (the same numbers, transposed
 * before timing starts); jax-js's formulation is described in bench/jaxjs.ts. FLOPs count multiply
 * and add separately: 2·m·k·n for a matmul, 2·N·O·OH·OW·C·KH·KW for a convolution, three times that
 * for forward + both gradients. Max-pool counts input elements, a training step images.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { F, Rng, Tensor, listBackends, optim, randn, setBackend, tensor, type nn } from '../src/index.js';
import { SCALES, table11Cnn } from '../src/experiments/bayes-prior.js';
import { cnn1 } from './cnn1.js';
import * as jax from './jaxjs.js';
import type { BenchCase, ExternalTiming, Prepared, TimingOptions, Unit } from './suite.js';
import { registerTfjsGradients, softmaxCrossEntropy } from './tfjs-gradients.js';
import { defaultPython, timeTorch, torchImpl, type TorchCase } from './torch.js';

export const tfjsBackends = ['cpu', 'wasm'] as const;
type TfjsBackend = (typeof tfjsBackends)[number];

/** Implementation names as they appear in the table. */
export const ourImpl = (backend: string) => `gibbsgrad/${backend}`;
const tfjsImpl = (backend: TfjsBackend) => `tfjs-${backend}`;
export const { jaxImpl, jaxLaxConvImpl } = jax;
export { torchImpl };

/** Every peer implementation, in column order; `jaxLaxConvImpl` is measured beside jax-js but kept out of the table. */
export const peerImpls = [...tfjsBackends.map(tfjsImpl), jaxImpl, jaxLaxConvImpl, torchImpl] as const;

/**
 * The ratio columns of the table: every fast backend against every peer, the reference backend
 * against TF.js cpu only. The reference is plain TypeScript written to be read; its one telling
 * comparison is with TF.js's plain-JavaScript backend, and next to compiled code it is ≈ 0.1×
 * everywhere, which three more columns would only repeat.
 */
export const peerRatio = (mine: string, peer: string): boolean =>
  mine === ourImpl(UNFUSED_BACKEND) ? false : mine !== ourImpl('reference') || peer === tfjsImpl('cpu');

/**
 * On an engine with relaxed SIMD the default 'wasm' backend runs the GEMM with fused multiply-adds;
 * the peer suite also registers the unfused kernel under this name, so one run measures both (its
 * rows are compared with 'wasm' in the text above the table, not with the peers).
 */
export const UNFUSED_BACKEND = 'wasm-unfused';

/** Rows measured for the text above the table, not for a column: jax-js's lax.conv. */
export const peerAside = (row: { impl: string }): boolean => row.impl === jaxLaxConvImpl;

interface Task {
  name: string;
  task: string;
  work: number;
  unit: Unit;
  ours: () => Prepared;
  /** Runs with the TF.js backend already active; creates its inputs there. */
  tfjs?: () => Prepared;
  /** Runs with jax-js's wasm device started. */
  jax?: () => Prepared;
  /** jax-js's own `lax.conv`, for the forward convolutions (the other formulation: bench/jaxjs.ts). */
  jaxLaxConv?: () => Prepared;
  /** What PyTorch runs, in its subprocess. */
  torch?: () => TorchCase;
}

const BATCH = 64;
const LR = 0.01;
/** bayes-prior trains its Table 11 CNN with Adam, lr 2·10⁻³, batch 32 (runConfig in src/experiments/bayes-prior.ts). */
const BAYES_BATCH = 32;
const BAYES_LR = 2e-3;

/** The tasks of the peer suite; smaller sizes and batches make a quick run (`--quick`, the harness test). */
export function peerTasks({ matmulSizes = [128, 256, 512, 1024], batch = BATCH, bayesBatch = BAYES_BATCH, seed = 0 } = {}): Task[] {
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
      jax: () => jax.matmul(a, b),
      torch: () => ({ kind: 'matmul', inputs: { a, b } }),
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
      jax: () => jax.convForward(x, w, 'gather'),
      jaxLaxConv: () => jax.convForward(x, w, 'lax.conv'),
      torch: () => ({ kind: 'conv', inputs: { x, w } }),
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
      jax: () => jax.convBackward(x, w, dy),
      torch: () => ({ kind: 'conv-grad', inputs: { x, w, dy } }),
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
      jax: () => jax.maxPool(x),
      torch: () => ({ kind: 'maxpool', inputs: { x } }),
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
      jax: () => jax.maxPool(x, dy),
      torch: () => ({ kind: 'maxpool-grad', inputs: { x, dy } }),
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
    ours: () => trainStep(cnn1(new Rng(modelSeed)), images, labels, (ps) => new optim.SGD(ps, { lr: LR })),
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
    jax: () => jax.cnn1Trainer(cnn1(new Rng(modelSeed)).parameters(), images, labels, LR),
    torch: () => ({ kind: 'train-step', inputs: { x: images, y: labels }, net: cnn1(new Rng(modelSeed)), optimizer: { name: 'sgd', lr: LR } }),
  });

  // bayes-prior's network (LB-hidden Table 11, full scale: 1×32×32 input, conv 3×3×12 → ReLU →
  // conv 5×5×32 → ReLU → maxpool 2 → conv 5×5×128 → ReLU → maxpool 2 → Linear 2048→512 → ReLU →
  // Linear 512→32 → ReLU → Linear 32→10), built by the experiment's own constructor, trained as
  // the experiment trains it (no regulariser): forward, cross-entropy, backward, Adam. Ours and
  // PyTorch only: TF.js wasm lacks the filter gradient, TF.js cpu would take minutes per step.
  const bayesImages = randn([bayesBatch, 1, SCALES.full.side, SCALES.full.side], rng);
  const bayesLabels = tensor(Float32Array.from({ length: bayesBatch }, () => rng.int(10)));
  const bayesSeed = rng.int(2 ** 31);
  const bayesNet = () => table11Cnn(SCALES.full, new Rng(bayesSeed), null).net;
  tasks.push({
    name: 'bayes-prior training step',
    task: `bayes-prior CNN (Table 11) training step, Adam, batch ${bayesBatch}`,
    work: bayesBatch,
    unit: 'images/s',
    ours: () => trainStep(bayesNet(), bayesImages, bayesLabels, (ps) => new optim.Adam(ps, { lr: BAYES_LR })),
    torch: () => ({ kind: 'train-step', inputs: { x: bayesImages, y: bayesLabels }, net: bayesNet(), optimizer: { name: 'adam', lr: BAYES_LR } }),
  });
  return tasks;
}

/** One training step of `net` on a fixed batch: zero the gradients, cross-entropy, backward, update. */
function trainStep(net: nn.Sequential, images: Tensor, labels: Tensor, makeOptimizer: (params: Tensor[]) => optim.SGD | optim.Adam): Prepared {
  const optimizer = makeOptimizer(net.parameters());
  return {
    fn: () => {
      optimizer.zeroGrad();
      F.crossEntropy(net.forward(images), labels).backward();
      optimizer.step();
    },
  };
}

export interface PeerOptions {
  /** Which peers to run (default all of `peerImpls`). */
  peers?: readonly string[];
  /** The Python interpreter with torch (default /usr/bin/python3). */
  python?: string;
}

/**
 * Cases in task order; within a task, our backends first, then the peers in `peerImpls` order
 * (each only where the task has it: the table shows "—" elsewhere).
 */
export function peerCases(tasks = peerTasks(), backends = listBackends(), { peers = peerImpls, python = defaultPython }: PeerOptions = {}): BenchCase[] {
  return tasks.flatMap((t) => {
    const info = { task: t.task, work: t.work, unit: t.unit };
    const peer = (impl: string, c: { prepare: () => Promise<Prepared> } | { external: (timing: TimingOptions) => Promise<ExternalTiming> }): BenchCase[] =>
      peers.includes(impl) ? [{ name: `${t.name} (${impl})`, ...info, impl, mayBeUnsupported: true, ...c }] : [];
    const { tfjs, jax: jaxCase, jaxLaxConv, torch } = t;
    return [
      ...backends.map((be): BenchCase => ({
        name: `${t.name} (${ourImpl(be)})`, ...info, impl: ourImpl(be),
        prepare: () => {
          setBackend(be);
          return t.ours();
        },
      })),
      ...(tfjs ? tfjsBackends.flatMap((be) => peer(tfjsImpl(be), {
        prepare: async () => {
          if (!(await tf.setBackend(be))) throw new Error(`TF.js backend '${be}' failed to initialise`);
          return tfjs();
        },
      })) : []),
      ...(jaxCase ? peer(jaxImpl, { prepare: async () => (await jax.jaxReady(), jaxCase()) }) : []),
      ...(jaxLaxConv ? peer(jaxLaxConvImpl, { prepare: async () => (await jax.jaxReady(), jaxLaxConv()) }) : []),
      ...(torch ? peer(torchImpl, { external: (timing) => timeTorch(torch(), timing, python) }) : []),
    ];
  });
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
