// Arguments of the wrong type or range are named errors, never NaN or a silent default
// (reliability issue item 7, the tensor part; the losses' arguments are tested beside the losses).
import { describe, expect, it } from 'vitest';
import { arange, full, ones, rand, randn, Rng, tensor, zeros } from '../../src/index.js';

describe('wrong argument types', () => {
  const t = tensor([1, 2, 3]);
  it.each([
    ['a string', () => t.add('x' as never), /add: .*Tensor or a number.*string/],
    ['a plain array', () => t.add([1, 2, 3] as never), /add: .*Tensor or a number.*array.*tensor\(\[/],
    ['null', () => t.mul(null as never), /mul: .*Tensor or a number.*null/],
    ['undefined', () => t.pow(undefined as never), /pow: .*Tensor or a number.*undefined/],
    ['a string fill value', () => full([2], 'x' as never), /full: value must be a number.*string/],
    ['strings in nested arrays', () => tensor(['a', 'b'] as never), /tensor: .*number at \[0\].*string/],
    ['null as values', () => tensor(null as never), /tensor: .*nested arrays of numbers.*null/],
    ['a number as a shape', () => zeros(3 as never), /zeros: shape must be an array.*number 3.*\[3\]/],
    ['a string as a shape', () => ones('3' as never), /ones: shape must be an array/],
  ])('%s is a TypeError that names the function and the argument', (_what, call, message) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
  });

  it('comparisons take the same operands', () => {
    expect(() => t.lt('1' as never)).toThrow(/lt: .*Tensor or a number/);
  });
});

describe('arguments out of range', () => {
  const rng = new Rng(0);
  it.each([
    ['a negative std', () => randn([2], rng, { std: -1 }), /randn: std must be a finite number ≥ 0, got -1/],
    ['a non-finite mean', () => randn([2], rng, { mean: NaN }), /randn: mean must be a finite number/],
    ['an infinite arange', () => arange(0, Infinity), /arange: .*finite.*Infinity/],
    ['a huge shape', () => zeros([1e6, 1e6]), /zeros: shape \[1000000, 1000000\] has 1e\+12 elements, which needs 4 TB/],
    ['a huge arange', () => arange(0, 1e13), /arange: .*1e\+13 elements, which needs 40 TB/],
    ['a huge rand', () => rand([1e5, 1e5, 10], rng), /rand: .*needs 400 GB/],
  ])('%s is a RangeError that says what was expected', (_what, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});
