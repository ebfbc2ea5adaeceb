/**
 * The part of the WebAssembly JS API the kernels use, typed here rather than taken from the DOM
 * library (where TypeScript keeps it): the engine's declarations then compile for a consumer with
 * any `lib` — ES2022 alone, DOM, or Node's types — and never clash with a global declaration.
 */
export interface WasmMemory { readonly buffer: ArrayBuffer | SharedArrayBuffer; grow(deltaPages: number): number }
/** A compiled module (opaque). */
export interface WasmModule { readonly [wasmModuleBrand]?: never }
declare const wasmModuleBrand: unique symbol;
export type WasmExports = Record<string, unknown>;

interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: { new (bytes: Uint8Array): WasmModule; exports(module: WasmModule): { name: string; kind: string }[] };
  Instance: new (module: WasmModule, imports?: Record<string, Record<string, unknown>>) => { readonly exports: WasmExports };
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

const api = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** Whether this host has WebAssembly at all. */
export const hasWebAssembly = api !== undefined;

/** The host's WebAssembly object; throws on a host without one. */
export function webAssembly(): WebAssemblyApi {
  if (!api) throw new Error('gibbsgrad: this JavaScript engine has no WebAssembly');
  return api;
}
