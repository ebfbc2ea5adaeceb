// gradcheck must catch a wrong gradient: a checker that always passes would be worse than none.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, gradcheckParams, Rng, randn, Tensor, tensor } from '../../src/index.js';
import { apply, defineOp, registry, type OpDef } from '../../src/autograd/engine.js';
import { binaryRaw, unaryRaw } from '../../src/tensor/compute.js';

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

  it('points at the one element whose gradient is wrong', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 5 }), (seed, bad) => {
        // exp whose VJP is right everywhere except at flat index `bad`, where it is 20% too large
        const op: OpDef<undefined> = {
          ...plantedExp(1),
          vjp: (g, _x, y) => {
            const gx = g.mul(y);
            gx.data[bad] *= 1.2;
            return [gx];
          },
        };
        const r = gradcheck((t) => apply(op, [t], undefined), [randn([2, 3], new Rng(seed))], { seed });
        expect(r.ok).toBe(false);
        expect(r.worst).toMatchObject({ input: 0, index: bad });
      }),
      { numRuns: 20 },
    );
  });

  it('names the input whose gradient is wrong (a product rule with a planted swap)', () => {
    // ∂(ab)/∂b should be a; this VJP returns b for it, so only input 1 is wrong
    const swapped: OpDef<undefined> = {
      name: 'planted_mul',
      derivative: '∂(ab)/∂a = b, ∂(ab)/∂b = b (wrong on purpose)',
      forward: ([a, b]) => a.mul(b),
      vjp: (g, [, b]) => [g.mul(b), g.mul(b)],
      probe: (rng) => ({ inputs: [randn([3], rng), randn([3], rng)], attrs: undefined }),
    };
    const a = tensor([1, 2, 3]);
    const b = tensor([-2, 0.5, 4]);
    const r = gradcheck((x, y) => apply(swapped, [x, y], undefined), [a, b]);
    expect(r.ok).toBe(false);
    expect(r.worst!.input).toBe(1);
    expect(gradcheck((x, y) => apply(swapped, [x, y], undefined), [a, b], { wrt: [0] }).ok).toBe(true);
  });

  it('passes a correct op registered with defineOp, and the test leaves the registry as it found it', () => {
    // The registry drives the registry-wide gradcheck and the README's op table, so a test op
    // must not outlive this test (files may share one process with --no-isolate).
    const name = 'test_custom_cube';
    const def: OpDef<undefined> = {
      name,
      derivative: 'd x³/dx = 3x²',
      forward: ([x]) => binaryRaw('mul', binaryRaw('mul', x, x), x),
      vjp: (g, [x]) => [g.mul(x.square()).mul(3)],
      probe: (rng) => ({ inputs: [randn([2, 3], rng)], attrs: undefined }),
    };
    const sizeBefore = registry.size;
    try {
      const cube = defineOp(def);
      expect(registry.get(name)).toBe(def);
      expect(() => defineOp(def)).toThrow(/defineOp: op 'test_custom_cube' is already registered/);
      const { inputs } = def.probe(new Rng(3));
      expect(gradcheck((x) => cube([x], undefined), inputs).ok).toBe(true);
    } finally {
      registry.delete(name);
    }
    expect(registry.size).toBe(sizeBefore);
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
