/**
 * Fashion-MNIST from Debian's `dataset-fashion-mnist` package (70,000 28×28 grey images of
 * clothing in 10 classes), read from its IDX files. Used in place of grey CIFAR-10, which cannot be
 * fetched here (LB-hidden App. L).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { readIdx } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_PACKAGE = 'dataset-fashion-mnist';

const FILES = {
  xTrain: 'train-images-idx3-ubyte.gz',
  yTrain: 'train-labels-idx1-ubyte.gz',
  xTest: 't10k-images-idx3-ubyte.gz',
  yTest: 't10k-labels-idx1-ubyte.gz',
} as const;

export function fashionMnistAvailable(dir = FASHION_MNIST_DIR): boolean {
  return Object.values(FILES).every((f) => existsSync(join(dir, f)));
}

/** Images as [N, 1, 28, 28] in [0, 1], labels as [N]. */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): { xTrain: Tensor; yTrain: Tensor; xTest: Tensor; yTest: Tensor } {
  const missing = Object.values(FILES).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new Error(`loadFashionMnist: ${missing.join(', ')} not found in ${dir}; install Debian's '${FASHION_MNIST_PACKAGE}' package (apt-get install ${FASHION_MNIST_PACKAGE})`);
  }
  const images = (f: string) => {
    const t = readIdx(join(dir, f), 255);
    return new Tensor(t.data, [t.shape[0], 1, t.shape[1], t.shape[2]]);
  };
  return {
    xTrain: images(FILES.xTrain),
    yTrain: readIdx(join(dir, FILES.yTrain)),
    xTest: images(FILES.xTest),
    yTest: readIdx(join(dir, FILES.yTest)),
  };
}
