/**
 * PyTorch's functional forms of the layers that are compositions of registry ops (no new op, so
 * every gradient is the registry's): grouped and dilated convolution, max-pooling in ceil mode,
 * average and adaptive average pooling, batch and layer normalisation, embedding lookup. Each is
 * also in `F` and behind the matching `nn` layer.
 */
import { concat, linear } from '../autograd/methods.js';
import { noGrad } from '../autograd/engine.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export type Pair = number | readonly [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function positiveInts(op: string, name: string, v: Pair): [number, number] {
  const p = pair(v);
  for (const x of p) if (!Number.isInteger(x) || x <= 0) throw new Error(`${op}: ${name} must be a positive integer, got ${x}`);
  return p;
}

/**
 * A dilated kernel as an ordinary one: w [K, C, kh, kw] with dilation d − 1 zeros between taps,
 * [K, C, (kh−1)·dh + 1, (kw−1)·dw + 1], built from reshape, pad and slice (so its gradient is the
 * taps' positions of the big kernel's gradient). The im2col kernels have no dilation; this costs
 * d² times the multiplies of a kernel-level dilation.
 */
export function dilateKernel(w: Tensor, dilation: Pair): Tensor {
  const [dh, dw] = positiveInts('dilateKernel', 'dilation', dilation);
  if (dh === 1 && dw === 1) return w;
  if (w.ndim !== 4) throw new Error(`dilateKernel: weight must be [out, in, kh, kw], got ${fmt(w.shape)}`);
  const [K, C, kh, kw] = w.shape;
  return w.reshape([K, C, kh, 1, kw, 1])
    .pad([[0, 0], [0, 0], [0, 0], [0, dh - 1], [0, 0], [0, dw - 1]])
    .reshape([K, C, kh * dh, kw * dw])
    .slice([null, null, [0, (kh - 1) * dh + 1], [0, (kw - 1) * dw + 1]]);
}

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/**
 * PyTorch's F.conv2d: x [N, C, H, W], weight [K, C/groups, kh, kw]. Dilation through
 * dilateKernel; groups as channel slices of x, weight and bias, one conv2d each, joined by concat.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, { stride = 1, padding = 0, dilation = 1, groups = 1 }: ConvOptions = {}): Tensor {
  if (!Number.isInteger(groups) || groups <= 0) throw new Error(`conv2d: groups must be a positive integer, got ${groups}`);
  const opts = { stride, padding };
  const b = bias ?? undefined;
  // One group: the conv2d op checks the shapes itself (and names them).
  if (groups === 1) return x.conv2d(dilateKernel(weight, dilation), b, opts);
  if (x.ndim !== 4 || weight.ndim !== 4) throw new Error(`conv2d: expected input [N, C, H, W] and weight [K, C/groups, kh, kw], got ${fmt(x.shape)} and ${fmt(weight.shape)}`);
  const [K, cg] = weight.shape;
  const C = x.shape[1];
  if (K % groups !== 0 || C !== cg * groups) {
    throw new Error(`conv2d: input ${fmt(x.shape)} and weight ${fmt(weight.shape)} do not fit groups = ${groups} (need C = ${groups}·${cg} and K divisible by ${groups})`);
  }
  const w = dilateKernel(weight, dilation);
  const kg = K / groups;
  const outs: Tensor[] = [];
  for (let g = 0; g < groups; g++) {
    const xs = x.slice([null, [g * cg, (g + 1) * cg]]);
    const ws = w.slice([[g * kg, (g + 1) * kg]]);
    outs.push(xs.conv2d(ws, b?.slice([[g * kg, (g + 1) * kg]]), opts));
  }
  return concat(outs, 1);
}

/** PyTorch's F.conv1d: x [N, C, L], weight [K, C/groups, k], as a conv2d of height 1. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, { stride = 1, padding = 0, dilation = 1, groups = 1 }: { stride?: number; padding?: number; dilation?: number; groups?: number } = {}): Tensor {
  if (x.ndim !== 3 || weight.ndim !== 3) throw new Error(`conv1d: expected input [N, C, L] and weight [K, C/groups, k], got ${fmt(x.shape)} and ${fmt(weight.shape)}`);
  return conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, { stride: [1, stride], padding: [0, padding], dilation: [1, dilation], groups }).squeeze(2);
}

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

/** Output length of a pooling window along one axis, with PyTorch's ceil-mode rule (the last window must start inside the input or its left padding). */
export function pooledLength(len: number, k: number, s: number, p: number, ceilMode: boolean): number {
  const span = len + 2 * p - k;
  if (span < 0) throw new Error(`pooling: kernel ${k} is larger than the padded input ${len + 2 * p}`);
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= len + p) out--;
  return out;
}

function poolWindow(op: string, x: Tensor, kernelSize: Pair, { stride, padding = 0 }: PoolOptions) {
  if (x.ndim !== 4) throw new Error(`${op}: expected NCHW input of rank 4, got shape ${fmt(x.shape)}`);
  const [kh, kw] = positiveInts(op, 'kernel size', kernelSize);
  const [sh, sw] = positiveInts(op, 'stride', stride ?? kernelSize);
  const [ph, pw] = pair(padding);
  for (const [p, k] of [[ph, kh], [pw, kw]]) {
    if (!Number.isInteger(p) || p < 0 || 2 * p > k) throw new Error(`${op}: padding must be an integer in [0, kernel/2], got ${p} for kernel ${k}`);
  }
  return { kh, kw, sh, sw, ph, pw };
}

/** The most negative float32: a finite −∞ for ceil mode's extra padding (anomaly mode stays quiet). */
const LOWEST = -3.4028234663852886e38;

/**
 * PyTorch's F.max_pool2d with ceil_mode: the input gets the extra bottom/right rows and columns
 * ceil mode reads, filled with the lowest float32 (never a window's maximum: every window holds
 * an input element), then the registry's maxPool2d.
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: PoolOptions = {}): Tensor {
  const { kh, kw, sh, sw, ph, pw } = poolWindow('maxPool2d', x, kernelSize, opts);
  if (!opts.ceilMode) return x.maxPool2d({ kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw] });
  const [, , H, W] = x.shape;
  const oh = pooledLength(H, kh, sh, ph, true);
  const ow = pooledLength(W, kw, sw, pw, true);
  const extraH = (oh - 1) * sh + kh - (H + 2 * ph);
  const extraW = (ow - 1) * sw + kw - (W + 2 * pw);
  const xp = extraH > 0 || extraW > 0 ? x.pad([[0, 0], [0, 0], [0, Math.max(0, extraH)], [0, Math.max(0, extraW)]], LOWEST) : x;
  return xp.maxPool2d({ kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw] });
}

export interface AvgPoolOptions {
  stride?: Pair;
  padding?: Pair;
  /** Count the zero padding in each window's divisor (PyTorch's default, true). */
  countIncludePad?: boolean;
}

/**
 * PyTorch's F.avg_pool2d: the mean over each window, zero padding counted in the divisor unless
 * countIncludePad is false. A conv2d of every channel (as a batch of one-channel images) with a
 * constant kh×kw kernel of 1/(kh·kw); without countIncludePad, the window sums are divided by the
 * number of input elements each window covers (the same conv of an all-ones image).
 */
export function avgPool2d(x: Tensor, kernelSize: Pair, opts: AvgPoolOptions = {}): Tensor {
  const { kh, kw, sh, sw, ph, pw } = poolWindow('avgPool2d', x, kernelSize, opts);
  const [N, C, H, W] = x.shape;
  const window = { stride: [sh, sw] as const, padding: [ph, pw] as const };
  const ones = (v: number) => new Tensor(new Float32Array(kh * kw).fill(v), [1, 1, kh, kw]);
  if (opts.countIncludePad === false) {
    const sums = x.reshape([N * C, 1, H, W]).conv2d(ones(1), undefined, window);
    const counts = noGrad(() => new Tensor(new Float32Array(H * W).fill(1), [1, 1, H, W]).conv2d(ones(1), undefined, window));
    return sums.div(counts).reshape([N, C, sums.shape[2], sums.shape[3]]);
  }
  const y = x.reshape([N * C, 1, H, W]).conv2d(ones(1 / (kh * kw)), undefined, window);
  return y.reshape([N, C, y.shape[2], y.shape[3]]);
}

/**
 * The averaging matrix of adaptive pooling along one axis: row i averages input positions
 * ⌊i·len/out⌋ … ⌈(i+1)·len/out⌉ − 1, PyTorch's windows.
 */
export function adaptiveWindows(len: number, out: number): Tensor {
  const m = new Float32Array(out * len);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * len) / out);
    const end = Math.ceil(((i + 1) * len) / out);
    for (let r = start; r < end; r++) m[i * len + r] = 1 / (end - start);
  }
  return new Tensor(m, [out, len]);
}

/**
 * PyTorch's F.adaptive_avg_pool2d. The windows are rectangles, so the average factorises:
 * y = P_H · x · P_Wᵀ with the averaging matrices of adaptiveWindows (two batched matmuls).
 * outputSize null (or an entry null) keeps that axis's size.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  if (x.ndim !== 4) throw new Error(`adaptiveAvgPool2d: expected NCHW input of rank 4, got shape ${fmt(x.shape)}`);
  const [, , H, W] = x.shape;
  const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0] ?? H, outputSize[1] ?? W];
  for (const o of [oh, ow]) if (!Number.isInteger(o) || o <= 0) throw new Error(`adaptiveAvgPool2d: output size must be positive integers, got ${o}`);
  return adaptiveWindows(H, oh).matmul(x).matmul(adaptiveWindows(W, ow).transpose());
}

export interface BatchNormOptions {
  /** Running statistics, used instead of the batch's when `training` is false. */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * PyTorch's F.batch_norm over axis 1 of x [N, C, …]. In training, normalises by the batch mean and
 * the biased variance over every axis but 1, and (when given) updates the running statistics in
 * place: mean ← (1 − m)·mean + m·batch mean, var ← (1 − m)·var + m·unbiased batch variance.
 * Otherwise it normalises by the running statistics (constants).
 */
export function batchNorm(x: Tensor, { runningMean = null, runningVar = null, weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 }: BatchNormOptions = {}): Tensor {
  if (x.ndim < 2) throw new Error(`batchNorm: expected input [N, C, …], got ${fmt(x.shape)}`);
  const C = x.shape[1];
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let y: Tensor;
  if (training || !runningMean || !runningVar) {
    const n = x.size / C;
    if (training && n <= 1) throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
    const mean = x.mean(axes, true);
    const v = x.var(axes, true);
    if (training && runningMean && runningVar) {
      noGrad(() => {
        for (let c = 0; c < C; c++) {
          runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean.data[c];
          runningVar.data[c] = (1 - momentum) * runningVar.data[c] + momentum * v.data[c] * (n / (n - 1));
        }
      });
      runningMean.version++;
      runningVar.version++;
    }
    y = x.sub(mean).div(v.add(eps).sqrt());
  } else {
    y = x.sub(runningMean.reshape(bshape)).div(runningVar.reshape(bshape).add(eps).sqrt());
  }
  if (weight) y = y.mul(weight.reshape(bshape));
  if (bias) y = y.add(bias.reshape(bshape));
  return y;
}

/** PyTorch's F.layer_norm: normalises over the trailing axes of shape `normalizedShape` (biased variance). */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], { weight = null, bias = null, eps = 1e-5 }: { weight?: Tensor | null; bias?: Tensor | null; eps?: number } = {}): Tensor {
  const k = normalizedShape.length;
  if (k === 0 || x.ndim < k || x.shape.slice(x.ndim - k).some((d, i) => d !== normalizedShape[i])) {
    throw new Error(`layerNorm: input ${fmt(x.shape)} does not end with the normalized shape ${fmt(normalizedShape)}`);
  }
  const axes = normalizedShape.map((_, i) => x.ndim - k + i);
  let y = x.sub(x.mean(axes, true)).div(x.var(axes, true).add(eps).sqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/** PyTorch's F.embedding: the rows of `weight` [num, dim] at integer `indices` (any shape) → [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be [numEmbeddings, embeddingDim], got ${fmt(weight.shape)}`);
  const [num, dim] = weight.shape;
  indices.data.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= num) throw new RangeError(`embedding: index ${v} at position ${i} is out of range [0, ${num - 1}] (indices are integers)`);
  });
  return weight.indexSelect(0, indices.reshape([indices.size])).reshape([...indices.shape, dim]);
}

export { linear };
