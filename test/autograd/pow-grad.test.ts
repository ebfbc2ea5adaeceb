/**
 * pow's gradients where the formulas meet 0·∞: ∂aᵇ/∂b = aᵇ·ln a is 0·(−∞) at a = 0, and
 * ∂aᵇ/∂a = b·aᵇ⁻¹ is 0·∞ at a = 0, b = 0. PyTorch (pow_backward_exponent, pow_backward_self)
 * takes both limits as 0; so does gibbsgrad.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/index.js';

describe('pow gradients at a zero base', () => {
  it('x = [0, 2, 3], p = 2: ∂Σ relu(x)ᵖ/∂p = 4 ln 2 + 9 ln 3 (the zero base adds 0, not NaN)', () => {
    const p = tensor(2, { requiresGrad: true });
    tensor([0, 2, 3]).relu().pow(p).sum().backward();
    expect(p.grad!.item()).toBeCloseTo(4 * Math.log(2) + 9 * Math.log(3), 5); // 12.660
  });

  it('for any exponent b ≥ 0, a zero base contributes 0 to ∂/∂b and the others aᵇ·ln a', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 4, noNaN: true })), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (bases, exponent) => {
          const p = tensor(exponent, { requiresGrad: true });
          const a = tensor(bases);
          a.pow(p).sum().backward();
          const expected = [...a.data].reduce((s, v) => s + (v === 0 ? 0 : Math.pow(v, Math.fround(exponent)) * Math.log(v)), 0);
          const got = p.grad!.item();
          expect(Number.isFinite(got), `∂/∂b for bases ${bases}, b = ${exponent}: ${got}`).toBe(true);
          expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected)));
        },
      ),
    );
  });

  it('0⁰ = 1 has base gradient 0 (b·aᵇ⁻¹ = 0·∞ otherwise)', () => {
    const a = tensor([0, 0, 2], { requiresGrad: true });
    a.pow(tensor([0, 2, 0])).sum().backward();
    expect([...a.grad!.data]).toEqual([0, 0, 0]);
  });

  it('a base of 0 with a negative exponent keeps PyTorch\'s −∞ (the loss itself is ∞ there)', () => {
    const p = tensor(-1, { requiresGrad: true });
    tensor([0]).pow(p).sum().backward();
    expect(p.grad!.item()).toBe(-Infinity);
  });
});
