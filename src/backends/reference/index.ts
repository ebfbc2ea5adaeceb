/**
 * The reference backend: every kernel as a short, plain TypeScript loop. Readability first; the
 * loops are still ordered for the cache (matmul is i-k-j) and accumulate in float64 (JS numbers),
 * rounding to float32 only when they store.
 */
import type { AdamHyper, BinaryKernel, Conv2dGeometry, Kernels, MatmulDims, ReduceKernel, SgdHyper, UnaryKernel } from '../../tensor/kernels.js';
import { registerBackend } from '../../tensor/kernels.js';
import { broadcastStrides, sameShape, sizeOf, stridesOf, type Shape } from '../../tensor/shape.js';
import { stridedRead, stridedWrite, walk } from './strided.js';
import { erf, erfc } from '../../tensor/erf.js';

/** sigmoid(x) = 1/(1+e^−x), written so that e^{|x|} never overflows (stable for |x| ≫ 100). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{−|x|}), finite for every finite x. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

// The activations below are computed in float64 from forms that neither overflow nor cancel, and
// are finite for every finite x (their limits at ±∞, where x·0 would give NaN). A NaN input is
// returned as it is: these forms combine x with a function of −x, two NaNs of opposite
// signs, in a commutative op whose operand order the JIT may swap (x86 keeps the first NaN), so a
// NaN's sign bit would otherwise change between runs (the fast loops' bit-for-bit test saw it).
const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);
const GELU_TANH_K = 0.044715;

/** Φ(x), the standard normal CDF, as ½·erfc(−x/√2): no cancellation in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** gelu(x) = x·Φ(x) (PyTorch's exact form); x·Φ(x) at x = −∞ is 0. */
export function gelu(x: number): number {
  if (x !== x) return x; // a NaN passes as itself: see above
  return x === -Infinity ? 0 : x * normalCdf(x);
}

/** gelu′(x) = Φ(x) + x·φ(x). */
export function geluGrad(x: number): number {
  if (x !== x) return x;
  if (x === Infinity || x === -Infinity) return x > 0 ? 1 : 0;
  return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * The tanh approximation ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), as x·σ(2u) (the same
 * function: 1 + tanh u = 2σ(2u)), which does not cancel for x ≪ 0.
 */
export function geluTanh(x: number): number {
  if (x !== x) return x;
  if (x === -Infinity) return 0;
  return x * sigmoid(2 * GELU_TANH_C * (x + GELU_TANH_K * x * x * x));
}

/** d/dx x·σ(2u) = σ(2u) + 2x·u′·σ(2u)·σ(−2u), u′ = √(2/π)(1 + 3·0.044715x²). */
export function geluTanhGrad(x: number): number {
  if (x !== x) return x;
  if (x === Infinity || x === -Infinity) return x > 0 ? 1 : 0;
  const u2 = 2 * GELU_TANH_C * (x + GELU_TANH_K * x * x * x);
  const du2 = 2 * GELU_TANH_C * (1 + 3 * GELU_TANH_K * x * x);
  return sigmoid(u2) + x * du2 * sigmoid(u2) * sigmoid(-u2);
}

/** silu(x) = x·σ(x); 0 at x = −∞. */
export function silu(x: number): number {
  if (x !== x) return x;
  return x === -Infinity ? 0 : x * sigmoid(x);
}

/** silu′(x) = σ(x)·(1 + x·σ(−x)) (σ(−x) in place of 1 − σ(x), which cancels for x ≫ 0). */
export function siluGrad(x: number): number {
  if (x !== x) return x;
  if (x === Infinity || x === -Infinity) return x > 0 ? 1 : 0;
  return sigmoid(x) * (1 + x * sigmoid(-x));
}

// The two below take the op's output y and round the inner term to float32, so that one pass
// gives the bits of the float32 chain it replaces (1 − y, then y·(1 − y); y², then 1 − y²): a
// float32 op computed in float64 and rounded once is correctly rounded.

/** σ′ from y = σ(x): y·(1 − y). */
export function sigmoidGrad(y: number): number {
  return y * Math.fround(1 - y);
}

/** tanh′ from y = tanh(x): 1 − y². */
export function tanhGrad(y: number): number {
  return 1 - Math.fround(y * y);
}

/** clamp(x; lo, hi) = min(max(x, lo), hi) (hi wins when lo > hi, as in PyTorch); NaN stays NaN. */
export function clamp(x: number, lo: number, hi: number): number {
  const v = x < lo ? lo : x;
  return v > hi ? hi : v;
}

/** elu(x; α) = x for x > 0, α·(eˣ − 1) otherwise (expm1: exact near 0). */
export function elu(x: number, alpha: number): number {
  return x > 0 ? x : alpha * Math.expm1(x);
}

export function leakyRelu(x: number, slope: number): number {
  return x > 0 ? x : slope * x;
}

/** 1/√x (−0 gives −∞, as in PyTorch). */
export function rsqrt(x: number): number {
  return 1 / Math.sqrt(x);
}

export const UNARY: Record<UnaryKernel, (x: number, a: number, b: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => (x <= 0 ? 0 : x), // NaN stays NaN (as in PyTorch): a dead-looking unit must not hide a NaN
  softplus,
  sign: Math.sign,
  square: (x) => x * x,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sin: Math.sin,
  cos: Math.cos,
  erf,
  reciprocal: (x) => 1 / x,
  rsqrt,
  gelu,
  geluTanh,
  silu,
  clamp,
  elu,
  leakyRelu,
  geluGrad,
  geluTanhGrad,
  siluGrad,
  sigmoidGrad,
  tanhGrad,
};

export const BINARY: Record<BinaryKernel, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a < b ? a : b),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
  reluGrad: (g, x) => g * +(x > 0),
};

function unary(op: UnaryKernel, x: Float32Array, out: Float32Array, a = 0, b = 0): void {
  const f = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i], a, b);
}

/**
 * Walks the output in row-major order with an odometer over all but the last axis; each input
 * is read through its broadcast strides (0 along broadcast axes).
 */
function binary(op: BinaryKernel, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, out: Float32Array, outShape: Shape): void {
  const f = BINARY[op];
  if (sameShape(aShape, bShape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
    return;
  }
  if (b.length === 1) {
    const s = b[0];
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], s);
    return;
  }
  const rank = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const last = rank === 0 ? 1 : outShape[rank - 1];
  const la = rank === 0 ? 0 : sa[rank - 1];
  const lb = rank === 0 ? 0 : sb[rank - 1];
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < out.length; o += last) {
    for (let j = 0; j < last; j++) out[o + j] = f(a[ia + j * la], b[ib + j * lb]);
    // advance the odometer over the leading axes
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < outShape[d]) break;
      ia -= sa[d] * outShape[d];
      ib -= sb[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/** Each reduction's starting value and its fold of one input v into the accumulator a (NaN wins max and min). */
export const REDUCE: Record<ReduceKernel, { start: number; fold: (a: number, v: number) => number }> = {
  sum: { start: 0, fold: (a, v) => a + v },
  max: { start: -Infinity, fold: (a, v) => (v > a || v !== v ? v : a) },
  min: { start: Infinity, fold: (a, v) => (v < a || v !== v ? v : a) },
};

/** Each input element is folded into the output slot it maps to (strides 0 along reduced axes). */
function reduce(op: ReduceKernel, x: Float32Array, shape: Shape, axes: readonly number[], out: Float32Array): void {
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const { start, fold } = REDUCE[op];
  const acc = new Float64Array(out.length).fill(start);
  walk(shape, broadcastStrides(keptShape, shape), 0, (i, o) => { acc[o] = fold(acc[o], x[i]); });
  out.set(acc);
}

function argReduce(op: 'argmax' | 'argmin', x: Float32Array, shape: Shape, axis: number, out: Float32Array): void {
  const len = shape[axis];
  const inner = stridesOf(shape)[axis];
  const outer = sizeOf(shape) / (len * inner || 1);
  const better = op === 'argmax' ? (v: number, w: number) => v > w : (v: number, w: number) => v < w;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = 0;
      let bv = x[base];
      for (let k = 1; k < len; k++) {
        const v = x[base + k * inner];
        if (better(v, bv)) { bv = v; best = k; }
      }
      out[o * inner + i] = best;
    }
  }
}

/** Copies a row-major r×c matrix into its c×r transpose. */
function transposed(src: Float32Array, offset: number, r: number, c: number): Float32Array {
  const t = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = src[offset + i * c + j];
  return t;
}

/**
 * C = A·B in i-k-j order: row i of C accumulates A[i,p]·(row p of B), so the inner loop walks
 * B and C contiguously. Two refinements keep it readable and ~3× faster than the plain triple
 * loop: rows of C are computed two at a time (each B element loaded feeds both), and p advances
 * four at a time (four products per accumulator update). Accumulators are float64.
 * Transposed operands are first copied into plain row-major form.
 */
function matmul(a: Float32Array, b: Float32Array, out: Float32Array, d: MatmulDims): void {
  const { batch, m, k, n } = d;
  const acc0 = new Float64Array(n);
  const acc1 = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const A = d.transA ? transposed(a, t * d.aStride, k, m) : a.subarray(t * d.aStride, t * d.aStride + m * k);
    const B = d.transB ? transposed(b, t * d.bStride, n, k) : b.subarray(t * d.bStride, t * d.bStride + k * n);
    const C = out.subarray(t * m * n, (t + 1) * m * n);
    for (let i = 0; i < m; i += 2) {
      const pair = i + 1 < m; // the last row of an odd m is computed alone
      acc0.fill(0);
      acc1.fill(0);
      let p = 0;
      for (; p + 3 < k; p += 4) {
        const x = i * k + p;
        const y = pair ? x + k : x;
        const [a0, a1, a2, a3] = [A[x], A[x + 1], A[x + 2], A[x + 3]];
        const [c0, c1, c2, c3] = [A[y], A[y + 1], A[y + 2], A[y + 3]];
        const r = p * n;
        for (let j = 0; j < n; j++) {
          const b0 = B[r + j], b1 = B[r + n + j], b2 = B[r + 2 * n + j], b3 = B[r + 3 * n + j];
          acc0[j] += a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3;
          acc1[j] += c0 * b0 + c1 * b1 + c2 * b2 + c3 * b3;
        }
      }
      for (; p < k; p++) { // the k mod 4 leftover columns of A
        const a0 = A[i * k + p];
        const c0 = pair ? A[(i + 1) * k + p] : 0;
        const r = p * n;
        for (let j = 0; j < n; j++) {
          acc0[j] += a0 * B[r + j];
          acc1[j] += c0 * B[r + j];
        }
      }
      for (let j = 0; j < n; j++) C[i * n + j] = acc0[j];
      if (pair) for (let j = 0; j < n; j++) C[(i + 1) * n + j] = acc1[j];
    }
  }
}

/** out = x with permuted axes: a strided read where output axis i walks input axis perm[i]. */
function permute(x: Float32Array, shape: Shape, perm: readonly number[], out: Float32Array): void {
  const strides = stridesOf(shape);
  stridedRead(x, perm.map((p) => strides[p]), perm.map((p) => shape[p]), 0, out);
}

/** cols[(ci·kh + ki)·kw + kj][(b·outH + oy)·outW + ox] = x[b, ci, oy·sH − pH + ki, ox·sW − pW + kj] */
function im2col(x: Float32Array, g: Conv2dGeometry, cols: Float32Array): void {
  const P = g.n * g.outH * g.outW;
  for (let ci = 0; ci < g.c; ci++) {
    for (let ki = 0; ki < g.kh; ki++) {
      for (let kj = 0; kj < g.kw; kj++) {
        const row = ((ci * g.kh + ki) * g.kw + kj) * P;
        for (let b = 0; b < g.n; b++) {
          const plane = (b * g.c + ci) * g.h * g.w;
          for (let oy = 0; oy < g.outH; oy++) {
            const iy = oy * g.strideH - g.padH + ki;
            const col = row + (b * g.outH + oy) * g.outW;
            for (let ox = 0; ox < g.outW; ox++) {
              const ix = ox * g.strideW - g.padW + kj;
              cols[col + ox] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? x[plane + iy * g.w + ix] : 0;
            }
          }
        }
      }
    }
  }
}

/** The transpose of im2col: every column entry is added back where im2col read it from. */
function col2im(cols: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
  dx.fill(0);
  const P = g.n * g.outH * g.outW;
  for (let ci = 0; ci < g.c; ci++) {
    for (let ki = 0; ki < g.kh; ki++) {
      for (let kj = 0; kj < g.kw; kj++) {
        const row = ((ci * g.kh + ki) * g.kw + kj) * P;
        for (let b = 0; b < g.n; b++) {
          const plane = (b * g.c + ci) * g.h * g.w;
          for (let oy = 0; oy < g.outH; oy++) {
            const iy = oy * g.strideH - g.padH + ki;
            if (iy < 0 || iy >= g.h) continue;
            const col = row + (b * g.outH + oy) * g.outW;
            for (let ox = 0; ox < g.outW; ox++) {
              const ix = ox * g.strideW - g.padW + kj;
              if (ix >= 0 && ix < g.w) dx[plane + iy * g.w + ix] += cols[col + ox];
            }
          }
        }
      }
    }
  }
}

function maxPool2d(x: Float32Array, g: Conv2dGeometry, out: Float32Array, argmax: Int32Array): void {
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * g.h * g.w;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++, o++) {
        let best = -Infinity;
        let at = -1;
        for (let ki = 0; ki < g.kh; ki++) {
          const iy = oy * g.strideH - g.padH + ki;
          if (iy < 0 || iy >= g.h) continue;
          for (let kj = 0; kj < g.kw; kj++) {
            const ix = ox * g.strideW - g.padW + kj;
            if (ix < 0 || ix >= g.w) continue;
            const v = x[base + iy * g.w + ix];
            if (v > best || at < 0 || v !== v) { best = v; at = base + iy * g.w + ix; }
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
}

function maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void {
  dx.fill(0);
  for (let o = 0; o < dy.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += dy[o];
}

/** y[b, k, p] += bias[k] for y of shape [n, K, P]. */
function addChannelBias(y: Float32Array, bias: Float32Array, n: number, P: number): void {
  const K = bias.length;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < K; k++) {
      const bk = bias[k];
      for (let p = (b * K + k) * P, end = p + P; p < end; p++) y[p] += bk;
    }
  }
}

/**
 * Σ_{b,p} G[b, k, p] for G of shape [n, K, P], accumulated in float64 per channel (two running sums
 * per run of P, as in sumOfSquares: a different float64 order changes the float32 result only when
 * it lies within ~1e-16 of a rounding boundary, i.e. practically never).
 */
function channelSums(G: Float32Array, n: number, P: number, out: Float32Array): void {
  const K = out.length;
  const sums = new Float64Array(K);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < K; k++) {
      let s0 = 0, s1 = 0;
      const start = (b * K + k) * P, end = start + P;
      let p = start;
      for (; p + 1 < end; p += 2) {
        s0 += G[p];
        s1 += G[p + 1];
      }
      if (p < end) s0 += G[p];
      sums[k] += s0 + s1;
    }
  }
  out.set(sums);
}

function concat(parts: readonly Float32Array[], chunks: readonly number[], outer: number, out: Float32Array): void {
  const row = chunks.reduce((s, c) => s + c, 0);
  let col = 0;
  parts.forEach((part, j) => {
    const chunk = chunks[j];
    for (let o = 0; o < outer; o++) out.set(part.subarray(o * chunk, (o + 1) * chunk), o * row + col);
    col += chunk;
  });
}

/** Index i of the index tensor, split as (o, ·, r) around `axis`, reads x[(o·shape[axis] + index[i])·inner + r]. */
function gather(x: Float32Array, shape: Shape, axis: number, index: Float32Array, indexShape: Shape, out: Float32Array): void {
  const inner = sizeOf(shape.slice(axis + 1));
  const len = indexShape[axis];
  for (let i = 0; i < index.length; i++) {
    const o = Math.floor(i / (len * inner));
    const r = i % inner;
    out[i] = x[(o * shape[axis] + index[i]) * inner + r];
  }
}

function scatterAdd(g: Float32Array, index: Float32Array, indexShape: Shape, axis: number, shape: Shape, out: Float32Array): void {
  const inner = sizeOf(shape.slice(axis + 1));
  const len = indexShape[axis];
  for (let i = 0; i < index.length; i++) {
    const o = Math.floor(i / (len * inner));
    const r = i % inner;
    out[(o * shape[axis] + index[i]) * inner + r] += g[i];
  }
}

/** Copies whole runs of `inner` values: out[o, j, :] = x[o, index[j], :]. */
function indexSelect(x: Float32Array, outer: number, len: number, inner: number, index: Float32Array, out: Float32Array): void {
  const k = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const from = (o * len + index[j]) * inner;
      out.set(x.subarray(from, from + inner), (o * k + j) * inner);
    }
  }
}

function indexAdd(g: Float32Array, outer: number, len: number, inner: number, index: Float32Array, out: Float32Array): void {
  const k = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const to = (o * len + index[j]) * inner;
      const from = (o * k + j) * inner;
      for (let r = 0; r < inner; r++) out[to + r] += g[from + r];
    }
  }
}

function scatter(src: Float32Array, index: Float32Array, indexShape: Shape, axis: number, shape: Shape, out: Float32Array): void {
  const inner = sizeOf(shape.slice(axis + 1));
  const len = indexShape[axis];
  for (let i = 0; i < index.length; i++) {
    const o = Math.floor(i / (len * inner));
    const r = i % inner;
    out[(o * shape[axis] + index[i]) * inner + r] = src[i];
  }
}

/** Sorted by (value, position): NaN after every number ascending, first descending (as PyTorch); ties keep their order of position. */
function argsort(x: Float32Array, outer: number, len: number, inner: number, descending: boolean, out: Float32Array): void {
  const positions = new Array<number>(len);
  const line = new Float64Array(len);
  const sign = descending ? -1 : 1;
  const byValue = (p: number, q: number) => {
    const a = line[p], b = line[q];
    if (a === b || (a !== a && b !== b)) return p - q;
    if (a !== a) return sign; // NaN is the largest
    if (b !== b) return -sign;
    return a < b ? -sign : sign;
  };
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const base = o * len * inner + r;
      for (let j = 0; j < len; j++) { positions[j] = j; line[j] = x[base + j * inner]; }
      positions.sort(byValue);
      for (let j = 0; j < len; j++) out[base + j * inner] = positions[j];
    }
  }
}

function scan(op: 'sum' | 'prod', x: Float32Array, outer: number, len: number, inner: number, exclusive: boolean, reverse: boolean, out: Float32Array): void {
  const start = op === 'sum' ? 0 : 1;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const base = o * len * inner + r;
      let acc = start; // float64 running value, rounded once per stored element
      for (let k = 0; k < len; k++) {
        const at = base + (reverse ? len - 1 - k : k) * inner;
        const v = x[at];
        if (exclusive) out[at] = acc;
        acc = op === 'sum' ? acc + v : acc * v;
        if (!exclusive) out[at] = acc;
      }
    }
  }
}

function where(cond: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
}

/**
 * Σ x², in float64. Four running sums, so that consecutive additions do not wait for each other
 * (a single sum is bound by the add's latency: this is 3–4× faster on long gradients); in float64
 * the order changes the result by ~1e-16 relative, far below what a float32 input can show.
 */
function sumOfSquares(x: Float32Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = x.length, n4 = n - (n % 4);
  for (let i = 0; i < n4; i += 4) {
    s0 += x[i] * x[i];
    s1 += x[i + 1] * x[i + 1];
    s2 += x[i + 2] * x[i + 2];
    s3 += x[i + 3] * x[i + 3];
  }
  for (let i = n4; i < n; i++) s0 += x[i] * x[i];
  return s0 + s1 + (s2 + s3);
}

function sgdUpdate(w: Float32Array, g: Float32Array, v: Float32Array | null, h: SgdHyper): void {
  const { lr, momentum: mu, weightDecay: wd } = h;
  if (!v) {
    for (let j = 0; j < w.length; j++) w[j] -= lr * (g[j] + wd * w[j]);
    return;
  }
  for (let j = 0; j < w.length; j++) {
    const d = g[j] + wd * w[j];
    v[j] = mu * v[j] + d;
    w[j] -= lr * (h.nesterov ? d + mu * v[j] : v[j]);
  }
}

function adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper): void {
  const { lr, beta1, beta2, eps, weightDecay, c1, c2 } = h;
  for (let j = 0; j < w.length; j++) {
    const d = g[j] + weightDecay * w[j];
    m[j] = beta1 * m[j] + (1 - beta1) * d;
    v[j] = beta2 * v[j] + (1 - beta2) * d * d;
    w[j] -= (lr * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + eps);
  }
}

/** The flat index in z [N, K, h, w] of output position i of the unpooled [N, K, h·p, w·p]. */
function unpoolParent(i: number, h: number, w: number, pool: number): number {
  const W = w * pool;
  const col = i % W;
  const row = Math.floor(i / W);
  const plane = Math.floor(row / (h * pool));
  return (plane * h + Math.floor((row % (h * pool)) / pool)) * w + Math.floor(col / pool);
}

function unpool(z: Float32Array, mask: Float32Array, h: number, w: number, pool: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const m = mask[i];
    if (m !== 0) out[i] = m * z[unpoolParent(i, h, w, pool)];
  }
}

function unpoolBackward(g: Float32Array, mask: Float32Array, h: number, w: number, pool: number, dz: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    const m = mask[i];
    if (m !== 0) dz[unpoolParent(i, h, w, pool)] += m * g[i];
  }
}

const dataMovement = {
  stridedRead: (x: Float32Array, strides: readonly number[], shape: Shape, offset: number, out: Float32Array) => { stridedRead(x, strides, shape, offset, out); },
  stridedWrite: (src: Float32Array, strides: readonly number[], shape: Shape, offset: number, out: Float32Array) => { stridedWrite(src, strides, shape, offset, out); },
  concat, gather, scatterAdd, scatter, argsort, scan, indexSelect, indexAdd, where,
};

type ConvKernels = Pick<Kernels, 'conv2dForward' | 'conv2dWeightGrad' | 'conv2dInputGrad'>;

/**
 * The convolution kernels as im2col/col2im plus one GEMM each, over the given kernels (the
 * reference's own here; a fast backend uses them for calls too small for its fused versions).
 * NCHW outputs and gradients are swapped to and from the GEMM's [K, N·H'·W'] by a permute.
 */
export function convByIm2col(k: Pick<Kernels, 'im2col' | 'col2im' | 'matmul' | 'permute' | 'addChannelBias'>): ConvKernels {
  const sizes = (g: Conv2dGeometry) => ({ rows: g.c * g.kh * g.kw, P: g.n * g.outH * g.outW });
  const gemm = (m: number, kk: number, n: number, transA: boolean, transB: boolean): MatmulDims =>
    ({ batch: 1, m, k: kk, n, transA, transB, aStride: 0, bStride: 0 });
  const unfold = (x: Float32Array, g: Conv2dGeometry) => {
    const cols = new Float32Array(sizes(g).rows * sizes(g).P);
    k.im2col(x, g, cols);
    return cols;
  };
  /** [N, K, H'·W'] → [K, N·H'·W'] */
  const toRows = (gy: Float32Array, g: Conv2dGeometry, K: number) => {
    const G = new Float32Array(K * sizes(g).P);
    k.permute(gy, [g.n, K, g.outH * g.outW], [1, 0, 2], G);
    return G;
  };
  return {
    conv2dForward(x, w, g, K, y, bias) {
      const { rows, P } = sizes(g);
      const Y = new Float32Array(K * P);
      k.matmul(w, unfold(x, g), Y, gemm(K, rows, P, false, false));
      k.permute(Y, [K, g.n, g.outH * g.outW], [1, 0, 2], y);
      if (bias) k.addChannelBias(y, bias, g.n, g.outH * g.outW);
    },
    conv2dWeightGrad(gy, x, g, K, dw) {
      const { rows, P } = sizes(g);
      k.matmul(toRows(gy, g, K), unfold(x, g), dw, gemm(K, P, rows, false, true));
    },
    conv2dInputGrad(w, gy, g, K, dx) {
      const { rows, P } = sizes(g);
      const dcols = new Float32Array(rows * P);
      k.matmul(w, toRows(gy, g, K), dcols, gemm(rows, K, P, true, false));
      k.col2im(dcols, g, dx);
    },
  };
}

export const referenceKernels: Kernels = {
  unary, binary, reduce, argReduce, matmul, permute, im2col, col2im, maxPool2d, maxPool2dBackward,
  ...convByIm2col({ im2col, col2im, matmul, permute, addChannelBias }),
  addChannelBias, channelSums, ...dataMovement, sumOfSquares, sgdUpdate, adamUpdate, unpool, unpoolBackward,
};

registerBackend('reference', referenceKernels);
