import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/index.js';
import { diagonalSorted } from '../../src/data/diagonal-sorted.js';

describe('diagonal-sorted dataset (LB-hidden App. A.4)', () => {
  const side = 6;
  const { x, y } = diagonalSorted({ rng: new Rng(1), count: 40, side });
  const pixel = (k: number, r: number, c: number) => x.data[k * side * side + r * side + c];

  it('has balanced classes and N(0,1) values', () => {
    expect(x.shape).toEqual([40, 1, side, side]);
    for (let c = 0; c < 4; c++) expect([...y.data].filter((v) => v === c).length).toBe(10);
  });

  it('sorts each class along its diagonal direction', () => {
    for (let k = 0; k < 40; k++) {
      const c = y.data[k];
      const secondary = c >= 2;
      const ascending = c % 2 === 0;
      // stepping one pixel along the class's direction never goes against its order
      for (let r = 0; r < side - 1; r++) {
        for (let col = 0; col < side - 1; col++) {
          const here = secondary ? pixel(k, r, col + 1) : pixel(k, r, col);
          const next = secondary ? pixel(k, r + 1, col) : pixel(k, r + 1, col + 1);
          if (ascending) expect(next).toBeGreaterThanOrEqual(here);
          else expect(next).toBeLessThanOrEqual(here);
        }
      }
    }
  });

  it('is deterministic given the seed', () => {
    expect(diagonalSorted({ rng: new Rng(1), count: 40, side }).x.data).toEqual(x.data);
  });
});
