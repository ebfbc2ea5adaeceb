// Teaching example: reverse-mode autodiff agrees with symbolic differentiation.
//
// For each expression we build the same function twice: once as a string that mathjs parses and
// differentiates symbolically (`derivative`), once with tensor ops. Calling backward() on the
// tensor version runs the chain rule through the recorded ops, one VJP per op; mathjs applies
// the chain rule to the expression tree. At random points (fast-check) the two must agree.
import fc from 'fast-check';
import { derivative, parse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../src/index.js';

interface Case {
  expr: string;
  f: (x: Tensor) => Tensor;
  /** Where the points are drawn: inside the function's domain. */
  domain: [number, number];
  /** A kink to stay away from (|x| at 0), where neither derivative is defined. */
  kink?: number;
}

const cases: Case[] = [
  { expr: 'tanh(x^2) * exp(-x)', f: (x) => x.square().tanh().mul(x.neg().exp()), domain: [-3, 3] },
  { expr: 'log(1 + exp(x))', f: (x) => x.exp().add(1).log(), domain: [-5, 5] },
  { expr: 'log(1 + exp(x))', f: (x) => x.softplus(), domain: [-5, 5] }, // the fused, stable op
  { expr: 'x / (1 + abs(x))', f: (x) => x.div(x.abs().add(1)), domain: [-4, 4], kink: 0 },
  { expr: '1 / (1 + exp(-x))', f: (x) => tensor(1).div(x.neg().exp().add(1)), domain: [-6, 6] },
  { expr: '1 / (1 + exp(-x))', f: (x) => x.sigmoid(), domain: [-6, 6] }, // the fused, stable op
  { expr: 'x^3 - 2 * x', f: (x) => x.pow(3).sub(x.mul(2)), domain: [-3, 3] },
  { expr: 'sqrt(1 + x^2)', f: (x) => x.square().add(1).sqrt(), domain: [-3, 3] },
  { expr: 'exp(x) * log(x)', f: (x) => x.exp().mul(x.log()), domain: [0.2, 3] },
  { expr: 'x^x', f: (x) => x.pow(x), domain: [0.2, 2] }, // both sides of pow's VJP at once
];

describe('autograd agrees with mathjs symbolic derivatives', () => {
  it.each(cases)('d/dx $expr', ({ expr, f, domain, kink }) => {
    const symbolic = derivative(parse(expr), 'x').compile();
    fc.assert(
      fc.property(fc.double({ min: domain[0], max: domain[1], noNaN: true }), (x0) => {
        fc.pre(kink === undefined || Math.abs(x0 - kink) > 1e-3);
        const x = tensor([x0], { requiresGrad: true });
        f(x).sum().backward();
        // x holds x0 rounded to float32; evaluate the symbolic derivative at that same point
        const expected = symbolic.evaluate({ x: x.data[0] }) as number;
        expect(Math.abs(x.grad!.item() - expected)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(expected)));
      }),
      { numRuns: 50 },
    );
  });

  it('the symbolic side is what a student would write by hand', () => {
    // d/dx (x³ − 2x) = 3x² − 2: mathjs gives the same expression
    expect(derivative('x^3 - 2 * x', 'x').toString()).toBe('3 * x ^ 2 - 2');
  });
});
