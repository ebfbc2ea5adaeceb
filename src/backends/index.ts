/**
 * The backends, and the one place that chooses the default. Each backend registers itself when its
 * module is imported: 'reference' (src/backends/reference: every kernel in plain TypeScript,
 * registered by the tensor core itself) and 'wasm' (src/backends/wasm: WebAssembly SIMD kernels,
 * registered only where this engine validates WebAssembly SIMD; compiled on first use).
 *
 * The default is 'wasm' where it is registered, otherwise 'reference'. A program chooses another
 * explicitly: setBackend(name) from then on, or withBackend(name, fn) for part of it.
 */
import { listBackends, setBackend } from '../tensor/kernels.js';
import './reference/index.js';
import './wasm/backend.js';

export const DEFAULT_BACKEND: string = listBackends().includes('wasm') ? 'wasm' : 'reference';
setBackend(DEFAULT_BACKEND);
