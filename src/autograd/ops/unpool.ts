/**
 * Unpooling to chosen positions (the DRMM's translational nuisance g, DRMM eq 5): z [N, K, h, w] and
 * a 0/1 mask [N, K, h·p, w·p] give out[…, i·p + dy, j·p + dx] = mask · z[…, i, j]. Equal to
 * upsample(z, p)·mask, in one kernel call; the mask gets no gradient.
 */
import { kernels } from '../../tensor/kernels.js';
import type { Rng } from '../../tensor/rng.js';
import { fmt } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { values } from '../probe.js';

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
    kernels().unpool(z.data, mask.data, h, w, pool, out);
    return new Tensor(out, mask.shape);
  },
  vjp: (g, [z, mask], _out, { pool }) => {
    const dz = new Float32Array(z.size);
    kernels().unpoolBackward(g.data, mask.data, z.shape[2], z.shape[3], pool, dz);
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
