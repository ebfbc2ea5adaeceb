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

/**
 * gemm.wat with its micro-kernel's multiply-adds fused: each `acc + a·b` of `$kernel` (an f32x4.mul
 * then an f32x4.add, two roundings) becomes `f32x4.relaxed_madd` (WebAssembly relaxed SIMD), which
 * an engine on a CPU with FMA runs as one fused instruction (one rounding). Nothing else changes,
 * so the packing, blocking and split over threads (and their bit-identity) are the plain kernel's.
 * Only engines that validate relaxed SIMD (Node ≥ 22 without a flag, current browsers) can load it.
 */
export function fusedSource(text: string): string {
  const multiplyAdd = /\(f32x4\.add \(local\.get (\$c\d\d)\) \(f32x4\.mul \(local\.get (\$av)\) \(local\.get (\$b\d)\)\)\)/g;
  const count = text.match(multiplyAdd)?.length ?? 0;
  if (count !== 8) throw new Error(`fusedSource: expected the micro-kernel's 8 multiply-adds, found ${count}`);
  return text.replace(multiplyAdd, '(f32x4.relaxed_madd (local.get $2) (local.get $3) (local.get $1))');
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
