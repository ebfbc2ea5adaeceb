// gradcheck must catch a wrong gradient: a checker that always passes would be worse than none.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, gradcheckParams, Rng, randn, Tensor } from '../../src/index.js';
import { apply, type OpDef } from '../../src/autograd/engine.js';
import { unaryRaw } from '../../src/tensor/compute.js';

/** exp with a planted bug in its VJP (scaled by `factor`); not registered, so the registry stays clean. */
function plantedExp(factor: number): OpDef<undefined> {
  return {
    name: 'planted_exp',
    derivative: 'd eˣ/dx = eˣ (times a planted factor)',
    forward: ([x]) => unaryRaw('exp', x),
    vjp: (g, _x, y) => [g.mul(y).mul(factor)],
    probe: (rng) => ({ inputs: [randn([3], rng)], attrs: undefined }),
  };
}

describe('gradcheck', () => {
  it('passes a correct VJP', () => {
    const r = gradcheck((x) => apply(plantedExp(1), [x], undefined), [randn([2, 3], new Rng(0))]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(6);
  });

  it('fails a VJP that is wrong by 5%, and names the offending element', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const x = randn([2, 3], new Rng(seed));
        const r = gradcheck((t) => apply(plantedExp(1.05), [t], undefined), [x], { seed });
        expect(r.ok).toBe(false);
        expect(r.worst).not.toBeNull();
        expect(r.worst!.input).toBe(0);
        expect(r.worst!.analytic / r.worst!.numeric).toBeCloseTo(1.05, 2);
      }),
      { numRuns: 20 },
    );
  });

  it('fails a VJP that forgets a term (g instead of g·eˣ)', () => {
    const wrong: OpDef<undefined> = { ...plantedExp(1), vjp: (g) => [g] };
    expect(gradcheck((x) => apply(wrong, [x], undefined), [new Tensor(new Float32Array([1, 2]), [2])]).ok).toBe(false);
  });

  it('checks only the requested inputs', () => {
    const a = randn([3], new Rng(1));
    const b = randn([3], new Rng(2));
    const r = gradcheck((x, y) => x.mul(y).sum(), [a, b], { wrt: [1] });
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(3);
  });

  it('gradcheckParams checks tensors a computation closes over, and restores their gradients', () => {
    const w = randn([2, 3], new Rng(4));
    w.requiresGrad = true;
    const before = new Tensor(new Float32Array(6).fill(7), [2, 3]);
    w.grad = before;
    expect(gradcheckParams([w], () => apply(plantedExp(1), [w], undefined)).ok).toBe(true);
    expect(gradcheckParams([w], () => apply(plantedExp(1.05), [w], undefined)).ok).toBe(false);
    expect(w.grad).toBe(before);
  });
});
