/**
 * Assembles the WebAssembly text kernels (src/backends/wasm/*.wat) with the `wabt` npm package (the
 * WebAssembly Binary Toolkit compiled to WebAssembly, a devDependency). Used at build time by
 * build-wasm.ts, which embeds the bytes in the package, and by the kernel tests, which assemble
 * mutated sources to show that the properties catch planted bugs. Nothing here ships.
 */
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';
import { KERNEL_FILES, type KernelFile } from '../src/backends/wasm/kernel-files.js';
import { webAssembly, type WasmModule } from '../src/backends/wasm/wasm-api.js';

const wabt = await wabtInit();

export { KERNEL_FILES, type KernelFile };

/** The text of src/backends/wasm/<name>.wat. */
export function watSource(name: KernelFile): string {
  return readFileSync(new URL(`../src/backends/wasm/${name}.wat`, import.meta.url), 'utf8');
}

/**
 * The same module importing an unshared memory: what a browser page that is not
 * crossOriginIsolated can instantiate (no SharedArrayBuffer there). The kernels use no atomics,
 * so the import's `shared` flag is the only difference.
 */
export function unsharedSource(text: string): string {
  const shared = /\(import "env" "memory" \(memory (\d+) (\d+) shared\)\)/;
  if (!shared.test(text)) throw new Error('unsharedSource: no shared env.memory import found');
  return text.replace(shared, '(import "env" "memory" (memory $1 $2))');
}

/** Replaces each `from` by `to`, checking that `from` occurs exactly `count` times (a stale rewrite fails loudly). */
function rewrite(text: string, what: string, edits: readonly (readonly [from: string, to: string, count: number])[]): string {
  for (const [from, to, count] of edits) {
    const found = text.split(from).length - 1;
    if (found !== count) throw new Error(`${what}: expected ${count} × ${JSON.stringify(from.slice(0, 60))}, found ${found}`);
    text = text.split(from).join(to);
  }
  return text;
}

const accumulate = (row: number) =>
  `      (local.set $av (v128.load32_splat offset=${4 * row} (local.get $ap)))
      (local.set $c${row}0 (f32x4.add (local.get $c${row}0) (f32x4.mul (local.get $av) (local.get $b0))))
      (local.set $c${row}1 (f32x4.add (local.get $c${row}1) (f32x4.mul (local.get $av) (local.get $b1))))`;
const storeRow = (row: number, add: boolean) => add
  ? `
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c)) (local.get $c${row}0)))
            (v128.store offset=16 (local.get $c) (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c${row}1)))`
  : `
            (local.set $c (i32.add (local.get $c) (local.get $ldc)))
            (v128.store (local.get $c) (local.get $c${row}0))
            (v128.store offset=16 (local.get $c) (local.get $c${row}1))`;

/**
 * gemm.wat with a 6×8 micro-tile instead of 4×8: twelve accumulators (with the two B vectors and
 * the broadcast A value, 15 of x64's 16 xmm registers), so that every step's two B loads and six
 * broadcasts feed 12 multiply-adds instead of 8. It pays only with fused multiply-adds (measured on
 * the development machine, one thread, Node 24, matmul 512: plain 4×8 41.8 GFLOP/s, plain 6×8 40.7,
 * fused 4×8 48.5, fused 6×8 55.4), so fusedSource uses it and the plain kernel keeps 4×8. Every
 * element of C is still summed over k in the same order, so the tile height changes no result bit.
 * The edits are the places that know the tile height: packA's 4-row panels, the micro-kernel's
 * accumulators, loads and stores, and the row loop (step 6; MC 126 = 21 panels instead of 128).
 */
export function tallTileSource(text: string): string {
  return rewrite(text, 'tallTileSource', [
    // packA: 6-row panels, element (ii, p) of the panel at row r at dst + (r·kb + 6p + ii)·4
    ['(br_if $rows_done (i32.ge_s (local.get $ii) (i32.const 4)))', '(br_if $rows_done (i32.ge_s (local.get $ii) (i32.const 6)))', 1],
    ['(i32.shl (local.get $p) (i32.const 2)))\n                                                             (local.get $ii))',
      '(i32.mul (local.get $p) (i32.const 6)))\n                                                             (local.get $ii))', 2],
    ['(local.set $r (i32.add (local.get $r) (i32.const 4)))', '(local.set $r (i32.add (local.get $r) (i32.const 6)))', 1],
    // the micro-kernel: rows 4 and 5
    ['(local $c30 v128) (local $c31 v128)', '(local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128) (local $c50 v128) (local $c51 v128)', 1],
    [`${accumulate(3)}\n      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))`,
      `${accumulate(3)}\n${accumulate(4)}\n${accumulate(5)}\n      (local.set $ap (i32.add (local.get $ap) (i32.const 24)))`, 1],
    ['(if (i32.and (i32.eq (local.get $rows) (i32.const 4))', '(if (i32.and (i32.eq (local.get $rows) (i32.const 6))', 1],
    [`${storeRow(3, false)})`, `${storeRow(3, false)}${storeRow(4, false)}${storeRow(5, false)})`, 1],
    [`${storeRow(3, true)})))`, `${storeRow(3, true)}${storeRow(4, true)}${storeRow(5, true)})))`, 1],
    ['        (v128.store offset=112 (local.get $tmp) (local.get $c31))',
      '        (v128.store offset=112 (local.get $tmp) (local.get $c31))\n        (v128.store offset=128 (local.get $tmp) (local.get $c40))\n        (v128.store offset=144 (local.get $tmp) (local.get $c41))\n        (v128.store offset=160 (local.get $tmp) (local.get $c50))\n        (v128.store offset=176 (local.get $tmp) (local.get $c51))', 1],
    // the row loops: MC = 126 rows (21 panels) per packed A block, tiles 6 rows apart
    ['(if (i32.gt_s (local.get $mb) (i32.const 128)) (then (local.set $mb (i32.const 128))))', '(if (i32.gt_s (local.get $mb) (i32.const 126)) (then (local.set $mb (i32.const 126))))', 1],
    ['(local.set $ic (i32.add (local.get $ic) (i32.const 128)))', '(local.set $ic (i32.add (local.get $ic) (i32.const 126)))', 1],
    ['(local.set $ir (i32.add (local.get $ir) (i32.const 4)))', '(local.set $ir (i32.add (local.get $ir) (i32.const 6)))', 1],
    ['(select (i32.const 4) (i32.sub (local.get $mb) (local.get $ir))\n                          (i32.ge_s (i32.sub (local.get $mb) (local.get $ir)) (i32.const 4)))',
      '(select (i32.const 6) (i32.sub (local.get $mb) (local.get $ir))\n                          (i32.ge_s (i32.sub (local.get $mb) (local.get $ir)) (i32.const 6)))', 1],
  ]);
}

/**
 * The GEMM the engine runs where it has fused multiply-adds: gemm.wat with the 6×8 tile
 * (tallTileSource; `tallTile: false` keeps 4×8, for the test that the tile changes no bit) and each
 * `acc + a·b` of `$kernel` (an f32x4.mul then an f32x4.add, two roundings) as `f32x4.relaxed_madd`
 * (WebAssembly relaxed SIMD), which an engine on a CPU with FMA runs as one fused instruction (one
 * rounding). The packing, blocking and split over threads (and their bit-identity) are the plain
 * kernel's. Only engines that validate relaxed SIMD (Node ≥ 22 without a flag, current browsers) can load it.
 */
export function fusedSource(text: string, { tallTile = true } = {}): string {
  const tiled = tallTile ? tallTileSource(text) : text;
  const multiplyAdd = /\(f32x4\.add \(local\.get (\$c\d\d)\) \(f32x4\.mul \(local\.get (\$av)\) \(local\.get (\$b\d)\)\)\)/g;
  const count = tiled.match(multiplyAdd)?.length ?? 0;
  const expected = tallTile ? 12 : 8;
  if (count !== expected) throw new Error(`fusedSource: expected the micro-kernel's ${expected} multiply-adds, found ${count}`);
  return tiled.replace(multiplyAdd, '(f32x4.relaxed_madd (local.get $2) (local.get $3) (local.get $1))');
}

/** WebAssembly text (SIMD, relaxed SIMD, threads and bulk memory enabled) → binary bytes. */
export function assembleBytes(name: string, text: string): Uint8Array {
  const parsed = wabt.parseWat(`${name}.wat`, text, { simd: true, relaxed_simd: true, threads: true, bulk_memory: true });
  try {
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

/** Assembles and compiles one module; a module this engine cannot validate is an error. */
export function assemble(name: string, text: string): WasmModule {
  const bytes = assembleBytes(name, text);
  if (!webAssembly().validate(bytes)) throw new Error(`assemble: ${name}.wat does not validate on this engine (WebAssembly SIMD missing?)`);
  return new (webAssembly().Module)(bytes);
}

/** Every kernel module, from the repository's sources or the ones given (tests pass mutants). */
export function assembleAll(sources: Partial<Record<KernelFile, string>> = {}): Record<KernelFile, WasmModule> {
  const out = {} as Record<KernelFile, WasmModule>;
  for (const name of KERNEL_FILES) out[name] = assemble(name, sources[name] ?? watSource(name));
  return out;
}
