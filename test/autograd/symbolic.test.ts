// Teaching example: reverse-mode derivatives of scalar expressions agree with the symbolic
// derivative computed by mathjs (`derivative`), evaluated at random points.
import fc from 'fast-check';
import { derivative, parse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';

const cases: { expr: string; f: (x: Tensor) => Tensor; domain: [number, number] }[] = [
  { expr: 'tanh(x^2) * exp(-x)', f: (x) => x.square().tanh().mul(x.neg().exp()), domain: [-3, 3] },
  { expr: 'log(1 + exp(x))', f: (x) => x.softplus(), domain: [-5, 5] },
  { expr: 'x / (1 + abs(x))', f: (x) => x.div(x.abs().add(1)), domain: [0.1, 4] },
  { expr: '1 / (1 + exp(-x))', f: (x) => x.sigmoid(), domain: [-6, 6] },
  { expr: 'x^3 - 2 * x', f: (x) => x.pow(3).sub(x.mul(2)), domain: [0.1, 3] },
  { expr: 'sqrt(1 + x^2)', f: (x) => x.square().add(1).sqrt(), domain: [-3, 3] },
  { expr: 'exp(sin(0) + x) * log(x)', f: (x) => x.exp().mul(x.log()), domain: [0.2, 3] },
];

describe('autograd agrees with mathjs symbolic derivatives', () => {
  it.each(cases)('d/dx $expr', ({ expr, f, domain }) => {
    const symbolic = derivative(parse(expr), 'x').compile();
    fc.assert(
      fc.property(fc.double({ min: domain[0], max: domain[1], noNaN: true }), (x0) => {
        const x = tensor([x0], { requiresGrad: true });
        f(x).sum().backward();
        const expected = symbolic.evaluate({ x: Math.fround(x0) }) as number;
        expect(Math.abs(x.grad!.item() - expected)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(expected)));
      }),
      { numRuns: 50 },
    );
  });
});
