/** The WebAssembly kernel sources, one module per file (src/backends/wasm/<name>.wat); each imports the memory as env.memory. */
export const KERNEL_FILES = ['gemm', 'im2col', 'pool', 'exp'] as const;
export type KernelFile = (typeof KERNEL_FILES)[number];
