/**
 * 2-D convolution (cross-correlation, as in PyTorch) and max-pooling over NCHW tensors.
 *
 * conv2d by im2col: the windows of x become the columns of X_col [C·kh·kw, N·H'·W'], so the
 * convolution is one GEMM  Y = W_mat · X_col  with W_mat = w reshaped to [K, C·kh·kw]. Then
 *   ∂L/∂W_mat = G · X_colᵀ,   ∂L/∂X_col = W_matᵀ · G,   ∂L/∂x = col2im(∂L/∂X_col),
 *   ∂L/∂b = Σ_{n,y,x} G,
 * with G the output gradient laid out as [K, N·H'·W']. The backward pass recomputes X_col
 * (one im2col) instead of keeping it alive between the passes. Each GEMM and its im2col/col2im
 * is one kernel (conv2dForward, conv2dWeightGrad, conv2dInputGrad; the reference composes them
 * from im2col, matmul and col2im), so the fast backend keeps X_col in its own memory.
 */
import { kernels, type Conv2dGeometry } from '../../tensor/kernels.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/rng.js';
import { defineOp } from '../engine.js';
import { distinct, values } from '../probe.js';

export interface Window2d {
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Validates an NCHW input against a kh×kw window and returns the output geometry. */
export function windowGeometry(op: string, xShape: readonly number[], kh: number, kw: number, opts: Window2d): Conv2dGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: expected NCHW input of rank 4, got shape ${fmt(xShape)}`);
  const [n, c, h, w] = xShape;
  const [strideH, strideW] = pair(opts.stride ?? 1);
  const [padH, padW] = pair(opts.padding ?? 0);
  for (const [name, v, min] of [['stride', strideH, 1], ['stride', strideW, 1], ['padding', padH, 0], ['padding', padW, 0], ['kernel size', kh, 1], ['kernel size', kw, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  if (kh > h + 2 * padH || kw > w + 2 * padW) {
    throw new Error(`${op}: kernel ${kh}×${kw} is larger than the padded input ${h + 2 * padH}×${w + 2 * padW} (input ${fmt(xShape)}, padding ${padH},${padW})`);
  }
  const outH = Math.floor((h + 2 * padH - kh) / strideH) + 1;
  const outW = Math.floor((w + 2 * padW - kw) / strideW) + 1;
  return { n, c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW };
}

function convGeometry(x: Tensor, w: Tensor, b: Tensor | undefined, opts: Window2d): Conv2dGeometry {
  if (w.ndim !== 4) throw new Error(`conv2d: weight must be [outChannels, inChannels, kh, kw], got ${fmt(w.shape)}`);
  if (x.ndim === 4 && x.shape[1] !== w.shape[1]) {
    throw new Error(`conv2d: input ${fmt(x.shape)} has ${x.shape[1]} channels but weight ${fmt(w.shape)} expects ${w.shape[1]}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== w.shape[0])) {
    throw new Error(`conv2d: bias of shape ${fmt(b.shape)} does not match ${w.shape[0]} output channels of weight ${fmt(w.shape)}`);
  }
  return windowGeometry('conv2d', x.shape, w.shape[2], w.shape[3], opts);
}

export const conv2d = defineOp<Window2d>({
  name: 'conv2d',
  derivative: 'Y = W_mat·X_col + b: ∂L/∂W = G·X_colᵀ, ∂L/∂x = col2im(W_matᵀ·G), ∂L/∂b = Σ G',
  forward: ([x, w, b], opts) => {
    const g = convGeometry(x, w, b, opts);
    const K = w.shape[0];
    const y = new Float32Array(g.n * K * g.outH * g.outW);
    kernels().conv2dForward(x.data, w.data, g, K, y, b?.data);
    return new Tensor(y, [g.n, K, g.outH, g.outW]);
  },
  vjp: (gy, [x, w, b], _y, opts) => {
    const g = convGeometry(x, w, b, opts);
    const K = w.shape[0];
    const dw = new Float32Array(w.size);
    kernels().conv2dWeightGrad(gy.data, x.data, g, K, dw);
    // The input of a first layer is data: skip its gradient (a GEMM and a col2im) when nobody wants it.
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const dxData = new Float32Array(x.size);
      kernels().conv2dInputGrad(w.data, gy.data, g, K, dxData);
      dx = new Tensor(dxData, x.shape);
    }
    const grads: (Tensor | null)[] = [dx, new Tensor(dw, w.shape)];
    if (b) {
      const db = new Float32Array(K);
      kernels().channelSums(gy.data, g.n, g.outH * g.outW, db);
      grads.push(new Tensor(db, b.shape));
    }
    return grads;
  },
  probe: (rng: Rng) => {
    const [n, c, k] = [1 + rng.int(2), 1 + rng.int(3), 1 + rng.int(3)];
    const [kh, kw] = [1 + rng.int(3), 1 + rng.int(3)];
    const opts = { stride: [1 + rng.int(2), 1 + rng.int(2)] as [number, number], padding: [rng.int(2), rng.int(2)] as [number, number] };
    const [h, w] = [kh + rng.int(4), kw + rng.int(4)];
    const inputs = [values(rng, [n, c, h, w]), values(rng, [k, c, kh, kw])];
    if (rng.bernoulli(0.7)) inputs.push(values(rng, [k]));
    return { inputs, attrs: opts };
  },
});

export interface Pool2d extends Window2d {
  kernelSize: number | readonly [number, number];
}

function poolGeometry(x: Tensor, opts: Pool2d): Conv2dGeometry {
  if (typeof opts !== 'object' || opts === null || opts.kernelSize === undefined) {
    throw new Error(`maxPool2d: expected a kernel size (a number or [kh, kw]) or options { kernelSize, stride?, padding? }, got ${JSON.stringify(opts)}`);
  }
  const [kh, kw] = pair(opts.kernelSize);
  const g = windowGeometry('maxPool2d', x.shape, kh, kw, { stride: opts.stride ?? opts.kernelSize, padding: opts.padding });
  if (g.padH * 2 > kh || g.padW * 2 > kw) throw new Error(`maxPool2d: padding ${g.padH},${g.padW} must be at most half the kernel ${kh}×${kw}`);
  return g;
}

function pool(x: Tensor, g: Conv2dGeometry): { out: Float32Array; argmax: Int32Array } {
  const size = g.n * g.c * g.outH * g.outW;
  const out = new Float32Array(size);
  const argmax = new Int32Array(size);
  kernels().maxPool2d(x.data, g, out, argmax);
  return { out, argmax };
}

/**
 * Max-pooling without a graph, with each window's winner: `winners` holds the flat index into x
 * (as a float32 integer, so x must have fewer than 2²⁴ elements) of the first maximum of each window.
 */
export function maxPoolWinners(x: Tensor, opts: Pool2d): { values: Tensor; winners: Tensor } {
  if (x.size > 2 ** 24) throw new Error(`maxPoolWinners: ${x.size} elements cannot be indexed exactly in float32 (at most 2²⁴)`);
  const g = poolGeometry(x, opts);
  const { out, argmax } = pool(x, g);
  const shape = [g.n, g.c, g.outH, g.outW];
  return { values: new Tensor(out, shape), winners: new Tensor(Float32Array.from(argmax), shape) };
}

/**
 * The forward saves the argmax of each pooling output (an Int32Array the size of the output) for
 * the backward pass; a VJP called without it (nothing recorded) recomputes it.
 */
export const maxPool2d = defineOp<Pool2d, Int32Array>({
  name: 'maxPool2d',
  derivative: 'y = max over the window: ∂y/∂xᵢ = [i = argmax], so g is routed to the winner',
  forward: ([x], opts, save) => {
    const g = poolGeometry(x, opts);
    const { out, argmax } = pool(x, g);
    save(argmax);
    return new Tensor(out, [g.n, g.c, g.outH, g.outW]);
  },
  vjp: (gy, [x], _y, opts, argmax) => {
    const dx = new Float32Array(x.size);
    kernels().maxPool2dBackward(gy.data, argmax ?? pool(x, poolGeometry(x, opts)).argmax, dx);
    return [new Tensor(dx, x.shape)];
  },
  probe: (rng: Rng) => {
    const k = 1 + rng.int(3);
    const stride = 1 + rng.int(3);
    const padding = rng.int(Math.floor(k / 2) + 1);
    const shape = [1 + rng.int(2), 1 + rng.int(2), k + rng.int(4), k + rng.int(4)];
    return { inputs: [distinct(rng, shape)], attrs: { kernelSize: k, stride, padding } };
  },
});
