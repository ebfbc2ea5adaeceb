// Every registered op is gradchecked on random shapes drawn by its own probe (broadcasting,
// size-1 and odd dimensions). Registering an op adds it here: the list comes from the registry.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, gradcheck, registry, Rng } from '../../src/index.js';

const names = [...registry.keys()];

describe('gradcheck of every registered op', () => {
  it('covers the whole registry', () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
  });

  it.each(names)('%s: VJP matches central finite differences', (name) => {
    const op = registry.get(name)!;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (seed) => {
        const { inputs, attrs } = op.probe(new Rng(seed));
        const wrt = inputs.map((_, i) => i).filter((i) => !op.nondiff?.includes(i));
        const r = gradcheck((...xs) => apply(op, xs, attrs), inputs, { wrt, seed });
        if (!r.ok) throw new Error(`${name}: worst ratio ${r.worstRatio} at ${JSON.stringify(r.worst)} for shapes ${inputs.map((x) => JSON.stringify(x.shape)).join(' ')}`);
      }),
      { numRuns: 100 },
    );
  });
});
