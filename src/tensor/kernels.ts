/**
 * The kernel interface: the only place where numbers are crunched. Ops call `kernels()` and never
 * know which backend answers. The reference backend (src/backends/reference) implements every kernel in
 * plain, readable TypeScript; a fast backend may implement any subset and falls back to the
 * reference for the rest.
 */
import { engine } from './context.js';
import type { Shape } from './shape.js';

export type UnaryKernel =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'softplus' | 'sign' | 'square'
  | 'log1p' | 'expm1' | 'sin' | 'cos' | 'erf' | 'reciprocal' | 'rsqrt' | 'gelu' | 'geluTanh' | 'silu'
  // with parameters a, b (see Kernels.unary)
  | 'clamp' | 'elu' | 'leakyRelu'
  // derivatives computed in float64 (the VJPs of gelu and silu)
  | 'geluGrad' | 'geluTanhGrad' | 'siluGrad'
  // derivatives from the output y, in one pass (the VJPs of sigmoid and tanh)
  | 'sigmoidGrad' | 'tanhGrad';
export type BinaryKernel =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  // the VJP of relu in one pass: a·[b > 0] (the bits of a·gt(b, 0))
  | 'reluGrad';
export type ReduceKernel = 'sum' | 'max' | 'min';

/**
 * One (possibly batched) matrix product out[b] = op(A[b]) · op(B[b]) with op(A) of size m×k and
 * op(B) of size k×n. `transA` means A[b] is stored k×m (so op(A) = Aᵀ), likewise `transB`.
 * A batch stride of 0 reuses the same matrix for every batch entry (broadcasting).
 */
export interface MatmulDims {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  aStride: number;
  bStride: number;
}

/** Geometry of a 2-D convolution or pooling window over NCHW input. */
export interface Conv2dGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

export interface Kernels {
  /**
   * out[i] = f(x[i]; a, b). The parameters are read by clamp (min a, max b), elu (α = a) and
   * leakyRelu (negative slope a); every other op ignores them.
   */
  unary(op: UnaryKernel, x: Float32Array, out: Float32Array, a?: number, b?: number): void;
  /** out = a ∘ b with NumPy broadcasting of aShape and bShape to outShape. */
  binary(op: BinaryKernel, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): void;
  /** Reduces the sorted `axes` of x; `out` has the kept-dims shape. */
  reduce(op: ReduceKernel, x: Float32Array, shape: Shape, axes: readonly number[], out: Float32Array): void;
  /** Index of the max (or min) along one axis; first index on ties. */
  argReduce(op: 'argmax' | 'argmin', x: Float32Array, shape: Shape, axis: number, out: Float32Array): void;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, dims: MatmulDims): void;
  /** out = x with its axes permuted: out.shape[i] = shape[perm[i]]. */
  permute(x: Float32Array, shape: Shape, perm: readonly number[], out: Float32Array): void;
  /**
   * Unfolds every kh×kw window of x into a column: cols has shape [c·kh·kw, n·outH·outW]
   * (row index (ci, ki, kj), column index (b, oy, ox)); zero padding reads as 0.
   */
  im2col(x: Float32Array, g: Conv2dGeometry, cols: Float32Array): void;
  /** The adjoint of im2col: adds every column entry back into dx (which it first zeroes). */
  col2im(cols: Float32Array, g: Conv2dGeometry, dx: Float32Array): void;
  /** Max over each window (padding reads as −∞); argmax holds the flat input index of the winner. */
  maxPool2d(x: Float32Array, g: Conv2dGeometry, out: Float32Array, argmax: Int32Array): void;
  /** Routes each output gradient to the input position that won the max. */
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void;
  // The three GEMMs of a convolution with their im2col/col2im, as single kernels so that a fast
  // backend can keep the unfolded columns [c·kh·kw, n·outH·outW] in its own memory. W is the
  // weight [outChannels, c·kh·kw]; y and gy (an output and its gradient) are NCHW,
  // [n, outChannels, outH, outW]; the GEMMs see them as G = [outChannels, n·outH·outW].
  /**
   * y = W · im2col(x), written as NCHW; with a bias (one value per output channel), bias[k] is then
   * added to channel k exactly as addChannelBias adds it (one float32 addition per element).
   */
  conv2dForward(x: Float32Array, w: Float32Array, g: Conv2dGeometry, outChannels: number, y: Float32Array, bias?: Float32Array): void;
  /** dw = G · im2col(x)ᵀ, dw of shape [outChannels, c·kh·kw]. */
  conv2dWeightGrad(gy: Float32Array, x: Float32Array, g: Conv2dGeometry, outChannels: number, dw: Float32Array): void;
  /** dx = col2im(Wᵀ · G), dx of shape [n, c, h, w]. */
  conv2dInputGrad(w: Float32Array, gy: Float32Array, g: Conv2dGeometry, outChannels: number, dx: Float32Array): void;
  /** y[b, k, p] += bias[k] for y of shape [n, bias.length, P] (a convolution's bias, in place). */
  addChannelBias(y: Float32Array, bias: Float32Array, n: number, P: number): void;
  /** sums[k] = Σ_{b,p} G[b, k, p] for G of shape [n, sums.length, P] (a bias gradient). */
  channelSums(G: Float32Array, n: number, P: number, sums: Float32Array): void;

  // Data movement. Shapes are row-major; an index tensor holds integers stored as float32.
  /** out[i] = x[offset + Σ_d idx_d · strides_d] over the row-major indices of `shape` (slice, expand). */
  stridedRead(x: Float32Array, strides: readonly number[], shape: Shape, offset: number, out: Float32Array): void;
  /** out[offset + Σ_d idx_d · strides_d] = src[i]: the scatter that undoes stridedRead (embed, pad). */
  stridedWrite(src: Float32Array, strides: readonly number[], shape: Shape, offset: number, out: Float32Array): void;
  /** Joins `parts` along an axis: `outer` rows, part j contributing `chunks[j]` contiguous values to each. */
  concat(parts: readonly Float32Array[], chunks: readonly number[], outer: number, out: Float32Array): void;
  /** PyTorch's gather along `axis` of x (shape `shape`): out[…, i, …] = x[…, index[…, i, …], …], out shaped like the index. */
  gather(x: Float32Array, shape: Shape, axis: number, index: Float32Array, indexShape: Shape, out: Float32Array): void;
  /** The adjoint of gather: adds g (shaped like the index) into out (shape `shape`, not zeroed here) at the gathered positions. */
  scatterAdd(g: Float32Array, index: Float32Array, indexShape: Shape, axis: number, shape: Shape, out: Float32Array): void;
  /**
   * Whole slices by position along an axis (PyTorch's index_select): x is [outer, len, inner] and
   * out [outer, index.length, inner] with out[o, j, :] = x[o, index[j], :].
   */
  indexSelect(x: Float32Array, outer: number, len: number, inner: number, index: Float32Array, out: Float32Array): void;
  /** The adjoint of indexSelect: adds g[o, j, :] into out[o, index[j], :] (out is [outer, len, inner], not zeroed here). */
  indexAdd(g: Float32Array, outer: number, len: number, inner: number, index: Float32Array, out: Float32Array): void;
  /** Assigns src (shaped like the index) into out (shape `shape`, holding the values to keep) at the gathered positions: PyTorch's scatter; a repeated position keeps the last write in row-major order. */
  scatter(src: Float32Array, index: Float32Array, indexShape: Shape, axis: number, shape: Shape, out: Float32Array): void;
  /**
   * Stable argsort of every line along an axis: x is [outer, len, inner] and out (the same shape)
   * receives, for each line, the positions in sorted order (ascending, or descending); equal
   * values keep their order of position, NaN counts as larger than every number (as in PyTorch).
   */
  argsort(x: Float32Array, outer: number, len: number, inner: number, descending: boolean, out: Float32Array): void;
  /**
   * Running sums or products along the middle axis of [outer, len, inner]: out[o, j, r] = x[o, 0, r] ∘ … ∘ x[o, j, r]
   * (inclusive), without x[o, j, r] itself when `exclusive` (the first is 0 or 1), from the end when `reverse`.
   */
  scan(op: 'sum' | 'prod', x: Float32Array, outer: number, len: number, inner: number, exclusive: boolean, reverse: boolean, out: Float32Array): void;
  /** out[i] = cond[i] ≠ 0 ? a[i] : b[i] (all of one length; broadcasting is done before). */
  where(cond: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Σ x[i]² accumulated in float64 (a gradient's norm for explain()). */
  sumOfSquares(x: Float32Array): number;

  /**
   * Unpooling (DRMM eq 5): out (shape of the 0/1 mask [N, K, h·p, w·p]) = mask · z[…, ⌊y/p⌋, ⌊x/p⌋]
   * for z [N, K, h, w]; 0 wherever the mask is 0 (even for an infinite z).
   */
  unpool(z: Float32Array, mask: Float32Array, h: number, w: number, pool: number, out: Float32Array): void;
  /** Its adjoint in z: dz (zeroed by the caller) += mask · g summed over each p×p block. */
  unpoolBackward(g: Float32Array, mask: Float32Array, h: number, w: number, pool: number, dz: Float32Array): void;

  // Optimiser updates, in place on the parameter w and the optimiser's buffers.
  /** SGD (PyTorch's form): d = g + λw; with momentum v ← μv + d and w ← w − lr·(Nesterov ? d + μv : v); without, w ← w − lr·d. */
  sgdUpdate(w: Float32Array, g: Float32Array, velocity: Float32Array | null, h: SgdHyper): void;
  /** Adam: d = g + λw; m ← β₁m + (1−β₁)d; v ← β₂v + (1−β₂)d²; w ← w − lr·(m/c₁)/(√(v/c₂) + ε). */
  adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void;
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ of step t. */
  c1: number;
  c2: number;
}

/** What a backend can say about itself beyond its kernels. */
export interface BackendHooks {
  /** Threads a kernel call uses now (default 1). */
  threads?: () => number;
  /** Asynchronous preparation (compiling, starting workers); `ready()` awaits it. */
  ready?: () => Promise<unknown>;
  /** Whether the matrix products fuse multiply and add into one rounding (default false). */
  fusedMultiplyAdd?: () => boolean;
}

/** The active backend and the threads its kernel calls use now. */
export interface BackendInfo {
  name: string;
  threads: number;
  /** The matrix products round once per multiply-add (wasm with relaxed SIMD): last bits differ from unfused ones. */
  fusedMultiplyAdd: boolean;
}

const backends = new Map<string, { kernels: Kernels; hooks: BackendHooks }>();

/**
 * Makes a backend available by name. Kernels it omits are taken from the reference backend, so a
 * fast backend can be added one kernel at a time.
 */
export function registerBackend(name: string, impl: Partial<Kernels>, hooks: BackendHooks = {}): void {
  const reference = backends.get('reference');
  if (!reference && name !== 'reference') throw new Error(`registerBackend: register 'reference' before '${name}'`);
  backends.set(name, { kernels: { ...reference?.kernels, ...impl } as Kernels, hooks });
  if (name === engine.backend) engine.kernels = backends.get(name)!.kernels;
}

/**
 * Chooses the backend that answers every kernel call from now on (the package's default is chosen
 * once, in src/backends.ts). Prefer withBackend for a part of a program.
 */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new Error(`setBackend: unknown backend '${name}' (available: ${[...backends.keys()].join(', ')})`);
  engine.kernels = b.kernels;
  engine.backend = name;
}

/**
 * Runs fn with `name` as the active backend and restores the previous one afterwards, even if fn
 * throws. fn must be synchronous: the backend is restored when fn returns, not when a promise settles.
 */
export function withBackend<T>(name: string, fn: () => T): T {
  const previous = engine.backend;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

export function getBackend(): string {
  return engine.backend;
}

/** The active backend's name and how many threads its calls use now (the wasm backend: 1 until its pool is up). */
export function backendInfo(): BackendInfo {
  const hooks = backends.get(engine.backend)?.hooks;
  return { name: engine.backend, threads: hooks?.threads?.() ?? 1, fusedMultiplyAdd: hooks?.fusedMultiplyAdd?.() ?? false };
}

/**
 * Prepares the active backend: the wasm backend compiles its modules off the calling thread and,
 * where threads exist (Node; a crossOriginIsolated browser page), starts its worker pool. Optional
 * in Node; in a browser, kernels run on one thread until it has resolved.
 */
export async function ready(): Promise<BackendInfo> {
  await backends.get(engine.backend)?.hooks.ready?.();
  return backendInfo();
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

/** The active kernels. */
export function kernels(): Kernels {
  const active = engine.kernels;
  if (!active) throw new Error(`kernels: backend '${engine.backend}' is not registered`);
  return active;
}
