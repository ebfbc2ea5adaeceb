/**
 * The jax-js peer (`@jax-js/jax` 0.1.25, its WebAssembly device) for `npm run bench peers`.
 *
 * The formulation is jax-js's fastest one we found on its wasm device, not the textbook one:
 * - a convolution is im2col by index plus one matrix product: `np.take` gathers the unfolded
 *   [C·KH·KW, N·OH·OW] matrix from the flattened input with a precomputed int32 index, and
 *   `np.matmul` multiplies the [O, C·KH·KW] filters by it. `lax.conv` (measured beside it, as
 *   `jaxLaxConvImpl`, on the forward passes) is one to two orders of magnitude slower in 0.1.25;
 * - 2×2 max-pooling is `lax.reduceWindow` with `np.max`: reshaping to [.., H/2, 2, W/2, 2] and
 *   taking the max was ≈ 15× slower backwards (its cotangent gets fused into the next matmul and
 *   recomputed there);
 * - every forward-only case is one `jit`-compiled function. The gradient of a gather is a
 *   scatter-add, which jax-js 0.1.25 runs as a JavaScript routine that `jit` cannot compile
 *   ("routine primitive scatter input is not imm"), so cases that differentiate through a
 *   gather's input run eagerly, and the CNN1 step is jitted in three pieces around that one
 *   scatter (conv2's input gradient): block 1 forward, the rest of the network with its gradients
 *   and SGD update, and block 1's filter gradients with their update.
 * Activations of the training step are kept as [C, N, H, W], so that a convolution's
 * [O, N·OH·OW] product is already the next layer's input and no transpose sits between layers.
 *
 * jax-js evaluates lazily; a timed call ends by reading its results back (`dataSync`), which is
 * what makes it compute them (the copy out is part of the work, as our kernels' copy out of
 * WebAssembly memory is of ours). jax-js counts references: every function consumes its array
 * arguments, hence the `.ref`s on what is used again.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultDevice, grad, init, jit, lax, nn, numpy as np, tree, valueAndGrad, vjp } from '@jax-js/jax';
import type { Tensor } from '../src/index.js';
import type { Prepared } from './suite.js';

type JArray = np.Array;

/** Implementation names in the table: the peer, and `lax.conv` measured beside it (not a column). */
export const jaxImpl = 'jax-js-wasm';
export const jaxLaxConvImpl = 'jax-js-wasm/lax.conv';

let ready: Promise<void> | undefined;

/** Starts jax-js's wasm device once and makes it the default. */
export function jaxReady(): Promise<void> {
  ready ??= init('wasm').then((devices) => {
    if (!devices.includes('wasm')) throw new Error(`jax-js: no wasm device (available: ${devices.join(', ') || 'none'})`);
    defaultDevice('wasm');
  });
  return ready;
}

/** The installed jax-js version and whether its wasm device can use threads (Web Workers with shared memory). */
export function jaxInfo(): { version: string; threads: boolean } {
  const entry = createRequire(import.meta.url).resolve('@jax-js/jax');
  const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  // jax-js starts its worker pool only where both exist; Node has no global Worker.
  const threads = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return { version, threads };
}

/** A jax-js float32 array with a copy of `t`'s numbers, in `shape` (default `t`'s). */
export function toJax(t: Pick<Tensor, 'data' | 'shape'>, shape: readonly number[] = t.shape): JArray {
  return np.array(t.data, { shape: [...shape] });
}

/** One-hot rows [N, classes] of float class labels. */
function oneHot(labels: Pick<Tensor, 'data'>, classes: number): JArray {
  return nn.oneHot(np.array(Int32Array.from(labels.data), { dtype: np.int32 }), classes);
}

/**
 * The im2col index of an unpadded stride-1 convolution: entry (k, p) of the [C·KH·KW, N·OH·OW]
 * matrix is element idx[k, p] of the flattened input, k = (c, ky, kx), p = (n, oy, ox). The input
 * is [N, C, H, W] ('NCHW') or [C, N, H, W] ('CNHW').
 */
export function im2colIndex(layout: 'NCHW' | 'CNHW', [n, c, h, w]: readonly number[], [kh, kw]: readonly number[]): JArray {
  const [oh, ow] = [h - kh + 1, w - kw + 1];
  const [K, P] = [c * kh * kw, n * oh * ow];
  const [sn, sc] = layout === 'NCHW' ? [c * h * w, h * w] : [h * w, n * h * w];
  const idx = new Int32Array(K * P);
  let i = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const row = b * sn + ci * sc + (oy + ky) * w + kx;
            for (let ox = 0; ox < ow; ox++) idx[i++] = row + ox;
          }
        }
      }
    }
  }
  return np.array(idx, { shape: [K, P], dtype: np.int32 });
}

/** Convolution by gather + matmul: filters [O, C, KH, KW], `idx` from im2colIndex; result [O, N, OH, OW]. */
export function convGather(x: JArray, w: JArray, idx: JArray, [o, n, oh, ow]: readonly number[]): JArray {
  return np.matmul(w.reshape([o, -1]), np.take(x.reshape([-1]), idx)).reshape([o, n, oh, ow]);
}

/** 2×2 max-pool with stride 2 over the last two axes (an odd edge is dropped, as ours and TF.js 'valid'). */
export function maxPool2(x: JArray): JArray {
  return lax.reduceWindow(x, (v: JArray) => np.max(v), [2, 2], [2, 2]);
}

const nchw = (y: JArray) => y.transpose([1, 0, 2, 3]);

/** The forward convolution of NCHW `x` by OIHW `w` (NCHW result), in either formulation: a jitted function and what it consumes. */
export function convForward(x: Tensor, w: Tensor, formulation: 'gather' | 'lax.conv'): Prepared & { result: () => Float32Array } {
  const [n, c, h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const out = [o, n, h - kh + 1, wd - kw + 1];
  const [jx, jw] = [toJax(x), toJax(w)];
  if (formulation === 'lax.conv') {
    const f = jit((a: JArray, b: JArray) => lax.conv(a, b, [1, 1], 'VALID'));
    const result = () => f(jx.ref, jw.ref).dataSync() as Float32Array;
    return { fn: result, result, dispose: () => [jx, jw, f].forEach((a) => a.dispose()) };
  }
  const idx = im2colIndex('NCHW', [n, c, h, wd], [kh, kw]);
  const f = jit((a: JArray, b: JArray, i: JArray) => nchw(convGather(a, b, i, out)));
  const result = () => f(jx.ref, jw.ref, idx.ref).dataSync() as Float32Array;
  return { fn: result, result, dispose: () => [jx, jw, idx, f].forEach((a) => a.dispose()) };
}

/** Forward + ∂x + ∂w of a gather convolution against the cotangent `dy` (eager: the ∂x scatter cannot be jitted). */
export function convBackward(x: Tensor, w: Tensor, dy: Tensor): Prepared & { result: () => Float32Array[] } {
  const [n, c, h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const out = [o, n, h - kh + 1, wd - kw + 1];
  const [jx, jw, jdy] = [toJax(x), toJax(w), toJax(dy)];
  const idx = im2colIndex('NCHW', [n, c, h, wd], [kh, kw]);
  const result = () => {
    const [y, pull] = vjp((a: JArray, b: JArray) => nchw(convGather(a, b, idx.ref, out)), [jx.ref, jw.ref]);
    const [gx, gw] = pull(jdy.ref);
    pull.dispose();
    return [y, gx, gw].map((a) => a.dataSync() as Float32Array);
  };
  return { fn: result, result, dispose: () => [jx, jw, jdy, idx].forEach((a) => a.dispose()) };
}

/** 2×2 max-pool forward, or forward + ∂x against `dy` (both jitted). */
export function maxPool(x: Tensor, dy?: Tensor): Prepared {
  const jx = toJax(x);
  if (!dy) {
    const f = jit(maxPool2);
    return { fn: () => f(jx.ref).dataSync(), dispose: () => [jx, f].forEach((a) => a.dispose()) };
  }
  const jdy = toJax(dy);
  const f = jit((a: JArray, g: JArray) => {
    const [y, pull] = vjp(maxPool2, [a]);
    const [gx] = pull(g);
    pull.dispose();
    return [y, gx];
  });
  return {
    fn: () => f(jx.ref, jdy.ref).map((a) => a.dataSync()),
    dispose: () => [jx, jdy, f].forEach((a) => a.dispose()),
  };
}

/** A jitted matmul of two [n, n] matrices. */
export function matmul(a: Tensor, b: Tensor): Prepared {
  const [ja, jb] = [toJax(a), toJax(b)];
  const f = jit((x: JArray, y: JArray) => np.matmul(x, y));
  return { fn: () => f(ja.ref, jb.ref).dataSync(), dispose: () => [ja, jb, f].forEach((a) => a.dispose()) };
}

type Cnn1Params = { w1: JArray; b1: JArray; w2: JArray; b2: JArray; w3: JArray; b3: JArray };

/**
 * CNN1's SGD training step (conv 3×3×20 → maxpool 2 → ReLU → conv 5×5×60 → maxpool 2 → ReLU →
 * Linear 1500→10, mean softmax cross-entropy) in jax-js, from the six parameters of our `cnn1()`
 * in their order and layout. `step()` runs one step and returns its loss (before the update).
 */
export function cnn1Trainer(params: readonly Tensor[], images: Tensor, labels: Tensor, lr: number): Prepared & { step: () => number } {
  const n = images.shape[0];
  if (images.shape.join() !== `${n},1,32,32` || params.length !== 6) throw new Error('cnn1Trainer: expects [N, 1, 32, 32] images and the 6 parameters of cnn1()');
  const [w1, b1, w2, b2, w3, b3] = params;
  let p: Cnn1Params = { w1: toJax(w1), b1: toJax(b1), w2: toJax(w2), b2: toJax(b2), w3: toJax(w3), b3: toJax(b3) };
  // [N, 1, H, W] and [1, N, H, W] are the same numbers: the images are already [C, N, H, W].
  const x = toJax(images, [1, n, 32, 32]);
  const y = oneHot(labels, 10);
  const i1 = im2colIndex('CNHW', [n, 1, 32, 32], [3, 3]);
  const i2 = im2colIndex('CNHW', [n, 20, 15, 15], [5, 5]);
  const sgd = (w: JArray, g: JArray) => w.sub(g.mul(lr));

  // conv1 + bias → pool → ReLU: [20, N, 15, 15].
  const block1 = (w: JArray, b: JArray, xs: JArray, idx: JArray) => nn.relu(maxPool2(convGather(xs, w, idx, [20, n, 30, 30]).add(b.reshape([20, 1, 1, 1]))));
  // From conv2's unfolded input to the loss; the features are flattened in our (NCHW) order.
  const head = (cols: JArray, wc: JArray, bc: JArray, wl: JArray, bl: JArray, targets: JArray) => {
    const conv2 = np.matmul(wc.reshape([60, -1]), cols).add(bc.reshape([60, 1])).reshape([60, n, 11, 11]);
    const h = nn.relu(maxPool2(conv2)).transpose([1, 0, 2, 3]).reshape([n, 1500]);
    const logits = np.matmul(h, wl.transpose()).add(bl);
    return nn.logSoftmax(logits).mul(targets).sum().mul(-1 / n);
  };
  const forward1 = jit(block1);
  const headStep = jit((cols: JArray, wc: JArray, bc: JArray, wl: JArray, bl: JArray, targets: JArray) => {
    const [loss, [dCols, gwc, gbc, gwl, gbl]] = valueAndGrad(head, { argnums: [0, 1, 2, 3, 4] })(cols, wc.ref, bc.ref, wl.ref, bl.ref, targets);
    return [loss, dCols, sgd(wc, gwc), sgd(bc, gbc), sgd(wl, gwl), sgd(bl, gbl)];
  });
  const backward1 = jit((w: JArray, b: JArray, xs: JArray, idx: JArray, dh: JArray) => {
    const [gw, gb] = grad((v: JArray, c: JArray) => block1(v, c, xs, idx).mul(dh).sum(), { argnums: [0, 1] })(w.ref, b.ref);
    return [sgd(w, gw), sgd(b, gb)];
  });

  const step = () => {
    const h1 = forward1(p.w1.ref, p.b1.ref, x.ref, i1.ref);
    const [cols2, pull] = vjp((h: JArray) => np.take(h.reshape([-1]), i2.ref), [h1]);
    const [loss, dCols, nw2, nb2, nw3, nb3] = headStep(cols2, p.w2, p.b2, p.w3, p.b3, y.ref);
    const [dh1] = pull(dCols); // the scatter-add, eager
    pull.dispose();
    const [nw1, nb1] = backward1(p.w1, p.b1, x.ref, i1.ref, dh1);
    p = { w1: nw1, b1: nb1, w2: nw2, b2: nb2, w3: nw3, b3: nb3 };
    for (const v of Object.values(p)) v.ref.dataSync(); // compute the new parameters now
    return loss.dataSync()[0];
  };
  return {
    fn: step,
    step,
    dispose: () => {
      tree.dispose(p);
      [x, y, i1, i2, forward1, headStep, backward1].forEach((a) => a.dispose());
    },
  };
}
