// The WebAssembly kernels against the reference kernels, on random shapes that hit every tail of
// the blocking (sizes 1, 3, 5, 17, 63, 65, 127, 129 around the 4×8 micro-tile and the 128/256/1024
// cache blocks), transposes, batches and broadcast (stride 0) operands. Each property is also run
// against a copy of the .wat source with a planted off-by-one in its tail handling, and must fail
// there: that is what shows the properties can catch a tail bug. 1 and 2 threads must agree bit
// for bit, since work is split over output rows/columns only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { backendInfo, getBackend, kernels, listBackends, ready, Rng, withBackend } from '../../src/index.js';
import type { Conv2dGeometry, Kernels, MatmulDims } from '../../src/tensor/kernels.js';
import { convByIm2col, referenceKernels } from '../../src/backends/reference/index.js';
import { assembleAll, assembleBytes, fusedSource, KERNEL_FILES, unsharedSource, watSource, type KernelFile } from '../../scripts/assemble-wat.js';
import { kernelBytes, relaxedSimdAvailable } from '../../src/backends/wasm/binaries.js';
import { createWasmKernels, defaultFusedMultiplyAdd, type WasmKernels } from '../../src/backends/wasm/backend.js';

const runtimes: WasmKernels[] = [];
/** Kernels from the .wat sources (or the mutants given); `fused`: the GEMM with fused multiply-adds. */
function wasmKernels(threads: number, sources: Partial<Record<KernelFile, string>> = {}, fused = false): Kernels {
  const modules = assembleAll(fused ? { ...sources, gemm: fusedSource(sources.gemm ?? watSource('gemm')) } : sources);
  // thresholds 0: every call goes to WebAssembly and, with 2 threads, is split
  const w = createWasmKernels({ threads, modules, gemmMinWork: 0, parallelMinWork: 0, windowMinSize: 0, expMinSize: 0 });
  runtimes.push(w);
  return { ...referenceKernels, ...w.kernels };
}
afterAll(async () => {
  await Promise.all(runtimes.map((w) => w.runtime.dispose()));
});

/**
 * One test: `property` must fail on the kernels assembled from <file>.wat with its one occurrence
 * of `from` replaced by `to` (a planted bug), which shows the property can catch that bug.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function itCatchesPlantedBug(what: string, file: KernelFile, from: string, to: string, property: (k: Kernels) => fc.IProperty<any>, numRuns: number): void {
  it(`catches a planted bug: ${what}`, () => {
    const source = watSource(file);
    expect(source.split(from)).toHaveLength(2);
    const mutant = wasmKernels(1, { [file]: source.replace(from, to) });
    expect(fc.check(property(mutant), { numRuns }).failed).toBe(true);
  });
}

const one = wasmKernels(1);
const two = wasmKernels(2);

const U = 2 ** -24; // float32 unit roundoff
const edgeSize = fc.constantFrom(1, 3, 5, 17, 63, 65, 127, 129);
const anySize = fc.oneof(edgeSize, fc.integer({ min: 1, max: 40 }));

function randomArray(rng: Rng, length: number): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

/** Largest violation of |fast − ref| ≤ (k + 2)·2u·(|A|·|B|) (the float32 summation error bound), or 0. */
function gemmViolation(fast: Kernels, a: Float32Array, b: Float32Array, d: MatmulDims): number {
  const size = d.batch * d.m * d.n;
  const got = new Float32Array(size).fill(NaN);
  const want = new Float32Array(size);
  const bound = new Float32Array(size);
  fast.matmul(a, b, got, d);
  referenceKernels.matmul(a, b, want, d);
  referenceKernels.matmul(a.map(Math.abs), b.map(Math.abs), bound, d);
  let worst = 0;
  for (let i = 0; i < size; i++) {
    const err = Math.abs(got[i] - want[i]);
    const tol = (d.k + 2) * 2 * U * bound[i] + 1e-30;
    if (!(err <= tol)) worst = Math.max(worst, Number.isNaN(err) ? Infinity : err / tol);
  }
  return worst;
}

const gemmCase = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  m: anySize,
  k: anySize,
  n: anySize,
  transA: fc.boolean(),
  transB: fc.boolean(),
  batch: fc.integer({ min: 1, max: 3 }),
  broadcast: fc.constantFrom('none', 'a', 'b'),
});
type GemmCase = typeof gemmCase extends fc.Arbitrary<infer T> ? T : never;

function gemmInputs(c: GemmCase): { a: Float32Array; b: Float32Array; d: MatmulDims } {
  const rng = new Rng(c.seed);
  const aStride = c.broadcast === 'a' ? 0 : c.m * c.k;
  const bStride = c.broadcast === 'b' ? 0 : c.k * c.n;
  const a = randomArray(rng, (c.batch - 1) * aStride + c.m * c.k);
  const b = randomArray(rng, (c.batch - 1) * bStride + c.k * c.n);
  return { a, b, d: { batch: c.batch, m: c.m, k: c.k, n: c.n, transA: c.transA, transB: c.transB, aStride, bStride } };
}

const gemmProperty = (fast: Kernels) =>
  fc.property(gemmCase, (c) => {
    const { a, b, d } = gemmInputs(c);
    return gemmViolation(fast, a, b, d) === 0;
  });

/** Every one of `impls` computes the same bits as the first on random products. */
const sameBits = (impls: Kernels[], cases = gemmCase) =>
  fc.property(cases, (c) => {
    const { a, b, d } = gemmInputs(c);
    const [first, ...rest] = impls.map((k) => {
      const out = new Float32Array(d.batch * d.m * d.n);
      k.matmul(a, b, out, d);
      return new Uint32Array(out.buffer);
    });
    for (const other of rest) expect(other).toEqual(first);
  });

/** Shapes that cross the cache blocks: k > 256 (two reduction blocks), n > 1024, m > 128. */
const blockCrossing: [number, number, number][] = [[130, 300, 9], [5, 513, 1030], [129, 257, 65]];

describe('wasm backend', () => {
  it('is registered and is the default', () => {
    expect(listBackends()).toContain('wasm');
    expect(getBackend()).toBe('wasm');
  });

  it('embeds the bytes the .wat sources assemble to now (npm run build:wasm after an edit)', () => {
    for (const name of KERNEL_FILES) {
      expect(kernelBytes(name, true)).toEqual(assembleBytes(name, watSource(name)));
      expect(kernelBytes(name, false)).toEqual(assembleBytes(name, unsharedSource(watSource(name))));
    }
  });

  it('registers, before compiling anything, exactly the kernels the compiled backend has', () => {
    const registered = Object.keys(createWasmKernels({ threads: 1 }).kernels).sort();
    const reference = withBackend('reference', kernels);
    const wasm = withBackend('wasm', kernels);
    expect(Object.keys(wasm).filter((k) => wasm[k as keyof Kernels] !== reference[k as keyof Kernels]).sort()).toEqual(registered);
  });

  it('gives the same bits on an unshared memory (a page without cross-origin isolation), which allows one thread only', async () => {
    const unshared = createWasmKernels({ threads: 1, shared: false, fusedMultiplyAdd: false, gemmMinWork: 0, windowMinSize: 0 });
    const shared = { ...referenceKernels, ...two };
    const { a, b, d } = gemmInputs({ seed: 3, m: 65, k: 129, n: 63, transA: true, transB: false, batch: 2, broadcast: 'none' });
    const out1 = new Float32Array(d.batch * d.m * d.n), out2 = new Float32Array(out1.length);
    unshared.kernels.matmul!(a, b, out1, d);
    shared.matmul(a, b, out2, d);
    expect(out1).toEqual(out2);
    expect(unshared.runtime.activeThreads).toBe(1);
    expect(() => createWasmKernels({ threads: 2, shared: false })).toThrow(/2 threads need a shared memory/);
  });

  it('reports its threads and prepares in ready()', async () => {
    const info = await ready();
    expect(info.name).toBe('wasm');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(backendInfo()).toEqual(info);
  });

  it('lets a script exit once its work is done, with the worker pool started (also from an ESM -e script)', async () => {
    // --input-type=module once leaked into the eval'd worker and made it ESM: the worker never started.
    const script = `
      import { kernels, getBackend } from ${JSON.stringify(new URL('../../src/index.ts', import.meta.url).href)};
      const s = 256, a = new Float32Array(s * s).fill(1), out = new Float32Array(s * s);
      kernels().matmul(a, a, out, { batch: 1, m: s, k: s, n: s, transA: false, transB: false, aStride: 0, bStride: 0 });
      console.log(getBackend(), out[0]);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 50_000, // a pool that kept the process alive (or never started) would run into this
      env: { ...process.env, GIBBSGRAD_THREADS: '2' },
    });
    expect(stdout.trim()).toBe('wasm 256');
  });

  it('reports a trap in a worker as an error on the calling thread (no hang), and keeps working', () => {
    const w = createWasmKernels({ threads: 2, gemmMinWork: 0, parallelMinWork: 0 });
    runtimes.push(w);
    // maxPool2d(x, out, argmax, h, w, kh, kw, sH, sW, pH, pW, outH, outW, plane0, plane1)
    const nothing = [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0];
    const outOfBounds = [0x7ff00000, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1];
    expect(() => w.runtime.run([['pool', 'maxPool2d', nothing], ['pool', 'maxPool2d', outOfBounds]])).toThrow(/trapped in worker 1/);
    const { a, b, d } = gemmInputs({ seed: 1, m: 17, k: 5, n: 63, transA: false, transB: false, batch: 1, broadcast: 'none' });
    expect(gemmViolation(w.kernels as Kernels, a, b, d)).toBe(0);
  });
});

describe('wasm GEMM', () => {
  it('agrees with the reference on random shapes, transposes, batches and broadcasts (1 and 2 threads)', () => {
    fc.assert(gemmProperty(one), { numRuns: 60 });
    fc.assert(gemmProperty(two), { numRuns: 60 });
  });

  it('agrees with the reference across the cache blocks', () => {
    for (const [m, k, n] of blockCrossing) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true]] as const) {
        const { a, b, d } = gemmInputs({ seed: m + k + n, m, k, n, transA, transB, batch: 1, broadcast: 'none' });
        expect(gemmViolation(two, a, b, d), `${m}×${k}×${n} transA=${transA} transB=${transB}`).toBe(0);
      }
    }
  });

  it('gives bit-identical results on 1 and 2 threads', () => {
    fc.assert(sameBits([one, two]), { numRuns: 30 });
  });

  // Each mutant moves one tail bound by one; the same property must report a mismatch.
  const mutants: [string, string, string][] = [
    ['packed A keeps one row too few', '(if (i32.lt_s (local.get $row) (local.get $mb)) ;; TAIL-A', '(if (i32.lt_s (i32.add (local.get $row) (i32.const 1)) (local.get $mb)) ;; TAIL-A'],
    ['packed B keeps one column too few', '(if (i32.lt_s (local.get $col) (local.get $nb)) ;; TAIL-B', '(if (i32.lt_s (i32.add (local.get $col) (i32.const 1)) (local.get $nb)) ;; TAIL-B'],
    ['an edge tile writes one column too few', '(br_if $cols_done (i32.ge_s (local.get $jj) (local.get $cols))) ;; TAIL-C', '(br_if $cols_done (i32.ge_s (i32.add (local.get $jj) (i32.const 1)) (local.get $cols))) ;; TAIL-C'],
  ];
  for (const [what, from, to] of mutants) itCatchesPlantedBug(what, 'gemm', from, to, gemmProperty, 60);
});

const withoutRelaxed = relaxedSimdAvailable() ? '' : ' (skipped: this engine does not validate WebAssembly relaxed SIMD; Node ≥ 22 does)';

describe('wasm GEMM with fused multiply-adds (relaxed SIMD)', () => {
  it('is chosen by default exactly where relaxed SIMD validates, and GIBBSGRAD_FMA=0 turns it off', () => {
    expect(defaultFusedMultiplyAdd()).toBe(relaxedSimdAvailable());
    expect(withBackend('wasm', backendInfo).fusedMultiplyAdd).toBe(relaxedSimdAvailable());
    expect(withBackend('reference', backendInfo).fusedMultiplyAdd).toBe(false);
    vi.stubEnv('GIBBSGRAD_FMA', '0');
    try {
      expect(defaultFusedMultiplyAdd()).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.skipIf(relaxedSimdAvailable())('is an error to ask for where relaxed SIMD is missing', () => {
    expect(() => createWasmKernels({ threads: 1, fusedMultiplyAdd: true })).toThrow(/fused multiply-add needs WebAssembly relaxed SIMD/);
  });

  it('embeds the bytes the fused source assembles to now', () => {
    const fused = fusedSource(watSource('gemm'));
    expect(fused.match(/f32x4\.relaxed_madd/g)).toHaveLength(12);
    expect(fused).not.toMatch(/f32x4\.mul/);
    expect(kernelBytes('gemm', true, true)).toEqual(assembleBytes('gemm', fused));
    expect(kernelBytes('gemm', false, true)).toEqual(assembleBytes('gemm', unsharedSource(fused)));
    expect(kernelBytes('im2col', true, true)).toEqual(kernelBytes('im2col', true)); // only the GEMM has a fused variant
  });

  describe.skipIf(!relaxedSimdAvailable())(`kernels${withoutRelaxed}`, () => {
    const fusedOne = relaxedSimdAvailable() ? wasmKernels(1, {}, true) : referenceKernels;
    const fusedTwo = relaxedSimdAvailable() ? wasmKernels(2, {}, true) : referenceKernels;

    it('stay within the float32 summation bound of the reference (1 and 2 threads, across the cache blocks)', () => {
      fc.assert(gemmProperty(fusedOne), { numRuns: 60 });
      fc.assert(gemmProperty(fusedTwo), { numRuns: 60 });
      for (const [m, k, n] of blockCrossing) {
        const { a, b, d } = gemmInputs({ seed: m + k + n, m, k, n, transA: true, transB: false, batch: 1, broadcast: 'none' });
        expect(gemmViolation(fusedTwo, a, b, d), `${m}×${k}×${n}`).toBe(0);
      }
    });

    it('give bit-identical results on 1 and 2 threads, and the process-wide backend runs them', () => {
      // the process-wide backend sends products under 64 multiply-adds to the reference
      const gemmsOnly = gemmCase.filter((c) => c.batch * c.m * c.n * c.k >= 64);
      fc.assert(sameBits([fusedOne, fusedTwo, withBackend('wasm', kernels)], gemmsOnly), { numRuns: 30 });
    });

    it('compute the same bits with the 6×8 tile as with the 4×8 one (the tile height changes no sum)', () => {
      const fourRows = createWasmKernels({ threads: 2, modules: assembleAll({ gemm: fusedSource(watSource('gemm'), { tallTile: false }) }), gemmMinWork: 0, parallelMinWork: 0, windowMinSize: 0 });
      runtimes.push(fourRows);
      fc.assert(sameBits([fusedOne, fusedTwo, { ...referenceKernels, ...fourRows.kernels }], gemmCase), { numRuns: 40 });
    });

    // a fused kernel that drops one of its multiply-adds, one whose packing keeps a row too few, and
    // two that lose the tall tile's extra rows (a panel packed 5 rows high, an edge tile's 5th row not spilled)
    const mutants: [string, (fused: string) => string][] = [
      ['a lost multiply-add', (fused) => fused.replace('(f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21))', '(local.get $c21)')],
      ['packed A keeps one row too few', (fused) => fused.replace('(if (i32.lt_s (local.get $row) (local.get $mb)) ;; TAIL-A', '(if (i32.lt_s (i32.add (local.get $row) (i32.const 1)) (local.get $mb)) ;; TAIL-A')],
      ['a 6-row panel packs five rows', (fused) => fused.replace('(br_if $rows_done (i32.ge_s (local.get $ii) (i32.const 6)))', '(br_if $rows_done (i32.ge_s (local.get $ii) (i32.const 5)))')],
      ["an edge tile's fifth row is not spilled", (fused) => fused.replace('(v128.store offset=128 (local.get $tmp) (local.get $c40))', '')],
    ];
    for (const [what, plant] of mutants) {
      it(`catch a planted bug: ${what}`, () => {
        const fused = fusedSource(watSource('gemm'));
        const planted = plant(fused);
        expect(planted).not.toBe(fused);
        const w = createWasmKernels({ threads: 1, modules: assembleAll({ gemm: planted }), gemmMinWork: 0, parallelMinWork: 0, windowMinSize: 0 });
        runtimes.push(w);
        expect(fc.check(gemmProperty({ ...referenceKernels, ...w.kernels }), { numRuns: 60 }).failed).toBe(true);
      });
    }
  });
});

/** A conv (or pool) geometry with stride and padding; sizes include the edge values. */
const windowCase = (pool: boolean) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 1e6 }),
    n: fc.integer({ min: 1, max: 3 }),
    c: fc.constantFrom(1, 3, 5, 13), // 13·5·5 = 325 unfolded rows: more than one 256-deep block
    kh: fc.integer({ min: 1, max: 5 }),
    kw: fc.integer({ min: 1, max: 5 }),
    strideH: fc.integer({ min: 1, max: 3 }),
    strideW: fc.integer({ min: 1, max: 3 }),
    // unpadded half the time: the convolution kernels read those columns straight from the image
    padH: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
    padW: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
    h: fc.oneof(fc.constantFrom(1, 3, 5, 17, 31), fc.integer({ min: 1, max: 12 })),
    w: fc.oneof(fc.constantFrom(1, 3, 5, 17, 33), fc.integer({ min: 1, max: 12 })),
  }).map((r) => {
    // keep the geometry valid: padding at most half the kernel for pooling, kernel within the padded input
    const padH = pool ? Math.min(r.padH, Math.floor(r.kh / 2)) : Math.min(r.padH, r.kh - 1);
    const padW = pool ? Math.min(r.padW, Math.floor(r.kw / 2)) : Math.min(r.padW, r.kw - 1);
    const h = Math.max(r.h, r.kh - 2 * padH);
    const w = Math.max(r.w, r.kw - 2 * padW);
    const g: Conv2dGeometry = {
      n: r.n, c: r.c, h, w, kh: r.kh, kw: r.kw, strideH: r.strideH, strideW: r.strideW, padH, padW,
      outH: Math.floor((h + 2 * padH - r.kh) / r.strideH) + 1,
      outW: Math.floor((w + 2 * padW - r.kw) / r.strideW) + 1,
    };
    return { seed: r.seed, g };
  });

const bits = (x: Float32Array | Int32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

/** im2col and col2im move (and, for col2im, add in the reference's order) floats: results must be identical. */
const im2colProperty = (fast: Kernels) =>
  fc.property(windowCase(false), ({ seed, g }) => {
    const rng = new Rng(seed);
    const x = randomArray(rng, g.n * g.c * g.h * g.w);
    const size = g.c * g.kh * g.kw * g.n * g.outH * g.outW;
    const got = new Float32Array(size).fill(NaN);
    const want = new Float32Array(size);
    fast.im2col(x, g, got);
    referenceKernels.im2col(x, g, want);
    expect(bits(got)).toEqual(bits(want));
  });

const col2imProperty = (fast: Kernels) =>
  fc.property(windowCase(false), ({ seed, g }) => {
    const rng = new Rng(seed);
    const cols = randomArray(rng, g.c * g.kh * g.kw * g.n * g.outH * g.outW);
    const got = new Float32Array(g.n * g.c * g.h * g.w).fill(NaN);
    const want = new Float32Array(got.length);
    fast.col2im(cols, g, got);
    referenceKernels.col2im(cols, g, want);
    expect(bits(got)).toEqual(bits(want));
  });

const poolProperty = (fast: Kernels) =>
  fc.property(windowCase(true), fc.boolean(), ({ seed, g }, withNaN) => {
    const rng = new Rng(seed);
    const x = randomArray(rng, g.n * g.c * g.h * g.w);
    if (withNaN) x[rng.int(x.length)] = NaN;
    const size = g.n * g.c * g.outH * g.outW;
    const [got, want] = [new Float32Array(size), new Float32Array(size)];
    const [gotArg, wantArg] = [new Int32Array(size).fill(-7), new Int32Array(size)];
    fast.maxPool2d(x, g, got, gotArg);
    referenceKernels.maxPool2d(x, g, want, wantArg);
    expect(bits(got)).toEqual(bits(want));
    expect(gotArg).toEqual(wantArg);
  });

/**
 * The fused convolution kernels (im2col or col2im and a GEMM, NCHW in and out) against the
 * reference's composition, within the float32 bound of the GEMM's sums (plus col2im's kh·kw
 * additions for the input gradient).
 */
const convProperty = (fast: Kernels) =>
  fc.property(windowCase(false), fc.integer({ min: 1, max: 9 }), ({ seed, g }, K) => {
    const rng = new Rng(seed);
    const x = randomArray(rng, g.n * g.c * g.h * g.w);
    const w = randomArray(rng, K * g.c * g.kh * g.kw);
    const gy = randomArray(rng, g.n * K * g.outH * g.outW);
    const abs = (a: Float32Array) => a.map(Math.abs);
    const P = g.n * g.outH * g.outW;
    const check = (run: (k: Kernels, x: Float32Array, w: Float32Array, gy: Float32Array, out: Float32Array) => void, size: number, terms: number) => {
      const [got, want, bound] = [new Float32Array(size).fill(NaN), new Float32Array(size), new Float32Array(size)];
      run(fast, x, w, gy, got);
      run(referenceKernels, x, w, gy, want);
      run(referenceKernels, abs(x), abs(w), abs(gy), bound);
      for (let i = 0; i < size; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual((terms + 2) * 2 * U * bound[i] + 1e-30);
    };
    check((k, x, w, _gy, y) => k.conv2dForward(x, w, g, K, y), gy.length, g.c * g.kh * g.kw);
    check((k, x, _w, gy, dw) => k.conv2dWeightGrad(gy, x, g, K, dw), w.length, P);
    check((k, _x, w, gy, dx) => k.conv2dInputGrad(w, gy, g, K, dx), x.length, K + g.kh * g.kw);
    // With a bias: the same backend's output without it, plus addChannelBias, bit for bit.
    const bias = randomArray(rng, K);
    const [withBias, thenAdded] = [new Float32Array(gy.length).fill(NaN), new Float32Array(gy.length)];
    fast.conv2dForward(x, w, g, K, withBias, bias);
    fast.conv2dForward(x, w, g, K, thenAdded);
    referenceKernels.addChannelBias(thenAdded, bias, g.n, g.outH * g.outW);
    expect(bits(withBias)).toEqual(bits(thenAdded));
  });

/** 2×2, stride 2, unpadded pooling (its own vector kernel), with ties and NaNs common. */
const pool2x2Property = (fast: Kernels) =>
  fc.property(
    fc.integer({ min: 0, max: 1e6 }),
    fc.integer({ min: 1, max: 3 }),
    fc.oneof(fc.constantFrom(2, 3, 5, 17, 33), fc.integer({ min: 2, max: 20 })),
    fc.oneof(fc.constantFrom(2, 3, 5, 17, 33), fc.integer({ min: 2, max: 20 })),
    (seed, planes, h, w) => {
      const rng = new Rng(seed);
      const choices = [0, -0, 1, -1, 2, NaN];
      const x = Float32Array.from({ length: planes * h * w }, () => (rng.bernoulli(0.5) ? choices[rng.int(choices.length)] : rng.normal()));
      const g: Conv2dGeometry = { n: 1, c: planes, h, w, kh: 2, kw: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, outH: Math.floor(h / 2), outW: Math.floor(w / 2) };
      const size = planes * g.outH * g.outW;
      const [got, want] = [new Float32Array(size), new Float32Array(size)];
      const [gotArg, wantArg] = [new Int32Array(size).fill(-7), new Int32Array(size)];
      fast.maxPool2d(x, g, got, gotArg);
      referenceKernels.maxPool2d(x, g, want, wantArg);
      expect(bits(got)).toEqual(bits(want));
      expect(gotArg).toEqual(wantArg);
    },
  );

describe('wasm fused convolution kernels', () => {
  it('conv2dForward, conv2dWeightGrad and conv2dInputGrad agree with the reference (1 and 2 threads)', () => {
    fc.assert(convProperty(one), { numRuns: 60 });
    fc.assert(convProperty(two), { numRuns: 60 });
  });
});

/**
 * Convolutions whose GEMM packs the unfolded columns straight from the image ($packBImplicit),
 * padding 0–2 in each direction (mostly padded, and up to 2 even for a 1-wide kernel, where whole
 * output rows lie in the padding), odd sizes, strides 1–3, kernels 1–5, batch 1–3.
 */
const paddedConvCase = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  n: fc.integer({ min: 1, max: 3 }),
  c: fc.constantFrom(1, 3, 13), // 13·5·5 = 325 unfolded rows: more than one 256-deep block
  kh: fc.integer({ min: 1, max: 5 }),
  kw: fc.integer({ min: 1, max: 5 }),
  strideH: fc.integer({ min: 1, max: 3 }),
  strideW: fc.integer({ min: 1, max: 3 }),
  padH: fc.integer({ min: 0, max: 2 }),
  padW: fc.integer({ min: 0, max: 2 }),
  h: fc.oneof(fc.constantFrom(1, 3, 5, 9, 17, 31), fc.integer({ min: 1, max: 12 })),
  w: fc.oneof(fc.constantFrom(1, 3, 5, 9, 17, 33), fc.integer({ min: 1, max: 12 })),
  K: fc.integer({ min: 1, max: 9 }),
}).map(({ seed, K, ...r }) => {
  const padH = r.padH === 0 && r.padW === 0 ? 1 : r.padH; // always padded somewhere
  const h = Math.max(r.h, r.kh - 2 * padH);
  const w = Math.max(r.w, r.kw - 2 * r.padW);
  const g: Conv2dGeometry = {
    n: r.n, c: r.c, h, w, kh: r.kh, kw: r.kw, strideH: r.strideH, strideW: r.strideW, padH, padW: r.padW,
    outH: Math.floor((h + 2 * padH - r.kh) / r.strideH) + 1,
    outW: Math.floor((w + 2 * r.padW - r.kw) / r.strideW) + 1,
  };
  return { seed, g, K };
});

/**
 * The forward pass and the filter gradient of a padded convolution: bit for bit what the same
 * backend computes through an im2col copy (im2col, then the same GEMM packing that copy), and
 * within the float32 bound of the reference.
 */
const implicitConvProperty = (fast: Kernels) => {
  const viaIm2col = convByIm2col(fast);
  return fc.property(paddedConvCase, ({ seed, g, K }) => {
    const rng = new Rng(seed);
    const x = randomArray(rng, g.n * g.c * g.h * g.w);
    const w = randomArray(rng, K * g.c * g.kh * g.kw);
    const gy = randomArray(rng, g.n * K * g.outH * g.outW);
    const P = g.n * g.outH * g.outW;
    type Run = (k: Pick<Kernels, 'conv2dForward' | 'conv2dWeightGrad'>, x: Float32Array, other: Float32Array, out: Float32Array) => void;
    const check = (run: Run, other: Float32Array, size: number, terms: number) => {
      const [got, unfolded, want, bound] = [new Float32Array(size).fill(NaN), new Float32Array(size), new Float32Array(size), new Float32Array(size)];
      run(fast, x, other, got);
      run(viaIm2col, x, other, unfolded);
      expect(bits(got)).toEqual(bits(unfolded));
      run(referenceKernels, x, other, want);
      run(referenceKernels, x.map(Math.abs), other.map(Math.abs), bound);
      for (let i = 0; i < size; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual((terms + 2) * 2 * U * bound[i] + 1e-30);
    };
    check((k, x, w, y) => k.conv2dForward(x, w, g, K, y), w, gy.length, g.c * g.kh * g.kw);
    check((k, x, gy, dw) => k.conv2dWeightGrad(gy, x, g, K, dw), gy, w.length, P);
  });
};

describe('wasm padded convolutions without im2col', () => {
  it('forward and filter gradient equal the im2col path bit for bit and the reference within bound (1 and 2 threads)', () => {
    fc.assert(implicitConvProperty(one), { numRuns: 100 });
    fc.assert(implicitConvProperty(two), { numRuns: 100 });
  });

  // Each mutant moves one bound of the padding test by one: an entry just outside the image is
  // read (the next row, plane or image, or whatever follows) instead of 0.
  const mutants: [string, string, string][] = [
    ['a tested row lets the entry below the image through', '(local.get $hv)) ;; PAD-TEST', '(i32x4.add (local.get $hv) (i32x4.splat (i32.const 1)))) ;; PAD-TEST'],
    ['a tested row lets the entry right of the image through', '(local.get $cx1)) (local.get $wv))))', '(local.get $cx1)) (i32x4.add (local.get $wv) (i32x4.splat (i32.const 1))))))'],
    ['a row one below the inside range is packed without a test', '(local.get $spanY)) ;; PAD-ROW', '(i32.add (local.get $spanY) (i32.const 1))) ;; PAD-ROW'],
    ['a panel reaching one row below the image counts as inside', '(local.get $spanY))) ;; PAD-PANEL', '(i32.add (local.get $spanY) (i32.const 1)))) ;; PAD-PANEL'],
  ];
  for (const [what, from, to] of mutants) itCatchesPlantedBug(what, 'gemm', from, to, implicitConvProperty, 100);
});

describe('wasm im2col, col2im and max-pool', () => {
  it('im2col equals the reference bit for bit (1 and 2 threads)', () => {
    fc.assert(im2colProperty(one), { numRuns: 80 });
    fc.assert(im2colProperty(two), { numRuns: 80 });
  });
  it('col2im equals the reference bit for bit (1 and 2 threads)', () => {
    fc.assert(col2imProperty(one), { numRuns: 80 });
    fc.assert(col2imProperty(two), { numRuns: 80 });
  });
  it('maxPool2d equals the reference bit for bit, argmax included, NaN propagating (1 and 2 threads)', () => {
    fc.assert(poolProperty(one), { numRuns: 80 });
    fc.assert(poolProperty(two), { numRuns: 80 });
  });
  it('2×2 stride-2 max-pooling equals the reference bit for bit, ties and NaNs included (1 and 2 threads)', () => {
    fc.assert(pool2x2Property(one), { numRuns: 80 });
    fc.assert(pool2x2Property(two), { numRuns: 80 });
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const mutants: [string, KernelFile, string, string, (k: Kernels) => fc.IProperty<any>][] = [
    ['the last valid column of a window row is dropped (im2col)', 'im2col', '(i32.const 1)) ;; TAIL-HI', '(i32.const 0)) ;; TAIL-HI', im2colProperty],
    ['the last valid column of a window row is dropped (col2im)', 'im2col', '(i32.const 1)) ;; TAIL-HI', '(i32.const 0)) ;; TAIL-HI', col2imProperty],
    ['col2im skips the last float of a run tail', 'im2col', '(i32.ge_s (local.get $ox) (local.get $hi))) ;; TAIL-COL2IM', '(i32.ge_s (local.get $ox) (i32.sub (local.get $hi) (i32.const 1)))) ;; TAIL-COL2IM', col2imProperty],
    ['the fused input gradient folds back with the same dropped column (col2im)', 'im2col', '(i32.const 1)) ;; TAIL-HI', '(i32.const 0)) ;; TAIL-HI', convProperty],
    ['the bias skips the last float of a run tail', 'im2col', '(i32.ge_u (local.get $s) (local.get $end))) ;; TAIL-BIAS', '(i32.ge_u (i32.add (local.get $s) (i32.const 4)) (local.get $end))) ;; TAIL-BIAS', convProperty],
    ['the implicit columns of a convolution keep one pixel too few', 'gemm', '(local.get $nb)) ;; TAIL-IMPLICIT', '(i32.sub (local.get $nb) (i32.const 1))) ;; TAIL-IMPLICIT', convProperty],
    ['2×2 pooling skips the last output of a row', 'pool', '(br_if $tail_done (i32.ge_s (local.get $ox) (local.get $outW))) ;; TAIL-POOL2', '(br_if $tail_done (i32.ge_s (i32.add (local.get $ox) (i32.const 1)) (local.get $outW))) ;; TAIL-POOL2', pool2x2Property],
    ['a window clipped at the bottom loses its last row', 'pool', '(then (local.set $iy1 (local.get $h)))) ;; TAIL-POOL', '(then (local.set $iy1 (i32.sub (local.get $h) (i32.const 1))))) ;; TAIL-POOL', poolProperty],
  ];
  for (const [what, file, from, to, property] of mutants) itCatchesPlantedBug(what, file, from, to, property, 80);
});

describe('fast permute', () => {
  it('equals the reference permute for every permutation of random shapes', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(1, 2, 3, 5, 17), { minLength: 0, maxLength: 5 }), fc.integer({ min: 0, max: 1e6 }), (shape, seed) => {
        const rng = new Rng(seed);
        const perm = shape.map((_, i) => i);
        for (let i = perm.length - 1; i > 0; i--) { const j = rng.int(i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
        const x = randomArray(rng, shape.reduce((a: number, b: number) => a * b, 1));
        const [got, want] = [new Float32Array(x.length).fill(NaN), new Float32Array(x.length)];
        two.permute(x, shape, perm, got);
        referenceKernels.permute(x, shape, perm, want);
        expect(bits(got)).toEqual(bits(want));
      }),
      { numRuns: 200 },
    );
  });
});

describe('fast elementwise loops', () => {
  const special = [0, -0, 1, -1, 0.5, 3, NaN, Infinity, -Infinity, 1e-40, 88.8, -104];
  const values = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => (rng.bernoulli(0.3) ? special[rng.int(special.length)] : rng.normal() * 4));
  const unaryOps = [
    'neg', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'softplus', 'sign', 'square',
    'log1p', 'expm1', 'sin', 'cos', 'erf', 'reciprocal', 'rsqrt', 'gelu', 'geluTanh', 'silu',
    'clamp', 'elu', 'leakyRelu', 'geluGrad', 'geluTanhGrad', 'siluGrad', 'sigmoidGrad', 'tanhGrad',
  ] as const;
  const binaryOps = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'reluGrad'] as const;

  it('relu on bit patterns equals the reference for every float: negatives, ±0, ±∞, subnormals, NaNs of both signs', () => {
    // Random 32-bit patterns cover every class of float; a signalling NaN (exponent all ones,
    // quiet bit clear) becomes its quiet twin, as a NaN read into a JavaScript number does.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: 1, maxLength: 200 }), (patterns) => {
        const x = new Float32Array(Int32Array.from(patterns).buffer);
        const [got, want] = [new Float32Array(x.length), new Float32Array(x.length)];
        two.unary('relu', x, got);
        referenceKernels.unary('relu', x, want);
        expect(bits(got)).toEqual(bits(want));
      }),
      { numRuns: 300 },
    );
  });

  // b's shapes against a [3, n]: rows of n ≥ 16 take the per-row loops ('row', 'row1', 'column').
  const bShapes = { same: (n: number) => [3, n], scalar: () => [1], row: (n: number) => [n], row1: (n: number) => [1, n], column: () => [3, 1] };
  it('unary and binary (same shape, scalar, broadcast) equal the reference bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 70 }), fc.constantFrom(...(Object.keys(bShapes) as (keyof typeof bShapes)[])), (seed, n, mode) => {
        const rng = new Rng(seed);
        const a = values(rng, 3 * n);
        const aShape = [3, n];
        const bShape = bShapes[mode](n);
        const b = values(rng, bShape.reduce((p: number, q: number) => p * q, 1));
        // the parameters of clamp (min, max), elu (α) and leakyRelu (slope); the other ops ignore them
        const p = Math.fround(rng.normal());
        const q = Math.fround(p + Math.abs(rng.normal()));
        for (const op of unaryOps) {
          const [got, want] = [new Float32Array(a.length), new Float32Array(a.length)];
          two.unary(op, a, got, p, q);
          referenceKernels.unary(op, a, want, p, q);
          expect(bits(got), op).toEqual(bits(want));
        }
        for (const op of binaryOps) {
          const [got, want] = [new Float32Array(a.length), new Float32Array(a.length)];
          two.binary(op, a, aShape, b, bShape, got, aShape);
          referenceKernels.binary(op, a, aShape, b, bShape, want, aShape);
          expect(bits(got), op).toEqual(bits(want));
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('wasm exp and sigmoid (exp.wat)', () => {
  // Every class of float (random 32-bit patterns: ±0, subnormals, ±∞, NaNs of both signs, values
  // past the ends of exp's range) and dense values around fdlibm's branch points: ±ln2/2 and
  // ±3ln2/2 (where k changes), ±2^−28, the float32 ends of e^x (≈ 88.72, −87.3 to −103.9), the
  // cut-off at −700 and 709.78. Odd lengths leave a last element to the scalar tail.
  const near = [Math.LN2 / 2, 1.5 * Math.LN2, 2 ** -28, 88.72, 87.3, 103.9, 700, 709.78, 1];
  const floats = fc.oneof(
    fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((b) => new Float32Array(Int32Array.of(b).buffer)[0]),
    fc.tuple(fc.constantFrom(...near), fc.double({ min: -1e-3, max: 1e-3, noNaN: true }), fc.boolean()).map(([c, d, neg]) => (neg ? -1 : 1) * c * (1 + d)),
    fc.double({ min: -120, max: 120, noNaN: true }),
  );
  const sameAsReference = (fast: Kernels) =>
    fc.property(fc.array(floats, { minLength: 1, maxLength: 300 }), (values) => {
      const x = Float32Array.from(values);
      for (const op of ['exp', 'sigmoid'] as const) {
        const [got, want] = [new Float32Array(x.length).fill(NaN), new Float32Array(x.length)];
        fast.unary(op, x, got);
        referenceKernels.unary(op, x, want);
        expect(bits(got), op).toEqual(bits(want));
      }
    });

  it('equal the reference (Math.exp) bit for bit on every kind of float (1 and 2 threads)', () => {
    fc.assert(sameAsReference(one), { numRuns: 300 });
    fc.assert(sameAsReference(two), { numRuns: 300 });
  });

  const mutants: [string, string, string][] = [
    ['the loop over pairs stops one pair early', '(i32.const 8)) (local.get $end))) ;; TAIL-PAIRS', '(i32.const 12)) (local.get $end))) ;; TAIL-PAIRS'],
    ['the low part of k·ln2 is left out (ln2 rounded to its 32 high bits)', '(local.set $lo (f64x2.mul (local.get $t) (v128.const i64x2 0x3dea39ef35793c76 0x3dea39ef35793c76)))', '(local.set $lo (v128.const f64x2 0 0))'],
    ['the exponent is scaled without the cut-off below −700', '(local.set $y (v128.andnot (local.get $y) (f64x2.lt (local.get $x) (v128.const f64x2 -700 -700))))', ''],
    ["sigmoid returns its exponential's NaN (sign flipped by −|x|) instead of the input's", '(v128.bitselect\n      (local.get $x)\n      (f64x2.div', '(v128.bitselect\n      (local.get $e)\n      (f64x2.div'],
  ];
  for (const [what, from, to] of mutants) itCatchesPlantedBug(what, 'exp', from, to, sameAsReference, 300);
});

describe('fast reductions', () => {
  const special = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e30, -1e30];
  it('sum, max and min over any axes equal the reference bit for bit (leading and trailing axes take the fast loops)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }), fc.constantFrom('sum', 'max', 'min'), fc.integer({ min: 0, max: 15 }), (seed, shape, op, mask) => {
        const rng = new Rng(seed);
        const x = Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => (rng.bernoulli(0.1) ? special[rng.int(special.length)] : rng.normal() * 100));
        const axes = shape.map((_, i) => i).filter((i) => (mask >> i) & 1);
        if (axes.length === 0 || (op !== 'sum' && axes.some((a) => shape[a] === 0))) return;
        const size = shape.filter((_, i) => !axes.includes(i)).reduce((p, q) => p * q, 1);
        const [got, want] = [new Float32Array(size), new Float32Array(size)];
        two.reduce(op, x, shape, axes, got);
        referenceKernels.reduce(op, x, shape, axes, want);
        expect(bits(got)).toEqual(bits(want));
      }),
      { numRuns: 300 },
    );
  });
});
