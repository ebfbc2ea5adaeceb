/**
 * Gradients for the TF.js peer. `@tensorflow/tfjs-core`'s Node bundle registers kernels' forward
 * passes only: the gradient configs ship with the `@tensorflow/tfjs` union package, which this
 * project does not install (and tfjs-core's separate ES-module files cannot be loaded by Node
 * because of their extensionless imports). So the benchmark registers, for the few kernels of CNN1,
 * the gradients TF.js itself defines, each calling the same backend kernel TF.js would call:
 * Conv2D → Conv2DBackpropInput + Conv2DBackpropFilter, MaxPool → MaxPoolGrad, BatchMatMul → two
 * BatchMatMuls, Relu → dy·step(x), Add → a sum over the broadcast axes, Reshape → a reshape.
 * A backend without one of those kernels (TF.js wasm has no Conv2DBackpropFilter) throws TF.js's
 * own "kernel not registered" error, which the table reports as n/a.
 */
import * as tf from '@tensorflow/tfjs-core';

let registered = false;

export function registerTfjsGradients(): void {
  if (registered) return;
  registered = true;
  const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter], attrs) => {
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as { strides: number; pad: 'valid'; dataFormat: 'NHWC'; dimRoundingMode?: string };
      const common = { strides, pad, dataFormat, dimRoundingMode };
      return {
        x: () => run('Conv2DBackpropInput', { dy: dy as tf.Tensor, filter }, { ...common, inputShape: x.shape }),
        filter: () => run('Conv2DBackpropFilter', { x, dy: dy as tf.Tensor }, { ...common, filterShape: filter.shape }),
      };
    },
  });

  tf.registerGradient({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => {
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as { filterSize: number; strides: number; pad: 'valid'; dimRoundingMode?: string };
      return { x: () => run('MaxPoolGrad', { dy: dy as tf.Tensor, input: x, output: y }, { filterSize, strides, pad, dimRoundingMode }) };
    },
  });

  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (transposeA || transposeB) throw new Error('registerTfjsGradients: BatchMatMul gradient is written for untransposed operands only');
      const g = dy as tf.Tensor3D;
      return { a: () => tf.matMul(g, b as tf.Tensor3D, false, true), b: () => tf.matMul(a as tf.Tensor3D, g, true, false) };
    },
  });

  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(x)) }),
  });

  tf.registerGradient({
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => {
      const g = dy as tf.Tensor;
      const reduceTo = (shape: number[]) => () => {
        const axes = tf.backend_util.getReductionAxes(shape, g.shape);
        return tf.reshape(axes.length ? tf.sum(g, axes) : g, shape);
      };
      return { a: reduceTo(a.shape), b: reduceTo(b.shape) };
    },
  });

  tf.registerGradient({
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  });
}

/**
 * Mean softmax cross-entropy of `logits` [N, C] against one-hot `targets`, with the textbook
 * gradient (softmax − target)/N. Written as one custom-gradient op so that the loss needs no
 * further gradient registrations; PyTorch and gibbsgrad fuse it the same way.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  const f = tf.customGrad((...args) => {
    const [zz, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const logp = tf.logSoftmax(zz);
    save([logp]);
    return {
      value: tf.neg(tf.mean(tf.sum(tf.mul(logp, targets), 1))) as tf.Scalar,
      gradFunc: (dy, [lp]) => tf.mul(dy, tf.div(tf.sub(tf.exp(lp), targets), zz.shape[0])),
    };
  });
  return f(logits) as tf.Scalar;
}
