// The part of the WebAssembly JS API the kernels use. tsconfig's lib is ES2022 without DOM, which
// is where TypeScript keeps these declarations, so the few we need are stated here.
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  interface Memory { readonly buffer: ArrayBuffer | SharedArrayBuffer; grow(delta: number): number }
  var Memory: { new (descriptor: MemoryDescriptor): Memory };
  interface ModuleExportDescriptor { name: string; kind: 'function' | 'table' | 'memory' | 'global' }
  interface Module {}
  var Module: { new (bytes: ArrayBufferView | ArrayBuffer): Module; exports(module: Module): ModuleExportDescriptor[] };
  type ExportValue = unknown;
  type Exports = Record<string, ExportValue>;
  interface Instance { readonly exports: Exports }
  var Instance: { new (module: Module, imports?: Record<string, Record<string, unknown>>): Instance };
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
