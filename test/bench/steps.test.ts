// The steps suite (bench/steps.ts) times what the full runs train: each case must be a working
// training step of its experiment's model, not just a call that returns.
import { describe, expect, it } from 'vitest';
import { getBackend, listBackends, setBackend } from '../../src/index.js';
import { withoutGradNorms } from '../../src/autograd/engine.js';
import { stepCalls, stepCases } from '../../bench/steps.js';

describe('bench: the full runs’ training steps', () => {
  it('one case per step and backend', () => {
    expect(stepCases().map((c) => c.impl)).toEqual(Array.from({ length: 4 }, () => listBackends().map((b) => `gibbsgrad/${b}`)).flat());
  });

  it("each step trains: on its fixed batch the loss is lower after ten steps (the DRMM's rises first)", () => {
    const before = getBackend();
    try {
      for (const { name, step } of stepCalls(listBackends().includes('wasm') ? 'wasm' : 'reference')) {
        const losses = Array.from({ length: 10 }, () => withoutGradNorms(step));
        expect(losses.every(Number.isFinite), name).toBe(true);
        expect(losses[9], `${name}: ${losses.map((l) => l.toFixed(4)).join(' → ')}`).toBeLessThan(losses[0]);
      }
    } finally {
      setBackend(before);
    }
  });
});
