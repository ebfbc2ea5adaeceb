// Row gathering and per-class splitting (src/tensor/rows.ts), the one place rows are copied.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowsByClass, sliceRows, takeRows } from '../../src/tensor/rows.js';
import { Tensor } from '../../src/tensor/tensor.js';

const matrix = (rows: number, cols: number) => new Tensor(Float32Array.from({ length: rows * cols }, (_, i) => i), [rows, cols]);

describe('rows', () => {
  it('takeRows: row k of the result is row idx[k] of x, for any indices; the trailing shape is kept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { maxLength: 10 }), (n, cols, raw) => {
        const x = matrix(n, cols);
        const idx = raw.map((i) => i % n);
        const out = takeRows(x, idx);
        expect(out.shape).toEqual([idx.length, cols]);
        idx.forEach((i, k) => expect([...out.data.subarray(k * cols, (k + 1) * cols)]).toEqual([...x.data.subarray(i * cols, (i + 1) * cols)]));
      }),
    );
    const images = new Tensor(Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i), [3, 1, 2, 2]);
    expect(takeRows(images, [2]).shape).toEqual([1, 1, 2, 2]);
    expect([...sliceRows(images, 1, 2).data]).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('takeRows rejects an index outside the rows, naming it', () => {
    expect(() => takeRows(matrix(3, 2), [0, 3])).toThrow(/takeRows: row 3 is out of range for \[3, 2\]/);
    expect(() => takeRows(matrix(3, 2), [-1])).toThrow(/takeRows: row -1 is out of range/);
  });

  it('rowsByClass partitions the rows by label, each class in row order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 30 }), (labels) => {
        const groups = rowsByClass(labels, 5);
        expect(groups).toHaveLength(5);
        expect(groups.flat().sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
        groups.forEach((rows, c) => {
          expect(rows.every((r) => labels[r] === c)).toBe(true);
          expect(rows).toEqual([...rows].sort((a, b) => a - b));
        });
      }),
    );
    expect(rowsByClass([2, 0, 2])).toEqual([[1], [], [0, 2]]);
    expect(() => rowsByClass([0, 1.5])).toThrow(/rowsByClass: label 1.5 at row 1 is not a class/);
  });
});
