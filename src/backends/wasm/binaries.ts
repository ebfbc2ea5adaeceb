/**
 * The kernel modules' bytes, assembled ahead of time from the .wat sources by
 * scripts/build-wasm.ts and embedded as base64 (binaries.generated.ts), so that nothing is read
 * from disk or fetched: the engine loads the same way in Node, in a bundle and in a browser.
 */
import { GEMM_FUSED, RELAXED_PROBE, SIMD_PROBE, WAT_BINARIES } from './binaries.generated.js';
import { KERNEL_FILES, type KernelFile } from './kernel-files.js';
import { hasWebAssembly, webAssembly, type WasmModule } from './wasm-api.js';

export { KERNEL_FILES, type KernelFile };

function decode(base64: string): Uint8Array {
  const text = (globalThis as unknown as { atob(s: string): string }).atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Whether this engine validates WebAssembly with 128-bit SIMD (a 40-byte probe module). */
export function simdAvailable(): boolean {
  return hasWebAssembly && webAssembly().validate(decode(SIMD_PROBE));
}

/**
 * Whether this engine validates WebAssembly relaxed SIMD's fused multiply-add (Node ≥ 22, current
 * browsers; not Node 20 without a flag), i.e. whether the fused GEMM can load.
 */
export function relaxedSimdAvailable(): boolean {
  return hasWebAssembly && webAssembly().validate(decode(RELAXED_PROBE));
}

/**
 * The bytes of one kernel module, importing a shared or an unshared memory; `fused` picks the GEMM
 * whose micro-kernel uses fused multiply-adds (the other modules have no such variant).
 */
export function kernelBytes(name: KernelFile, shared: boolean, fused = false): Uint8Array {
  const variants = fused && name === 'gemm' ? GEMM_FUSED : WAT_BINARIES[name];
  return decode(variants[shared ? 'shared' : 'unshared']);
}

/** Every kernel module, compiled synchronously (small modules: ≈ 12 kB in all). */
export function compileKernels(shared: boolean, fused = false): Record<KernelFile, WasmModule> {
  const out = {} as Record<KernelFile, WasmModule>;
  for (const name of KERNEL_FILES) out[name] = new (webAssembly().Module)(kernelBytes(name, shared, fused));
  return out;
}

/** The same, compiled off the calling thread (what a browser's main thread prefers). */
export async function compileKernelsAsync(shared: boolean, fused = false): Promise<Record<KernelFile, WasmModule>> {
  const compiled = await Promise.all(KERNEL_FILES.map((name) => webAssembly().compile(kernelBytes(name, shared, fused))));
  return Object.fromEntries(KERNEL_FILES.map((name, i) => [name, compiled[i]])) as Record<KernelFile, WasmModule>;
}
