/**
 * Matrix product, batched over leading dimensions with NumPy broadcasting.
 * For Y = A·B:  ∂L/∂A = G·Bᵀ,  ∂L/∂B = Aᵀ·G  (then summed over broadcast batch dimensions).
 * The transposes are flags of the GEMM kernel, not copies.
 */
import { binaryRaw, matmulRaw, reduceRaw, reshapeRaw, sumToShape } from '../../tensor/compute.js';
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
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

/**
 * The affine map of a fully connected layer, y = x·Wᵀ + b, with W stored [out, in] as in PyTorch.
 * x may have any leading dimensions. With G = ∂L/∂y flattened to rows:
 *   ∂L/∂x = G·W,   ∂L/∂W = Gᵀ·x,   ∂L/∂b = Σ_rows G.
 */
export const linear = defineOp<undefined>({
  name: 'linear',
  derivative: 'y = xWᵀ + b: ∂L/∂x = G·W, ∂L/∂W = Gᵀ·x, ∂L/∂b = Σ_rows G',
  forward: ([x, w, b]) => {
    checkLinear(x, w, b);
    const rows = reshapeRaw(x, [-1, w.shape[1]]);
    const y = matmulRaw(rows, w, false, true);
    const out = b ? binaryRaw('add', y, b) : y;
    return reshapeRaw(out, [...x.shape.slice(0, -1), w.shape[0]]);
  },
  vjp: (g, [x, w, b]) => {
    const G = reshapeRaw(g, [-1, w.shape[0]]);
    const X = reshapeRaw(x, [-1, w.shape[1]]);
    const grads = [reshapeRaw(matmulRaw(G, w), x.shape), matmulRaw(G, X, true, false)];
    if (b) grads.push(reduceRaw('sum', G, 0, false));
    return grads;
  },
  probe: (rng) => {
    const [inF, outF] = [1 + rng.int(6), 1 + rng.int(6)];
    const lead = randShape(rng, { minRank: 1, maxRank: 2, maxDim: 4 });
    const inputs = [values(rng, [...lead, inF]), values(rng, [outF, inF])];
    if (rng.bernoulli(0.7)) inputs.push(values(rng, [outF]));
    return { inputs, attrs: undefined };
  },
});

function checkLinear(x: Tensor, w: Tensor, b: Tensor | undefined): void {
  if (w.ndim !== 2) throw new Error(`linear: weight must be [outFeatures, inFeatures], got ${fmt(w.shape)}`);
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== w.shape[1]) {
    throw new Error(`linear: input ${fmt(x.shape)} has ${x.shape[x.ndim - 1]} features but weight ${fmt(w.shape)} expects ${w.shape[1]}`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== w.shape[0])) {
    throw new Error(`linear: bias ${fmt(b.shape)} does not match weight ${fmt(w.shape)} (expected [${w.shape[0]}])`);
  }
}
