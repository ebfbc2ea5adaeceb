/**
 * The 'wasm' backend: the kernels of gemm.wat, im2col.wat, pool.wat and exp.wat (WebAssembly with 128-bit
 * SIMD) behind the synchronous kernel interface. Every call copies its inputs into the shared
 * memory, runs (split over the output rows or columns across the worker pool when the call is
 * big enough) and copies the output back; the copies are O(size) against the O(m·n·k) of a GEMM.
 * Calls too small to pay for the copies go to the reference kernel. The convolution kernels run
 * the GEMM, col2im (input gradient) and the NCHW reordering back to back inside that memory, so only
 * the input and the result are copied; the forward pass and the filter gradient have no im2col at
 * all, their GEMM packing the unfolded columns straight from the image, zero padding included, and
 * the forward pass adds its bias in the copy that reorders the GEMM's output to NCHW.
 * Where the engine validates relaxed SIMD the GEMM fuses its multiply-adds (fusedMultiplyAdd).
 * exp and sigmoid run in exp.wat (an exponential costs more than the copies); permute, the other
 * elementwise kernels and reduce stay JavaScript (faster loops than the reference's, see permute.ts,
 * elementwise.ts and reduce.ts), argReduce and the max-pool backward scatter are the
 * reference's: see "Fast kernels" in the README for the measurements behind each choice.
 */
import type { Conv2dGeometry, Kernels, MatmulDims, UnaryKernel } from '../../tensor/kernels.js';
import { registerBackend } from '../../tensor/kernels.js';
import { convByIm2col, referenceKernels } from '../reference/index.js';
import { compileKernels, compileKernelsAsync, relaxedSimdAvailable, simdAvailable, type KernelFile } from './binaries.js';
import { envVar, sharedMemoryAvailable, threadStart } from './host.js';
import { elementwiseKernels } from './elementwise.js';
import { permute } from './permute.js';
import { reduceKernels } from './reduce.js';
import { defaultThreads, WasmRuntime, type Task } from './runtime.js';
import type { WasmModule } from './wasm-api.js';

export interface WasmKernelOptions {
  /** Threads including the calling one (default GIBBSGRAD_THREADS or every core; 1 without shared memory). */
  threads?: number;
  /**
   * The GEMM micro-kernel with fused multiply-adds (relaxed SIMD's f32x4.relaxed_madd: one rounding
   * per multiply-add instead of two, so results differ from the plain kernel's in the last bits).
   * Default: wherever this engine validates relaxed SIMD, unless GIBBSGRAD_FMA=0 (Node). Asking for
   * it where relaxed SIMD is missing is an error. Ignored when `modules` is given.
   */
  fusedMultiplyAdd?: boolean;
  /** Compiled modules (tests pass mutated ones); default: the embedded binaries. They must import a memory shared as `shared` says. */
  modules?: Record<KernelFile, WasmModule>;
  /** Whether the memory is shared (default: wherever the host can share memory). */
  shared?: boolean;
  /** Multiply-adds from which a GEMM runs in WebAssembly rather than the reference. */
  gemmMinWork?: number;
  /** Work (multiply-adds or elements touched) from which a call is split across threads. */
  parallelMinWork?: number;
  /** Output elements from which im2col, col2im and max-pooling run in WebAssembly. */
  windowMinSize?: number;
  /** Elements from which exp and sigmoid run in WebAssembly (exp.wat) rather than in a JavaScript loop. */
  expMinSize?: number;
}

/** Crossovers measured on the 2-core development machine (README, "Fast kernels"). */
export const DEFAULT_GEMM_MIN_WORK = 64;
export const DEFAULT_PARALLEL_MIN_WORK = 1 << 21;
export const DEFAULT_WINDOW_MIN_SIZE = 2048;
/**
 * A call into exp.wat costs ≈ 0.15 µs before its ≈ 4–6 ns per element; the JavaScript sigmoid costs
 * ≈ 8 ns per element when its sign branch is predictable and ≈ 13 ns on fresh data (measured: 64
 * elements 0.53 µs JS vs 0.70 µs wasm, 128: 1.08 vs 1.20, 256: 1.92 vs 1.99, on repeated inputs).
 */
export const DEFAULT_EXP_MIN_SIZE = 128;
/**
 * What one exponential counts as in parallelMinWork's multiply-adds: ≈ 6 ns against ≈ 0.1 ns per
 * multiply-add of the GEMM on one thread, so 64; a call is then split from 32 K elements (≈ 0.2 ms),
 * well above the ≈ 15 µs of waking a worker.
 */
const EXP_WORK = 64;

/** Splits [0, total) into `parts` contiguous ranges whose inner bounds are multiples of `align`. */
export function splitRange(total: number, parts: number, align: number): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  for (let t = 1; t <= parts && start < total; t++) {
    const end = t === parts ? total : Math.min(total, Math.round((total * t) / parts / align) * align);
    if (end > start) ranges.push([start, end]);
    start = Math.max(start, end);
  }
  return ranges;
}

export interface WasmKernels {
  kernels: Partial<Kernels>;
  runtime: WasmRuntime;
  /** Whether the GEMM's micro-kernel fuses its multiply-adds (false when the modules were given). */
  fusedMultiplyAdd: boolean;
}

/** Relaxed SIMD validates here and GIBBSGRAD_FMA is not '0'. */
export function defaultFusedMultiplyAdd(): boolean {
  return relaxedSimdAvailable() && envVar('GIBBSGRAD_FMA') !== '0';
}

/** The fused GEMM where asked for and available; asking for it without relaxed SIMD is an error. */
function fusedChoice(asked: boolean | undefined): boolean {
  if (asked && !relaxedSimdAvailable()) throw new Error('wasm backend: fused multiply-add needs WebAssembly relaxed SIMD, which this engine does not validate (Node ≥ 22 or a current browser)');
  return asked ?? defaultFusedMultiplyAdd();
}

export function createWasmKernels(opts: WasmKernelOptions = {}): WasmKernels {
  const shared = opts.shared ?? sharedMemoryAvailable();
  const threads = opts.threads ?? (shared && threadStart() !== 'never' ? defaultThreads() : 1);
  const fusedMultiplyAdd = opts.modules ? false : fusedChoice(opts.fusedMultiplyAdd);
  const runtime = new WasmRuntime(opts.modules ?? compileKernels(shared, fusedMultiplyAdd), threads, shared);
  const gemmMinWork = opts.gemmMinWork ?? DEFAULT_GEMM_MIN_WORK;
  const parallelMinWork = opts.parallelMinWork ?? DEFAULT_PARALLEL_MIN_WORK;
  const scratchBytes = runtime.call('gemm', 'scratchBytes');
  const threadsFor = (work: number) => (work >= parallelMinWork ? runtime.threads : 1);

  /**
   * C = op(A)·op(B) on operands already in the arena, split over C's longer side. With `geom`
   * (the address of an unfoldedColumns geometry block) op(B) is the unfolded image it describes and pb is unused.
   */
  function gemmAt(pa: number, pb: number, pc: number, d: MatmulDims, geom = 0): boolean {
    const { batch, m, k, n } = d;
    const threads = threadsFor(batch * m * n * k);
    const scratch = runtime.alloc(scratchBytes * threads);
    if (scratch < 0) return false;
    // Split C over its longer side, on micro-tile boundaries (8 columns, or 12 rows: a multiple of
    // both tile heights, 4 plain and 6 fused), never over k.
    const byColumns = n >= m;
    const ranges = splitRange(byColumns ? n : m, threads, byColumns ? 8 : 12);
    runtime.run(ranges.map(([lo, hi], t): Task => [
      'gemm',
      'gemm',
      [pa, pb, pc, batch, d.aStride, d.bStride, m, n, k, +d.transA, +d.transB,
        byColumns ? 0 : lo, byColumns ? m : hi, byColumns ? lo : 0, byColumns ? hi : n, scratch + t * scratchBytes, geom],
    ]));
    return true;
  }

  function matmul(a: Float32Array, b: Float32Array, out: Float32Array, d: MatmulDims): void {
    const { batch, m, k, n } = d;
    if (batch * m * n === 0) return;
    if (k === 0) {
      out.fill(0, 0, batch * m * n);
      return;
    }
    if (batch * m * n * k < gemmMinWork) return referenceKernels.matmul(a, b, out, d);
    runtime.reset();
    const pa = runtime.put(a, (batch - 1) * d.aStride + m * k);
    const pb = runtime.put(b, (batch - 1) * d.bStride + k * n);
    const pc = runtime.alloc(4 * batch * m * n);
    if (pa < 0 || pb < 0 || pc < 0 || !gemmAt(pa, pb, pc, d)) return referenceKernels.matmul(a, b, out, d);
    runtime.get(pc, out.subarray(0, batch * m * n));
  }

  const windowMinSize = opts.windowMinSize ?? DEFAULT_WINDOW_MIN_SIZE;
  const geometryArgs = (g: Conv2dGeometry) => [g.n, g.c, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW];

  /** Runs `fn` over `units` independent units (rows, planes), split in contiguous ranges across threads. */
  function split(module: KernelFile, fn: string, units: number, work: number, args: (lo: number, hi: number) => number[]): void {
    const ranges = splitRange(units, threadsFor(work), 1);
    runtime.run(ranges.map(([lo, hi]) => [module, fn, args(lo, hi)] as Task));
  }

  const columns = (g: Conv2dGeometry) => ({ rows: g.c * g.kh * g.kw, P: g.n * g.outH * g.outW });
  /** im2col from x at px into the columns at pc, both in the arena. */
  function im2colAt(px: number, pc: number, g: Conv2dGeometry): void {
    const { rows, P } = columns(g);
    split('im2col', 'im2col', rows, rows * P, (lo, hi) => [px, pc, ...geometryArgs(g), lo, hi]);
  }
  /** col2im from the columns at pc into dx at pd, both in the arena. */
  function col2imAt(pc: number, pd: number, g: Conv2dGeometry): void {
    const { rows, P } = columns(g);
    split('im2col', 'col2im', g.n * g.c, rows * P, (lo, hi) => [pc, pd, ...geometryArgs(g), lo, hi]);
  }

  function im2col(x: Float32Array, g: Conv2dGeometry, cols: Float32Array): void {
    const { rows, P } = columns(g);
    const size = rows * P;
    if (size < windowMinSize) return referenceKernels.im2col(x, g, cols);
    runtime.reset();
    const px = runtime.put(x, g.n * g.c * g.h * g.w);
    const pc = runtime.alloc(4 * size);
    if (px < 0 || pc < 0) return referenceKernels.im2col(x, g, cols);
    im2colAt(px, pc, g);
    runtime.get(pc, cols.subarray(0, size));
  }

  function col2im(cols: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
    const { rows, P } = columns(g);
    const size = rows * P;
    const dxSize = g.n * g.c * g.h * g.w;
    if (size < windowMinSize) return referenceKernels.col2im(cols, g, dx);
    runtime.reset();
    const pc = runtime.put(cols, size);
    const pd = runtime.alloc(4 * dxSize);
    if (pc < 0 || pd < 0) return referenceKernels.col2im(cols, g, dx);
    col2imAt(pc, pd, g);
    runtime.get(pd, dx.subarray(0, dxSize));
  }

  /**
   * Where the GEMM of conv2dForward / conv2dWeightGrad finds the unfolded columns: nowhere in
   * memory. The address returned is the geometry block $packBImplicit (gemm.wat) reads to pack
   * them from the image at px, zero padding included (forward: the columns of op(B) are pixels;
   * filter gradient: its rows are); -1 when the arena is full.
   */
  function unfoldedColumns(px: number, g: Conv2dGeometry, columnsArePixels: boolean): number {
    const hw = g.h * g.w;
    return runtime.put(Int32Array.of(px, +columnsArePixels, g.h, g.w,
      g.c * hw, g.outH, g.outW, g.strideH, g.strideW, g.padH, g.padW, // pixels (b, oy, ox)
      hw, g.kh, g.kw, 1, 1, 0, 0)); // kernel positions (ci, ki, kj)
  }

  /**
   * [a, b, inner] at src → [b, a, inner] at dst, both in the arena (NCHW ↔ [K, N·H'·W']), adding
   * bias[i] to every float of row i on the way when `bias` (an arena address) is not 0.
   */
  function swapAt(src: number, dst: number, a: number, b: number, inner: number, bias = 0): void {
    split('im2col', 'swapLeading', a, a * b * inner, (lo, hi) => [src, dst, a, b, inner, bias, lo, hi]);
  }
  /** Copies an NCHW output gradient into the arena as [K, N·H'·W'] and returns its address (-1: full). */
  function putRows(gy: Float32Array, g: Conv2dGeometry, K: number): number {
    const nchw = runtime.put(gy, K * g.n * g.outH * g.outW);
    const rows = runtime.alloc(4 * K * g.n * g.outH * g.outW);
    if (nchw < 0 || rows < 0) return -1;
    swapAt(nchw, rows, g.n, K, g.outH * g.outW);
    return rows;
  }

  // The convolution kernels keep the unfolded columns in the arena (the input gradient's, between its
  // GEMM and col2im) or never build them (forward, filter gradient: the GEMM packs them from the
  // image), so the biggest array of a convolution never crosses into JavaScript. Calls too small
  // for either kernel, or too big for the arena, take the unfused path (im2col or col2im, matmul).
  const unfused = convByIm2col({ im2col, col2im, matmul, permute, addChannelBias: referenceKernels.addChannelBias });
  const fusable = (g: Conv2dGeometry, K: number) => {
    const { rows, P } = columns(g);
    return rows * P >= windowMinSize && K * rows * P >= gemmMinWork && K > 0;
  };
  const gemmDims = (m: number, k: number, n: number, transA: boolean, transB: boolean): MatmulDims =>
    ({ batch: 1, m, k, n, transA, transB, aStride: 0, bStride: 0 });

  function conv2dForward(x: Float32Array, w: Float32Array, g: Conv2dGeometry, K: number, y: Float32Array, bias?: Float32Array): void {
    if (!fusable(g, K)) return unfused.conv2dForward(x, w, g, K, y, bias);
    const { rows, P } = columns(g);
    runtime.reset();
    const px = runtime.put(x, g.n * g.c * g.h * g.w);
    const pw = runtime.put(w, K * rows);
    const pb = bias ? runtime.put(bias, K) : 0;
    const geom = unfoldedColumns(px, g, true);
    const py = runtime.alloc(4 * K * P);
    const pn = runtime.alloc(4 * K * P);
    if (px < 0 || pw < 0 || pb < 0 || geom < 0 || py < 0 || pn < 0 || !runtime.fits(scratchBytes * runtime.threads)) return unfused.conv2dForward(x, w, g, K, y, bias);
    gemmAt(pw, 0, py, gemmDims(K, rows, P, false, false), geom);
    swapAt(py, pn, K, g.n, g.outH * g.outW, pb); // the bias is added in the reordering copy
    runtime.get(pn, y.subarray(0, K * P));
  }

  function conv2dWeightGrad(gy: Float32Array, x: Float32Array, g: Conv2dGeometry, K: number, dw: Float32Array): void {
    if (!fusable(g, K)) return unfused.conv2dWeightGrad(gy, x, g, K, dw);
    const { rows, P } = columns(g);
    runtime.reset();
    const px = runtime.put(x, g.n * g.c * g.h * g.w);
    const pg = putRows(gy, g, K);
    const geom = unfoldedColumns(px, g, false);
    const pd = runtime.alloc(4 * K * rows);
    if (px < 0 || pg < 0 || geom < 0 || pd < 0 || !runtime.fits(scratchBytes * runtime.threads)) return unfused.conv2dWeightGrad(gy, x, g, K, dw);
    gemmAt(pg, 0, pd, gemmDims(K, P, rows, false, true), geom);
    runtime.get(pd, dw.subarray(0, K * rows));
  }

  function conv2dInputGrad(w: Float32Array, gy: Float32Array, g: Conv2dGeometry, K: number, dx: Float32Array): void {
    if (!fusable(g, K)) return unfused.conv2dInputGrad(w, gy, g, K, dx);
    const { rows, P } = columns(g);
    const dxSize = g.n * g.c * g.h * g.w;
    runtime.reset();
    const pw = runtime.put(w, K * rows);
    const pg = putRows(gy, g, K);
    const pc = runtime.alloc(4 * rows * P);
    const pd = runtime.alloc(4 * dxSize);
    if (pw < 0 || pg < 0 || pc < 0 || pd < 0 || !runtime.fits(scratchBytes * runtime.threads)) return unfused.conv2dInputGrad(w, gy, g, K, dx);
    gemmAt(pw, pg, pc, gemmDims(rows, K, P, true, false));
    col2imAt(pc, pd, g);
    runtime.get(pd, dx.subarray(0, dxSize));
  }

  function maxPool2d(x: Float32Array, g: Conv2dGeometry, out: Float32Array, argmax: Int32Array): void {
    const planes = g.n * g.c;
    const size = planes * g.outH * g.outW;
    const work = size * g.kh * g.kw;
    if (size < windowMinSize) return referenceKernels.maxPool2d(x, g, out, argmax);
    runtime.reset();
    const px = runtime.put(x, planes * g.h * g.w);
    const po = runtime.alloc(4 * size);
    const pa = runtime.alloc(4 * size);
    if (px < 0 || po < 0 || pa < 0) return referenceKernels.maxPool2d(x, g, out, argmax);
    const is2x2 = g.kh === 2 && g.kw === 2 && g.strideH === 2 && g.strideW === 2 && g.padH === 0 && g.padW === 0;
    if (is2x2) split('pool', 'maxPool2x2', planes, work, (lo, hi) => [px, po, pa, g.h, g.w, g.outH, g.outW, lo, hi]);
    else split('pool', 'maxPool2d', planes, work, (lo, hi) => [px, po, pa, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW, lo, hi]);
    runtime.get(po, out.subarray(0, size));
    runtime.get(pa, argmax.subarray(0, size));
  }

  const expMinSize = opts.expMinSize ?? DEFAULT_EXP_MIN_SIZE;
  /**
   * exp and sigmoid in exp.wat (fdlibm's exp, as Math.exp, two lanes at a time: the same float32
   * results as the JavaScript loops); every other unary op in elementwise.ts.
   */
  function unary(op: UnaryKernel, x: Float32Array, out: Float32Array, a = 0, b = 0): void {
    const n = out.length;
    if ((op !== 'exp' && op !== 'sigmoid') || n < expMinSize) return elementwiseKernels.unary(op, x, out, a, b);
    runtime.reset();
    const px = runtime.put(x, n);
    const po = runtime.alloc(4 * n);
    if (px < 0 || po < 0) return elementwiseKernels.unary(op, x, out, a, b);
    split('exp', 'expOrSigmoid', n, n * EXP_WORK, (lo, hi) => [+(op === 'sigmoid'), px, po, lo, hi]);
    runtime.get(po, out);
  }

  return {
    kernels: { matmul, im2col, col2im, maxPool2d, conv2dForward, conv2dWeightGrad, conv2dInputGrad, permute, ...elementwiseKernels, unary, ...reduceKernels },
    runtime,
    fusedMultiplyAdd,
  };
}

/** The kernels the wasm backend answers; the rest are the reference's. */
const WASM_KERNELS = ['matmul', 'im2col', 'col2im', 'maxPool2d', 'conv2dForward', 'conv2dWeightGrad', 'conv2dInputGrad', 'unary'] as const satisfies readonly (keyof Kernels)[];

/**
 * The process-wide 'wasm' backend. Importing registers it where this engine validates WebAssembly
 * SIMD (src/backends.ts then makes it the default) without compiling anything: the modules are
 * compiled and the memory made on the first kernel call that needs them, or by `wasmReady()`.
 */
let instance: WasmKernels | null = null;
let pending: Promise<WasmKernels> | null = null;
let fusedAsked: boolean | undefined;

function wasm(): WasmKernels {
  return (instance ??= createWasmKernels({ fusedMultiplyAdd: fusedAsked }));
}

/**
 * Options of the process-wide 'wasm' backend, to be set before its first kernel call (or `ready()`):
 * `fusedMultiplyAdd` picks the GEMM micro-kernel with fused multiply-adds (the default where
 * relaxed SIMD validates) or the plain one, e.g. so that a browser page computes the same bits as
 * a Node 20 process. Setting it after the modules were compiled, to another value, is an error.
 */
export function configureWasm({ fusedMultiplyAdd }: { fusedMultiplyAdd?: boolean }): void {
  const wanted = fusedChoice(fusedMultiplyAdd);
  if (instance && instance.fusedMultiplyAdd !== wanted) throw new Error('configureWasm: the wasm kernels are already compiled; call it before the first kernel call or ready()');
  fusedAsked = fusedMultiplyAdd;
}

/** Compiles the modules asynchronously and starts the worker pool where threads exist; resolves to the runtime. */
export function wasmReady(): Promise<WasmKernels> {
  pending ??= (async () => {
    if (!instance) {
      const shared = sharedMemoryAvailable();
      const fusedMultiplyAdd = fusedChoice(fusedAsked);
      const modules = await compileKernelsAsync(shared, fusedMultiplyAdd);
      instance ??= { ...createWasmKernels({ modules, shared }), fusedMultiplyAdd };
    }
    await instance.runtime.startPool();
    return instance;
  })();
  return pending;
}

if (simdAvailable()) {
  const lazy: Partial<Kernels> = { permute, ...elementwiseKernels, ...reduceKernels };
  for (const name of WASM_KERNELS) (lazy as Record<string, unknown>)[name] = (...args: unknown[]) => (wasm().kernels[name] as (...a: unknown[]) => void)(...args);
  registerBackend('wasm', lazy, { threads: () => wasm().runtime.activeThreads, fusedMultiplyAdd: () => wasm().fusedMultiplyAdd, ready: wasmReady });
}
export type { Conv2dGeometry };
