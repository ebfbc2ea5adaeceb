/**
 * Matrix product, batched over leading dimensions with NumPy broadcasting.
 * For Y = A·B:  ∂L/∂A = G·Bᵀ,  ∂L/∂B = Aᵀ·G  (then summed over broadcast batch dimensions).
 * The transposes are flags of the GEMM kernel, not copies.
 */
import { matmulRaw, sumToShape } from '../../tensor/compute.js';
import { defineOp } from '../engine.js';
import { broadcastableTo, randShape, values } from '../probe.js';

export const matmul = defineOp<undefined>({
  name: 'matmul',
  derivative: 'Y = AB: ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G',
  forward: ([a, b]) => matmulRaw(a, b),
  vjp: (g, [a, b]) => [sumToShape(matmulRaw(g, b, false, true), a.shape), sumToShape(matmulRaw(a, g, true, false), b.shape)],
  probe: (rng) => {
    const [m, k, n] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(5)];
    const batch = randShape(rng, { maxRank: 2, maxDim: 3 });
    const other = broadcastableTo(rng, batch);
    const [ba, bb] = rng.bernoulli(0.5) ? [batch, other] : [other, batch];
    return { inputs: [values(rng, [...ba, m, k]), values(rng, [...bb, k, n])], attrs: undefined };
  },
});
