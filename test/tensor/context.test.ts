// The engine's flags (active backend, grad mode, anomaly mode) live in one context object, and the
// scoped helpers restore it whatever their function does.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKEND, detectAnomaly, getBackend, listBackends, noGrad, tensor, withBackend } from '../../src/index.js';
import { engine } from '../../src/tensor/context.js';
import { withoutGradNorms } from '../../src/autograd/engine.js';

describe('the engine context', () => {
  it('holds the active backend, grad mode and anomaly mode, which the scoped helpers set and restore', () => {
    const before = { ...engine };
    expect(engine.backend).toBe(getBackend());
    withBackend('reference', () => {
      expect(engine.backend).toBe('reference');
      noGrad(() => {
        expect(engine.gradEnabled).toBe(false);
        detectAnomaly(() => expect(engine.anomaly).toBe(true));
      });
    });
    expect({ ...engine }).toEqual(before);
  });

  it('withoutGradNorms turns the gradient norms off for its function only, even when it throws', () => {
    expect(engine.gradNorms).toBe(true);
    withoutGradNorms(() => expect(engine.gradNorms).toBe(false));
    expect(() => withoutGradNorms(() => { throw new Error('inside'); })).toThrow('inside');
    expect(engine.gradNorms).toBe(true);
  });

  it('withBackend restores the previous backend when its function throws', () => {
    const before = getBackend();
    expect(() => withBackend('reference', () => { throw new Error('inside'); })).toThrow('inside');
    expect(getBackend()).toBe(before);
    expect(withBackend('reference', () => tensor([1, 2]).add(1).data)).toEqual(Float32Array.from([2, 3]));
  });

  it('the default backend is chosen in one place: wasm where it is registered, otherwise reference', () => {
    expect(DEFAULT_BACKEND).toBe(listBackends().includes('wasm') ? 'wasm' : 'reference');
  });
});
