/**
 * gibbsgrad: a Float32Array tensor core, reverse-mode autodiff, and the probabilistic readings of
 * deep networks. This file is the public API; see ../shared/DESIGN.md for the layout.
 */
import './tensor/reference.js';
import './wasm/backend.js'; // registers 'wasm' and makes it the default when WebAssembly SIMD validates

export { Tensor, tensor, zeros, ones, full, arange, eye, rand, randn, zerosLike, onesLike, type NestedArray, type TensorOptions } from './tensor/tensor.js';
export { Rng, type RngState } from './tensor/rng.js';
export { setBackend, getBackend, listBackends, registerBackend, kernels, type Kernels, type MatmulDims, type Conv2dGeometry } from './tensor/kernels.js';
export { oneHot } from './tensor/compute.js';
export { fromNdarray, toNdarray } from './tensor/ndarray.js';
export * from './autograd/index.js';
export * from './layers/index.js';
export { loadMnist, mnistDigits, type MnistSplit } from './data/mnist.js';
export { syntheticGaussianDigits, gaussianDigitsFromMnist, type GaussianDigits } from './data/gaussian-digits.js';
export { diagonalSorted } from './data/diagonal-sorted.js';
export { readIdx } from './data/idx.js';
export { loadFashionMnist, fashionMnistAvailable } from './data/fashion-mnist.js';
export * as prob from './prob/index.js';
