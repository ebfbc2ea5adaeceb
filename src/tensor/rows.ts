/**
 * Row gathering along the first axis, the one place the code copies rows of a tensor (batches,
 * subsets, splits), through the indexSelect kernel. Not differentiable: the results are new leaf
 * tensors; where a gradient must flow through the selection, use the `indexSelect` op
 * (`x.indexSelect(0, index)`), whose VJP is in the registry.
 */
import { indexSelectRaw } from './compute.js';
import { fmt } from './shape.js';
import { Tensor } from './tensor.js';

/** Rows `idx` of x (along the first axis), in that order (a copy). */
export function takeRows(x: Tensor, idx: ArrayLike<number>): Tensor {
  const n = x.shape[0];
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`takeRows: row ${i} is out of range for ${fmt(x.shape)}`);
  }
  return indexSelectRaw(x, 0, new Tensor(Float32Array.from(idx), [idx.length]));
}

/** The indices start, start + 1, …, start + count − 1. */
export function rowRange(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => start + k);
}

/** Rows [start, start + count) of x (a copy). */
export function sliceRows(x: Tensor, start: number, count: number): Tensor {
  return takeRows(x, rowRange(start, count));
}

/**
 * The row indices of each class, in row order: `rowsByClass(labels)[c]` lists the rows labelled c
 * (classes 0 … max label; a class without rows gets an empty list).
 */
export function rowsByClass(labels: ArrayLike<number>, classes?: number): number[][] {
  let count = classes ?? 0;
  if (classes === undefined) for (let i = 0; i < labels.length; i++) count = Math.max(count, labels[i] + 1);
  const groups = Array.from({ length: count }, () => [] as number[]);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < count)) throw new Error(`rowsByClass: label ${c} at row ${i} is not a class in [0, ${count})`);
    groups[c].push(i);
  }
  return groups;
}
