// Bad input fails at the call with a message that names the op and the shapes.
import { describe, expect, it } from 'vitest';
import { ones, tensor, Tensor, zeros } from '../../src/index.js';

describe('errors name the op and the shapes', () => {
  it.each([
    ['non-broadcastable shapes', () => ones([2, 3]).add(ones([4])), /add: shapes \[2, 3\] and \[4\] cannot be broadcast together/],
    ['matmul inner dimensions', () => ones([2, 3]).matmul(ones([4, 5])), /matmul: inner dimensions differ for \[2, 3\] and \[4, 5\]: 3 vs 4/],
    ['matmul batch dimensions', () => ones([2, 2, 3]).matmul(ones([3, 3, 1])), /matmul \(batch dimensions\): shapes \[2\] and \[3\]/],
    ['axis out of range', () => ones([2, 3]).sum(2), /sum: axis 2 is out of range for a tensor of shape \[2, 3\]/],
    ['softmax axis out of range', () => ones([2, 3]).softmax(-3), /softmax: axis -3 is out of range/],
    ['logSoftmax axis out of range', () => ones([2, 3]).logSoftmax(2), /logSoftmax: axis 2 is out of range/],
    ['data length vs shape', () => tensor(new Float32Array(5), { shape: [2, 3] }), /tensor: data has 5 elements but shape \[2, 3\] needs 6/],
    ['Tensor constructor', () => new Tensor(new Float32Array(3), [2, 2]), /Tensor: data has 3 elements but shape \[2, 2\] needs 4/],
    ['ragged nested array', () => tensor([[1, 2], [3]]), /tensor: ragged nested array: expected length 2 at depth 1, got length 1/],
    ['reshape size', () => ones([2, 3]).reshape([4, 2]), /reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\]/],
    ['permutation', () => ones([2, 3]).permute([0, 0]), /permute: \[0, 0\] is not a permutation of the axes of \[2, 3\]/],
    ['slice bounds', () => ones([2, 3]).slice([null, [1, 5]]), /slice: range \[1,5\] is out of bounds for axis 1 of shape \[2, 3\]/],
    ['conv2d channels', () => ones([1, 3, 5, 5]).conv2d(ones([2, 4, 3, 3])), /conv2d: input \[1, 3, 5, 5\] has 3 channels but weight \[2, 4, 3, 3\] expects 4/],
    ['conv2d kernel too large', () => ones([1, 1, 2, 2]).conv2d(ones([1, 1, 5, 5]), undefined, { padding: 1 }), /conv2d: kernel 5×5 is larger than the padded input 4×4/],
    ['maxPool2d rank', () => ones([3, 4]).maxPool2d({ kernelSize: 2 }), /maxPool2d: expected NCHW input of rank 4, got shape \[3, 4\]/],
    // @ts-expect-error a JavaScript caller's options without a kernel size
    ['maxPool2d without a kernel size', () => ones([1, 1, 4, 4]).maxPool2d({ stride: 2 }), /maxPool2d: expected a kernel size \(a number or \[kh, kw\]\) or options/],
    ['unbiased var of one value', () => tensor([3]).var(0, false, true), /var: 1 value reduced with correction 1 leaves n − correction = 0 ≤ 0 degrees of freedom/],
    ['std with a correction as large as n', () => ones([2, 3]).std(1, false, 3), /std: 3 values reduced with correction 3 leave n − correction = 0 ≤ 0 degrees of freedom/],
    ['gather index range', () => ones([2, 3]).gather(1, tensor([[0], [3]])), /gather: index value 3 is out of range \[0, 2\] for axis 1 of shape \[2, 3\]/],
    ['item of a vector', () => zeros([2]).item(), /item: tensor of shape \[2\] has 2 elements, expected 1/],
  ] as const)('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  it('maxPool2d takes a bare kernel size as PyTorch’s max_pool2d(x, 2) does', () => {
    const x = tensor([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);
    expect(x.maxPool2d(2).toArray()).toEqual([[[[6, 8], [14, 16]]]]);
    expect(x.maxPool2d([2, 1]).toArray()).toEqual(x.maxPool2d({ kernelSize: [2, 1] }).toArray());
  });

  it('concat shapes', async () => {
    const { concat } = await import('../../src/index.js');
    expect(() => concat([ones([2, 3]), ones([2, 4])], 0)).toThrow(/concat: shapes \[2, 3\], \[2, 4\] differ outside axis 0/);
  });
});
