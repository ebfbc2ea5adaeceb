// Weight decay pulls the weights of units without gradient through the float32 subnormal range,
// where x86 multiplies in microcode (a GEMM reading them ran ≈ 50× slower); the optimisers'
// flushSubnormals option sets such weights to zero after each update.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { optim, Tensor, tensor } from '../../src/index.js';

const MIN_NORMAL = 2 ** -126;
const isSubnormal = (v: number) => v !== 0 && Math.abs(v) < MIN_NORMAL;

describe('optim.flushSubnormals', () => {
  it('sets every subnormal float to the zero of its sign and leaves every other bit pattern alone', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.integer({ min: 0, max: 0x007fffff }), fc.integer({ min: -0x80000000, max: -0x7f800001 })), { minLength: 1, maxLength: 100 }), (patterns) => {
        const before = Int32Array.from(patterns);
        const after = before.slice();
        optim.flushSubnormals(new Float32Array(after.buffer));
        before.forEach((b, i) => {
          const subnormal = (b & 0x7f800000) === 0 && (b & 0x007fffff) !== 0;
          expect(after[i]).toBe(subnormal ? b & 0x80000000 : b);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('optimisers with flushSubnormals', () => {
  /** Steps of an optimiser on weights that get no gradient; returns how many steps left a subnormal weight. */
  function decayWithoutGradient(make: (p: Tensor[]) => optim.Optimizer, steps: number): { subnormalSteps: number; last: Float32Array } {
    const w = tensor([1e-3, -2e-3, 0.5, -0.25], { requiresGrad: true });
    const opt = make([w]);
    let subnormalSteps = 0;
    for (let t = 0; t < steps; t++) {
      w.grad = tensor([0, 0, 0, 0]);
      opt.step();
      if ([...w.data].some(isSubnormal)) subnormalSteps++;
    }
    return { subnormalSteps, last: w.data };
  }

  it.each([
    ['Adam', (flushSubnormals: boolean) => (p: Tensor[]) => new optim.Adam(p, { lr: 2e-3, weightDecay: 5e-4, flushSubnormals })],
    ['SGD', (flushSubnormals: boolean) => (p: Tensor[]) => new optim.SGD(p, { lr: 0.5, weightDecay: 1, flushSubnormals })],
  ] as const)('%s with weight decay leaves subnormal weights by default (IEEE) and none with the option', (_name, make) => {
    const ieee = decayWithoutGradient(make(false), 3000);
    expect(ieee.subnormalSteps).toBeGreaterThan(0);
    const flushed = decayWithoutGradient(make(true), 3000);
    expect(flushed.subnormalSteps).toBe(0);
  });

  it('changes nothing while no weight is subnormal', () => {
    const run = (flushSubnormals: boolean) => {
      const w = tensor([0.3, -0.7, 1.5], { requiresGrad: true });
      const opt = new optim.Adam([w], { lr: 1e-2, weightDecay: 1e-2, flushSubnormals });
      for (let t = 0; t < 50; t++) {
        w.grad = tensor([0.1 * Math.sin(t), -0.2, 0.05 * t]);
        opt.step();
      }
      return [...w.data];
    };
    expect(run(true)).toEqual(run(false));
  });
});
