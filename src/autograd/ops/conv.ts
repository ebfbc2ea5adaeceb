/**
 * 2-D convolution (cross-correlation, as in PyTorch) and max-pooling over NCHW tensors.
 *
 * conv2d by im2col: the windows of x become the columns of X_col [C·kh·kw, N·H'·W'], so the
 * convolution is one GEMM  Y = W_mat · X_col  with W_mat = w reshaped to [K, C·kh·kw]. Then
 *   ∂L/∂W_mat = G · X_colᵀ,   ∂L/∂X_col = W_matᵀ · G,   ∂L/∂x = col2im(∂L/∂X_col),
 *   ∂L/∂b = Σ_{n,y,x} G,
 * with G the output gradient laid out as [K, N·H'·W']. The backward pass recomputes X_col
 * (one im2col) instead of keeping it alive between the passes.
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

function im2col(x: Tensor, g: Conv2dGeometry): Float32Array {
  const cols = new Float32Array(g.c * g.kh * g.kw * g.n * g.outH * g.outW);
  kernels().im2col(x.data, g, cols);
  return cols;
}

/** Reorders [K, N, H'·W'] ↔ [N, K, H'·W'] (a permutation of the two leading axes). */
function swapLeading(src: Float32Array, a: number, b: number, inner: number): Float32Array {
  const out = new Float32Array(src.length);
  kernels().permute(src, [a, b, inner], [1, 0, 2], out);
  return out;
}

/** y[k, p] += bias[k] for y of shape [K, P]. */
function addRowBias(y: Float32Array, bias: Float32Array, P: number): void {
  for (let k = 0; k < bias.length; k++) {
    const bk = bias[k];
    for (let p = k * P, end = p + P; p < end; p++) y[p] += bk;
  }
}

/** Σ_p G[k, p] for G of shape [K, P], accumulated in float64. */
function rowSums(G: Float32Array, K: number, P: number): Float32Array {
  const out = new Float32Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let p = k * P, end = p + P; p < end; p++) s += G[p];
    out[k] = s;
  }
  return out;
}

export const conv2d = defineOp<Window2d>({
  name: 'conv2d',
  derivative: 'Y = W_mat·X_col + b: ∂L/∂W = G·X_colᵀ, ∂L/∂x = col2im(W_matᵀ·G), ∂L/∂b = Σ G',
  forward: ([x, w, b], opts) => {
    const g = convGeometry(x, w, b, opts);
    const K = w.shape[0];
    const P = g.n * g.outH * g.outW;
    const rows = g.c * g.kh * g.kw;
    const y = new Float32Array(K * P);
    kernels().matmul(w.data, im2col(x, g), y, { batch: 1, m: K, k: rows, n: P, transA: false, transB: false, aStride: 0, bStride: 0 });
    if (b) addRowBias(y, b.data, P);
    return new Tensor(swapLeading(y, K, g.n, g.outH * g.outW), [g.n, K, g.outH, g.outW]);
  },
  vjp: (gy, [x, w, b], _y, opts) => {
    const g = convGeometry(x, w, b, opts);
    const K = w.shape[0];
    const P = g.n * g.outH * g.outW;
    const rows = g.c * g.kh * g.kw;
    const G = swapLeading(gy.data, g.n, K, g.outH * g.outW); // [K, P]
    const dw = new Float32Array(K * rows);
    kernels().matmul(G, im2col(x, g), dw, { batch: 1, m: K, k: P, n: rows, transA: false, transB: true, aStride: 0, bStride: 0 });
    // The input of a first layer is data: skip its gradient (a GEMM and a col2im) when nobody wants it.
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const dcols = new Float32Array(rows * P);
      kernels().matmul(w.data, G, dcols, { batch: 1, m: rows, k: K, n: P, transA: true, transB: false, aStride: 0, bStride: 0 });
      const dxData = new Float32Array(x.size);
      kernels().col2im(dcols, g, dxData);
      dx = new Tensor(dxData, x.shape);
    }
    const grads: (Tensor | null)[] = [dx, new Tensor(dw, w.shape)];
    if (b) {
      grads.push(new Tensor(rowSums(G, K, P), b.shape));
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
 * The argmax of each pooling output, kept from the forward pass for the backward pass (an Int32Array
 * the size of the output; it goes when the output tensor does). A VJP called on an output this map
 * does not know recomputes it.
 */
const winners = new WeakMap<Tensor, Int32Array>();

export const maxPool2d = defineOp<Pool2d>({
  name: 'maxPool2d',
  derivative: 'y = max over the window: ∂y/∂xᵢ = [i = argmax], so g is routed to the winner',
  forward: ([x], opts) => {
    const g = poolGeometry(x, opts);
    const { out, argmax } = pool(x, g);
    const y = new Tensor(out, [g.n, g.c, g.outH, g.outW]);
    winners.set(y, argmax);
    return y;
  },
  vjp: (gy, [x], y, opts) => {
    const dx = new Float32Array(x.size);
    kernels().maxPool2dBackward(gy.data, winners.get(y) ?? pool(x, poolGeometry(x, opts)).argmax, dx);
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
