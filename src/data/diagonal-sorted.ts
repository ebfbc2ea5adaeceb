/**
 * The diagonal-sorted dataset (LB-hidden App. A.4, Fig. 12): side×side images of N(0, 1) values,
 * sorted along a diagonal direction; the class is the direction and order:
 *   0: primary diagonal, ascending     1: primary diagonal, descending
 *   2: secondary diagonal, ascending   3: secondary diagonal, descending
 * "Sorted along the primary diagonal" is read as: values grow (or shrink) with the position's
 * step along the top-left → bottom-right direction, y + x; the secondary direction runs
 * top-right → bottom-left, y + (side − 1 − x). Ties within one anti-diagonal are broken by row.
 * The papers use 4,800 images (1,200 per class) of 32×32.
 */
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';

export const DIAGONAL_CLASSES = ['primary ascending', 'primary descending', 'secondary ascending', 'secondary descending'] as const;

/** Pixel positions in the order in which class `c` receives ascending values. */
function fillOrder(c: number, side: number): number[] {
  const secondary = c >= 2;
  const positions = Array.from({ length: side * side }, (_, i) => i);
  const key = (i: number) => {
    const y = Math.floor(i / side);
    const x = i % side;
    return (y + (secondary ? side - 1 - x : x)) * side + y;
  };
  positions.sort((a, b) => key(a) - key(b));
  return c % 2 === 0 ? positions : positions.reverse();
}

export function diagonalSorted({ rng, count = 4800, side = 32 }: { rng: Rng; count?: number; side?: number }): { x: Tensor; y: Tensor } {
  if (!(rng instanceof Rng)) throw new Error('diagonalSorted: pass { rng: new Rng(seed) }');
  if (!Number.isInteger(count) || count <= 0 || !Number.isInteger(side) || side <= 1) {
    throw new Error(`diagonalSorted: count and side must be positive integers (side ≥ 2), got count ${count}, side ${side}`);
  }
  const orders = [0, 1, 2, 3].map((c) => fillOrder(c, side));
  const size = side * side;
  const x = new Float32Array(count * size);
  const y = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const c = k % 4; // balanced classes, interleaved
    const values = Array.from({ length: size }, () => rng.normal()).sort((a, b) => a - b);
    orders[c].forEach((pos, r) => (x[k * size + pos] = values[r]));
    y[k] = c;
  }
  return { x: new Tensor(x, [count, 1, side, side]), y: new Tensor(y, [count]) };
}
