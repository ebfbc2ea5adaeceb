/**
 * The losses' arguments are checked as PyTorch checks them: an unknown reduction is a TypeError
 * (not silently the mean), probabilities outside [0, 1] and class indices that are not integers
 * in [0, C) are RangeErrors naming the loss, the value and where it is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, Rng, randn, rand, tensor, type Tensor } from '../../src/index.js';

const rng = new Rng(7);
const scores = randn([2, 3], rng);
const probs = tensor([[0.2, 0.9, 0.5], [0.1, 0.7, 1]]);
const target = tensor([[0, 1, 1], [0, 1, 1]]);

type Loss = (reduction: unknown) => Tensor;
const losses: [string, Loss][] = [
  ['crossEntropy', (reduction) => F.crossEntropy(scores, tensor([0, 2]), { reduction } as never)],
  ['nll', (reduction) => F.nll(scores.logSoftmax(1), tensor([0, 2]), { reduction } as never)],
  ['mse', (reduction) => F.mse(scores, target, { reduction } as never)],
  ['binaryCrossEntropy', (reduction) => F.binaryCrossEntropy(probs, target, { reduction } as never)],
  ['binaryCrossEntropyWithLogits', (reduction) => F.binaryCrossEntropyWithLogits(scores, target, { reduction } as never)],
];

describe('reduction', () => {
  it.each(losses)('%s throws a TypeError naming the argument and the allowed values for an unknown reduction', (name, loss) => {
    for (const bad of ['avg', 'Mean', '', null, 1]) {
      expect(() => loss(bad)).toThrow(TypeError);
      const got = bad === null ? 'null' : bad === 1 ? 'the number 1' : `the string "${bad}"`;
      expect(() => loss(bad)).toThrow(new RegExp(`^${name}: reduction must be 'mean', 'sum' or 'none', got ${got}$`));
    }
  });

  it.each(losses)('%s still accepts mean, sum, none and the default', (_name, loss) => {
    const none = loss('none');
    expect(loss('sum').item()).toBeCloseTo(none.sum().item(), 5);
    expect(loss('mean').item()).toBeCloseTo(none.mean().item(), 5);
    expect(loss(undefined).item()).toBe(loss('mean').item());
  });
});

describe('binaryCrossEntropy probabilities', () => {
  it('rejects a probability of 2.0 with a RangeError naming the value and its index', () => {
    const p = tensor([[0.5, 0.5], [2, 0.5]]);
    expect(() => F.binaryCrossEntropy(p, tensor([[0, 1], [1, 0]]))).toThrow(RangeError);
    expect(() => F.binaryCrossEntropy(p, tensor([[0, 1], [1, 0]]))).toThrow(
      /^binaryCrossEntropy: probability 2 at index \[1, 0\] is outside \[0, 1\]/,
    );
  });

  it('rejects any value outside [0, 1] (and NaN), accepts 0, 1 and everything between', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 1, max: 1e6, minExcluded: true, noNaN: true }),
          fc.double({ min: -1e6, max: 0, maxExcluded: true, noNaN: true }),
          fc.constant(NaN),
          fc.constant(Infinity),
        ),
        fc.nat({ max: 5 }),
        (bad, at) => {
          const data = rand([6], new Rng(at)).data;
          data[at] = bad;
          if (data[at] >= 0 && data[at] <= 1) return; // float32 rounded it into range (e.g. 1 + 1e-12)
          expect(() => F.binaryCrossEntropy(tensor(data), tensor(new Float32Array(6)))).toThrow(
            new RegExp(`^binaryCrossEntropy: probability ${String(data[at]).replace('.', '\\.')} at index \\[${at}\\] is outside \\[0, 1\\]`),
          );
        },
      ),
    );
    expect(Number.isFinite(F.binaryCrossEntropy(tensor([0, 1, 0.25]), tensor([1, 0, 1])).item())).toBe(true);
  });
});

describe('class-index targets', () => {
  it.each([
    ['3 for C = 3', [0, 3], 3, 1],
    ['−1', [-1, 0], -1, 0],
    ['0.5', [0.5, 1], 0.5, 0],
    ['NaN', [0, NaN], NaN, 1],
  ] as const)('a label of %s is a RangeError naming the loss, the value and its position', (_what, labels, value, at) => {
    for (const [name, loss] of [['crossEntropy', F.crossEntropy], ['nll', F.nll]] as const) {
      const call = () => loss(scores, tensor([...labels]));
      expect(call).toThrow(RangeError);
      expect(call).toThrow(new RegExp(`^${name}: label ${String(value).replace('.', '\\.')} at position ${at} is out of range \\[0, 2\\] for scores \\[2, 3\\]`));
    }
  });
});
