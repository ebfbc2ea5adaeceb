/**
 * Assembles the WebAssembly text kernels (the .wat files beside this one) with the `wabt` npm
 * package when this module is first imported: no build step, nothing downloaded. wabt's
 * initialisation is asynchronous, so this module uses one top-level await (≈ 0.1 s); after it,
 * every compile is synchronous (`new WebAssembly.Module`), which keeps the kernel interface sync.
 */
import { readFileSync } from 'node:fs';
import wabtInit from 'wabt';

const wabt = await wabtInit();

/** The kernel sources, one module per file; each imports the shared memory as env.memory. */
export const KERNEL_FILES = ['gemm', 'im2col', 'pool'] as const;
export type KernelFile = (typeof KERNEL_FILES)[number];

/** The text of src/wasm/<name>.wat, found relative to this file (works from src/ under tsx and vitest). */
export function watSource(name: KernelFile): string {
  return readFileSync(new URL(`./${name}.wat`, import.meta.url), 'utf8');
}

/** Assembles WebAssembly text (SIMD and shared memory enabled) and compiles it synchronously. */
export function assemble(name: string, text: string): WebAssembly.Module {
  const parsed = wabt.parseWat(`${name}.wat`, text, { simd: true, threads: true, bulk_memory: true });
  try {
    const { buffer } = parsed.toBinary({});
    if (!WebAssembly.validate(buffer)) throw new Error(`assemble: ${name}.wat does not validate on this engine (WebAssembly SIMD missing?)`);
    return new WebAssembly.Module(buffer);
  } finally {
    parsed.destroy();
  }
}

/** Every kernel module, assembled from the sources in this repository. */
export function assembleAll(sources: Partial<Record<KernelFile, string>> = {}): Record<KernelFile, WebAssembly.Module> {
  const out = {} as Record<KernelFile, WebAssembly.Module>;
  for (const name of KERNEL_FILES) out[name] = assemble(name, sources[name] ?? watSource(name));
  return out;
}
