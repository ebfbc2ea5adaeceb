/**
 * The 'wasm' backend: the kernels of gemm.wat, im2col.wat and pool.wat (WebAssembly with 128-bit
 * SIMD) behind the synchronous kernel interface. Every call copies its inputs into the shared
 * memory, runs (split over the output rows or columns across the worker pool when the call is
 * big enough) and copies the output back; the copies are O(size) against the O(m·n·k) of a GEMM.
 * Calls too small to pay for the copies go to the reference kernel. permute and the elementwise
 * kernels stay JavaScript (faster loops than the reference's, see permute.ts and elementwise.ts),
 * reduce, argReduce and the max-pool backward scatter are the reference's: see "Fast kernels" in
 * the README for the measurements behind each choice.
 */
import type { Conv2dGeometry, Kernels, MatmulDims } from '../tensor/kernels.js';
import { registerBackend, setBackend } from '../tensor/kernels.js';
import { referenceKernels } from '../tensor/reference.js';
import { assembleAll, type KernelFile } from './assemble.js';
import { elementwiseKernels } from './elementwise.js';
import { permute } from './permute.js';
import { defaultThreads, WasmRuntime, type Task } from './runtime.js';

export interface WasmKernelOptions {
  /** Threads including the calling one (default GIBBSGRAD_THREADS or every core). */
  threads?: number;
  /** Assembled modules (tests pass mutated ones); default: the sources in src/wasm. */
  modules?: Record<KernelFile, WebAssembly.Module>;
  /** Multiply-adds from which a GEMM runs in WebAssembly rather than the reference. */
  gemmMinWork?: number;
  /** Work (multiply-adds or elements touched) from which a call is split across threads. */
  parallelMinWork?: number;
  /** Output elements from which im2col, col2im and max-pooling run in WebAssembly. */
  windowMinSize?: number;
}

/** Crossovers measured on the 2-core development machine (README, "Fast kernels"). */
export const DEFAULT_GEMM_MIN_WORK = 64;
export const DEFAULT_PARALLEL_MIN_WORK = 1 << 21;
export const DEFAULT_WINDOW_MIN_SIZE = 2048;

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
}

export function createWasmKernels(opts: WasmKernelOptions = {}): WasmKernels {
  const runtime = new WasmRuntime(opts.modules ?? assembleAll(), opts.threads ?? defaultThreads());
  const gemmMinWork = opts.gemmMinWork ?? DEFAULT_GEMM_MIN_WORK;
  const parallelMinWork = opts.parallelMinWork ?? DEFAULT_PARALLEL_MIN_WORK;
  const scratchBytes = runtime.call('gemm', 'scratchBytes');
  const threadsFor = (work: number) => (work >= parallelMinWork ? runtime.threads : 1);

  function matmul(a: Float32Array, b: Float32Array, out: Float32Array, d: MatmulDims): void {
    const { batch, m, k, n } = d;
    if (batch * m * n === 0) return;
    if (k === 0) {
      out.fill(0, 0, batch * m * n);
      return;
    }
    const work = batch * m * n * k;
    if (work < gemmMinWork) return referenceKernels.matmul(a, b, out, d);
    const threads = threadsFor(work);
    const aLength = (batch - 1) * d.aStride + m * k;
    const bLength = (batch - 1) * d.bStride + k * n;
    runtime.reset();
    const pa = runtime.put(a, aLength);
    const pb = runtime.put(b, bLength);
    const pc = runtime.alloc(4 * batch * m * n);
    const scratch = runtime.alloc(scratchBytes * threads);
    if (pa < 0 || pb < 0 || pc < 0 || scratch < 0) return referenceKernels.matmul(a, b, out, d);
    // Split C over its longer side, on micro-tile boundaries (8 columns or 4 rows), never over k.
    const byColumns = n >= m;
    const ranges = splitRange(byColumns ? n : m, threads, byColumns ? 8 : 4);
    const tasks: Task[] = ranges.map(([lo, hi], t) => [
      'gemm',
      'gemm',
      [pa, pb, pc, batch, d.aStride, d.bStride, m, n, k, +d.transA, +d.transB,
        byColumns ? 0 : lo, byColumns ? m : hi, byColumns ? lo : 0, byColumns ? hi : n, scratch + t * scratchBytes],
    ]);
    runtime.run(tasks);
    runtime.get(pc, out.subarray(0, batch * m * n));
  }

  const windowMinSize = opts.windowMinSize ?? DEFAULT_WINDOW_MIN_SIZE;
  const geometryArgs = (g: Conv2dGeometry) => [g.n, g.c, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW];

  /** Runs `fn` over `units` independent units (rows, planes), split in contiguous ranges across threads. */
  function split(module: KernelFile, fn: string, units: number, work: number, args: (lo: number, hi: number) => number[]): void {
    const ranges = splitRange(units, threadsFor(work), 1);
    runtime.run(ranges.map(([lo, hi]) => [module, fn, args(lo, hi)] as Task));
  }

  function im2col(x: Float32Array, g: Conv2dGeometry, cols: Float32Array): void {
    const rows = g.c * g.kh * g.kw;
    const size = rows * g.n * g.outH * g.outW;
    if (size < windowMinSize) return referenceKernels.im2col(x, g, cols);
    runtime.reset();
    const px = runtime.put(x, g.n * g.c * g.h * g.w);
    const pc = runtime.alloc(4 * size);
    if (px < 0 || pc < 0) return referenceKernels.im2col(x, g, cols);
    split('im2col', 'im2col', rows, size, (lo, hi) => [px, pc, ...geometryArgs(g), lo, hi]);
    runtime.get(pc, cols.subarray(0, size));
  }

  function col2im(cols: Float32Array, g: Conv2dGeometry, dx: Float32Array): void {
    const size = g.c * g.kh * g.kw * g.n * g.outH * g.outW;
    const planes = g.n * g.c;
    if (size < windowMinSize) return referenceKernels.col2im(cols, g, dx);
    runtime.reset();
    const pc = runtime.put(cols, size);
    const pd = runtime.alloc(4 * planes * g.h * g.w);
    if (pc < 0 || pd < 0) return referenceKernels.col2im(cols, g, dx);
    split('im2col', 'col2im', planes, size, (lo, hi) => [pc, pd, ...geometryArgs(g), lo, hi]);
    runtime.get(pd, dx.subarray(0, planes * g.h * g.w));
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
    split('pool', 'maxPool2d', planes, work, (lo, hi) => [px, po, pa, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.outH, g.outW, lo, hi]);
    runtime.get(po, out.subarray(0, size));
    runtime.get(pa, argmax.subarray(0, size));
  }

  return { kernels: { matmul, im2col, col2im, maxPool2d, permute, ...elementwiseKernels }, runtime };
}

/** The process-wide 'wasm' backend, made the default when this engine validates WebAssembly SIMD. */
function registerWasmBackend(): WasmKernels | null {
  let wasm: WasmKernels;
  try {
    wasm = createWasmKernels();
  } catch (e) {
    // Only an engine without WebAssembly SIMD falls back silently; a broken kernel source is a bug.
    if (!/does not validate on this engine/.test((e as Error).message)) throw e;
    return null;
  }
  registerBackend('wasm', wasm.kernels);
  setBackend('wasm');
  return wasm;
}

export const wasmBackend = registerWasmBackend();
export type { Conv2dGeometry };
