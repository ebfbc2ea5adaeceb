/**
 * A convolutional DCIM layer: the units of layer k are the K'×H'×W' outputs of a convolution, and
 * p(x^k | x^{k−1}) = Π_u exp(x^k_u a^k_u)/Z(a^k_u) with a^k = conv(x^{k−1}) + b^k (DCIM eq 13,
 * the affine map W^k being a convolution with shared weights). As a DCIM layer it reads and
 * writes flat layers [N, C·H·W], so dense and convolutional layers chain freely (DCIM §3.2).
 *
 * Its reverse map (DCIM eq 18, V^{k−1} = (W^k)ᵀ) is the transposed convolution; its per-unit bias
 * is the channel bias repeated over positions, which is what q shares for hidden layers (eq 20).
 * A "pooling" layer of the paper's CNN, (2, 2, K), is such a convolution with a 2×2 window and
 * stride 2: max-pooling is not a layer of conditionally independent units, a strided
 * convolution is.
 */
import { conv2dTranspose } from '../../autograd/ops/conv-transpose.js';
import { Conv2d } from '../../layers/layers.js';
import { Module } from '../../layers/module.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

const pair = (v: number | readonly [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export class DcimConv extends Module {
  readonly inShape: readonly [number, number, number];
  readonly outShape: readonly [number, number, number];
  readonly inFeatures: number;
  readonly outFeatures: number;

  /** Wraps (and shares) `conv`, applied to inputs of shape [C, H, W] = `inShape`. */
  constructor(readonly conv: Conv2d, inShape: readonly [number, number, number]) {
    super();
    if (!(conv instanceof Conv2d)) throw new Error('DcimConv: expects an nn.Conv2d');
    if (!conv.bias) throw new Error('DcimConv: the convolution has no bias; DCIM layers need one');
    const [c, h, w] = inShape;
    if (inShape.length !== 3 || [c, h, w].some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`DcimConv: inShape must be [C, H, W] of positive integers, got ${fmt(inShape)}`);
    if (c !== conv.inChannels) throw new Error(`DcimConv: inShape ${fmt(inShape)} has ${c} channels but the convolution takes ${conv.inChannels}`);
    const [, , kh, kw] = conv.weight.shape;
    const [sh, sw] = pair(conv.stride, 1);
    const [ph, pw] = pair(conv.padding, 0);
    const outH = Math.floor((h + 2 * ph - kh) / sh) + 1;
    const outW = Math.floor((w + 2 * pw - kw) / sw) + 1;
    if (outH < 1 || outW < 1) throw new Error(`DcimConv: a ${kh}×${kw} window does not fit the input ${fmt(inShape)}`);
    this.inShape = [c, h, w];
    this.outShape = [conv.outChannels, outH, outW];
    this.inFeatures = c * h * w;
    this.outFeatures = conv.outChannels * outH * outW;
    this.registerModule('conv', conv);
  }

  /** a = conv(x) + b on flat layers: [N, C·H·W] → [N, K·H'·W']. */
  forward(x: Tensor): Tensor {
    const n = x.shape[0];
    return this.conv.forward(x.reshape([n, ...this.inShape])).reshape([n, this.outFeatures]);
  }

  /** Wᵀy on flat layers, [N, K·H'·W'] → [N, C·H·W] (no bias): the reverse model's weights. */
  adjoint(y: Tensor): Tensor {
    const n = y.shape[0];
    const out = conv2dTranspose(y.reshape([n, ...this.outShape]), this.conv.weight, { stride: this.conv.stride, padding: this.conv.padding, outputSize: [this.inShape[1], this.inShape[2]] });
    return out.reshape([n, this.inFeatures]);
  }

  /** The bias of every unit, [K·H'·W'] (each channel's bias repeated over its positions). */
  get bias(): Tensor {
    const [k, h, w] = this.outShape;
    return this.conv.bias!.reshape([k, 1]).expand([k, h * w]).reshape([this.outFeatures]);
  }
}
