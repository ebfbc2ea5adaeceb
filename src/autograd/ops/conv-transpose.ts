/**
 * The transposed convolution: the adjoint of conv2d with respect to its input, for any stride and
 * padding. With conv2d written as Y = W_mat · im2col(x) (see conv.ts), its adjoint maps y to
 *     x = col2im(W_matᵀ · G),        G = y laid out as [K, N·H'·W'],
 * and, for an upstream gradient g of that output,
 *     ∂L/∂G = W_mat · im2col(g),     ∂L/∂W_mat = G · im2col(g)ᵀ.
 * A strided valid convolution can drop trailing rows and columns of its input, so the output size
 * [H, W] is an attribute rather than derived from y. Used by the reverse model of a convolutional
 * DCIM (DCIM eq 18: V^{k−1} = (W^k)ᵀ).
 */
import { kernels, type Conv2dGeometry } from '../../tensor/kernels.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Rng } from '../../tensor/rng.js';
import { defineOp } from '../engine.js';
import { values } from '../probe.js';
import { windowGeometry, type Window2d } from './conv.js';

export interface ConvTranspose2d extends Window2d {
  /** Spatial size [H, W] of the output (the input of the convolution this is the adjoint of). */
  outputSize: readonly [number, number];
}

function geometry(y: Tensor, w: Tensor, opts: ConvTranspose2d): Conv2dGeometry {
  if (y.ndim !== 4) throw new Error(`conv2dTranspose: expected NCHW input of rank 4, got shape ${fmt(y.shape)}`);
  if (w.ndim !== 4) throw new Error(`conv2dTranspose: weight must be [outChannels, inChannels, kh, kw] of the convolution, got ${fmt(w.shape)}`);
  if (y.shape[1] !== w.shape[0]) throw new Error(`conv2dTranspose: input ${fmt(y.shape)} has ${y.shape[1]} channels but weight ${fmt(w.shape)} has ${w.shape[0]} output channels`);
  const [h, ww] = opts.outputSize ?? [];
  if (!Number.isInteger(h) || !Number.isInteger(ww) || h < 1 || ww < 1) throw new Error(`conv2dTranspose: outputSize must be two positive integers, got ${JSON.stringify(opts.outputSize)}`);
  const g = windowGeometry('conv2dTranspose', [y.shape[0], w.shape[1], h, ww], w.shape[2], w.shape[3], opts);
  if (g.outH !== y.shape[2] || g.outW !== y.shape[3]) {
    throw new Error(`conv2dTranspose: a convolution of a ${h}×${ww} input gives ${g.outH}×${g.outW}, but the input is ${y.shape[2]}×${y.shape[3]} (shape ${fmt(y.shape)})`);
  }
  return g;
}

const conv2dTransposeOp = defineOp<ConvTranspose2d>({
  name: 'conv2dTranspose',
  derivative: 'x = col2im(W_matᵀ·G): ∂L/∂G = W_mat·im2col(g), ∂L/∂W = G·im2col(g)ᵀ',
  forward: ([y, w], opts) => {
    const g = geometry(y, w, opts);
    const x = new Float32Array(g.n * g.c * g.h * g.w);
    kernels().conv2dInputGrad(w.data, y.data, g, w.shape[0], x);
    return new Tensor(x, [g.n, g.c, g.h, g.w]);
  },
  vjp: (gx, [y, w], _x, opts) => {
    const g = geometry(y, w, opts);
    const dy = new Float32Array(y.size);
    kernels().conv2dForward(gx.data, w.data, g, w.shape[0], dy);
    const dw = new Float32Array(w.size);
    kernels().conv2dWeightGrad(y.data, gx.data, g, w.shape[0], dw);
    return [new Tensor(dy, y.shape), new Tensor(dw, w.shape)];
  },
  probe: (rng: Rng) => {
    const [n, c, k] = [1 + rng.int(2), 1 + rng.int(3), 1 + rng.int(3)];
    const [kh, kw] = [1 + rng.int(3), 1 + rng.int(3)];
    const stride: [number, number] = [1 + rng.int(2), 1 + rng.int(2)];
    const padding: [number, number] = [rng.int(2), rng.int(2)];
    const [h, w] = [kh + rng.int(4), kw + rng.int(4)];
    const outH = Math.floor((h + 2 * padding[0] - kh) / stride[0]) + 1;
    const outW = Math.floor((w + 2 * padding[1] - kw) / stride[1]) + 1;
    return { inputs: [values(rng, [n, k, outH, outW]), values(rng, [k, c, kh, kw])], attrs: { stride, padding, outputSize: [h, w] } };
  },
});

/**
 * The adjoint of `x.conv2d(w, undefined, { stride, padding })` in x: maps y [N, K, H', W'] to
 * [N, C, H, W] with [H, W] = outputSize, so that ⟨conv2dTranspose(y), x⟩ = ⟨y, conv2d(x)⟩.
 */
export function conv2dTranspose(y: Tensor, w: Tensor, opts: ConvTranspose2d): Tensor {
  return conv2dTransposeOp([y, w], opts);
}
