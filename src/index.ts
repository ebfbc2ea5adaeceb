/**
 * gibbsgrad: a Float32Array tensor core, reverse-mode autodiff, and the probabilistic readings of
 * deep networks. This file is the engine's public API (the package's main entry, `gibbsgrad`): it
 * imports no Node built-in and runs unchanged in Node and in browsers. Files, datasets and the
 * experiments are in `gibbsgrad/node` (src/node.ts) and `gibbsgrad/experiments`
 * (src/experiments.ts). The papers are listed in docs/papers.md.
 */
import './backends/index.js'; // registers the backends and chooses the default ('wasm' where WebAssembly SIMD validates)

export { Tensor, tensor, zeros, ones, full, arange, eye, rand, randn, zerosLike, onesLike, type NestedArray, type TensorOptions } from './tensor/tensor.js';
export { Rng, type RngState } from './tensor/rng.js';
export { DEFAULT_BACKEND } from './backends/index.js';
export { configureWasm } from './backends/wasm/backend.js';
export { setBackend, withBackend, getBackend, backendInfo, ready, listBackends, registerBackend, kernels, type Kernels, type MatmulDims, type Conv2dGeometry, type BackendInfo, type BackendHooks } from './tensor/kernels.js';
export { oneHot } from './tensor/compute.js';
export { fromNdarray, toNdarray } from './tensor/ndarray.js';
export * from './autograd/index.js';
export * from './layers/index.js';
export { diagonalSorted } from './data/diagonal-sorted.js';
export * as prob from './prob/index.js';
