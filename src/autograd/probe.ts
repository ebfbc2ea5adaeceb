/**
 * Random inputs for the gradient property test. Each op's `probe` draws shapes (size-1 and odd
 * dimensions, broadcasting) and values (inside the op's domain and away from its kinks, where a
 * finite difference would straddle a non-differentiable point) from a seeded Rng.
 */
import type { Rng } from '../tensor/rng.js';
import { sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  maxDim?: number;
}

export function randShape(rng: Rng, { minRank = 0, maxRank = 3, maxDim = 5 }: ShapeOptions = {}): number[] {
  const rank = minRank + rng.int(maxRank - minRank + 1);
  return Array.from({ length: rank }, () => 1 + rng.int(maxDim));
}

/** A shape that broadcasts to `shape`: some dimensions become 1, some leading ones are dropped. */
export function broadcastableTo(rng: Rng, shape: Shape): number[] {
  const drop = rng.int(shape.length + 1);
  return shape.slice(drop).map((d) => (rng.bernoulli(0.3) ? 1 : d));
}

export interface ValueOptions {
  low?: number;
  high?: number;
  /** Minimum distance of every value from this point (a kink or a pole). */
  awayFrom?: number;
  gap?: number;
  /**
   * Draw from the lattice offset + ½ℤ (± 0.05) instead: two inputs with offsets 0 and 0.25 are
   * then at least 0.15 apart in every broadcast pair (no ties for maximum/minimum).
   */
  lattice?: number;
}

export function values(rng: Rng, shape: Shape, { low = -2, high = 2, awayFrom, gap = 0.2, lattice }: ValueOptions = {}): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    if (lattice !== undefined) {
      data[i] = (rng.int(9) - 4) * 0.5 + lattice + rng.uniformIn(-0.05, 0.05);
      continue;
    }
    let v = rng.uniformIn(low, high);
    while (awayFrom !== undefined && Math.abs(v - awayFrom) < gap) v = rng.uniformIn(low, high);
    data[i] = v;
  }
  return new Tensor(data, shape);
}

/** Distinct values at least `spacing` apart, in random order (no ties for max/min/argmax). */
export function distinct(rng: Rng, shape: Shape, spacing = 0.25): Tensor {
  const n = sizeOf(shape);
  const order = rng.permutation(n);
  const data = Float32Array.from(order, (k) => (k - n / 2) * spacing + rng.uniformIn(0, spacing / 4));
  return new Tensor(data, shape);
}

/** A random axis of a shape (or undefined = all axes, one time in four). */
export function randAxis(rng: Rng, shape: Shape, allowAll = true): number | undefined {
  if (shape.length === 0 || (allowAll && rng.bernoulli(0.25))) return undefined;
  const a = rng.int(shape.length);
  return rng.bernoulli(0.5) ? a : a - shape.length;
}
