/**
 * The DRMM's rendering operators (DRMM eq 5) as differentiable ops: the transposed convolution
 * (each unit paints its filter, scaled by its value, at its position: the adjoint of the bottom-up
 * convolution) and unpooling to the chosen positions g inside each pooling window.
 */
import { conv2dTranspose } from '../../autograd/ops/conv-transpose.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * The transposed ("full") convolution of y [N, K, h, w] with filters w [K, C, kh, kw]:
 * [N, C, h + kh − 1, w + kw − 1], the adjoint of `x.conv2d(w)` (valid, stride 1). Differentiable in both.
 */
export function convTranspose(y: Tensor, w: Tensor): Tensor {
  if (y.ndim !== 4 || w.ndim !== 4) throw new Error(`convTranspose: expected y [N, K, h, w] and filters [K, C, kh, kw], got y ${fmt(y.shape)} and filters ${fmt(w.shape)}`);
  return conv2dTranspose(y, w, { outputSize: [y.shape[2] + w.shape[2] - 1, y.shape[3] + w.shape[3] - 1] });
}

/** Unpooling to the chosen positions g lives with the other ops (src/autograd/ops/unpool.ts). */
export { unpool } from '../../autograd/ops/unpool.js';
