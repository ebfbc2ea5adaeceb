/**
 * The DRMM's rendering operators (DRMM eq 5) as differentiable ops: the transposed convolution
 * (each unit paints its filter, scaled by its value, at its position: the adjoint of the bottom-up
 * convolution) and unpooling to the chosen positions g inside each pooling window.
 */
import { defineOp } from '../../autograd/engine.js';
import { conv2dTranspose } from '../../autograd/ops/conv-transpose.js';
import { values } from '../../autograd/probe.js';
import type { Rng } from '../../tensor/rng.js';
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

/**
 * Unpooling to chosen positions (the DRMM's translational nuisance g, eq 5): z [N, K, h, w] and a
 * 0/1 mask [N, K, h·p, w·p] give out[…, i·p + dy, j·p + dx] = mask · z[…, i, j]. Equal to
 * upsample(z, p)·mask, in one pass; the mask gets no gradient.
 */
const unpoolOp = defineOp<{ pool: number }>({
  name: 'unpool',
  derivative: 'out = mask·z[parent]: ∂L/∂z = Σ over the p×p block of mask·g',
  nondiff: [1],
  forward: ([z, mask], { pool }) => {
    const [n, k, h, w] = z.shape;
    if (z.ndim !== 4 || mask.ndim !== 4 || mask.shape[0] !== n || mask.shape[1] !== k || mask.shape[2] !== h * pool || mask.shape[3] !== w * pool) {
      throw new Error(`unpool: expected z [N, K, h, w] and a mask [N, K, h·${pool}, w·${pool}], got z ${fmt(z.shape)} and mask ${fmt(mask.shape)}`);
    }
    const out = new Float32Array(mask.size);
    const W = w * pool;
    for (let i = 0; i < out.length; i++) {
      const m = mask.data[i];
      if (m === 0) continue;
      const col = i % W;
      const row = Math.floor(i / W);
      const plane = Math.floor(row / (h * pool));
      out[i] = m * z.data[(plane * h + Math.floor((row % (h * pool)) / pool)) * w + Math.floor(col / pool)];
    }
    return new Tensor(out, mask.shape);
  },
  vjp: (g, [z, mask], _out, { pool }) => {
    const [, , h, w] = z.shape;
    const dz = new Float32Array(z.size);
    const W = w * pool;
    for (let i = 0; i < g.size; i++) {
      const m = mask.data[i];
      if (m === 0) continue;
      const col = i % W;
      const row = Math.floor(i / W);
      const plane = Math.floor(row / (h * pool));
      dz[(plane * h + Math.floor((row % (h * pool)) / pool)) * w + Math.floor(col / pool)] += m * g.data[i];
    }
    return [new Tensor(dz, z.shape), null];
  },
  probe: (rng: Rng) => {
    const [n, k, h, w, pool] = [1 + rng.int(2), 1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3)];
    const mask = new Tensor(Float32Array.from({ length: n * k * h * pool * w * pool }, () => rng.int(2)), [n, k, h * pool, w * pool]);
    return { inputs: [values(rng, [n, k, h, w]), mask], attrs: { pool } };
  },
});

/** upsample(z, p)·mask in one op (see unpoolOp). */
export function unpool(z: Tensor, mask: Tensor, pool: number): Tensor {
  if (!Number.isInteger(pool) || pool < 1) throw new Error(`unpool: pool must be a positive integer, got ${pool}`);
  return unpoolOp([z, mask], { pool });
}
