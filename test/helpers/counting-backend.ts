// A backend for tests that counts every kernel call by name and answers it with the reference
// kernels, so a computation run on it gives the reference's bits and a record of which kernels
// did the work.
import { registerBackend, type Kernels } from '../../src/tensor/kernels.js';
import { referenceKernels } from '../../src/backends/reference/index.js';

export const COUNTING = 'counting (reference)';

/** Calls per kernel since the last reset. */
export const kernelCalls = new Map<keyof Kernels, number>();

const counting = Object.fromEntries(
  (Object.keys(referenceKernels) as (keyof Kernels)[]).map((name) => [
    name,
    (...args: unknown[]) => {
      kernelCalls.set(name, (kernelCalls.get(name) ?? 0) + 1);
      return (referenceKernels[name] as (...a: unknown[]) => unknown)(...args);
    },
  ]),
) as unknown as Kernels;

registerBackend(COUNTING, counting);

/** Counts of the kernel calls that `fn` makes (on whatever backend is active: run it on COUNTING). */
export function countCalls<T>(fn: () => T): { result: T; calls: Map<keyof Kernels, number> } {
  kernelCalls.clear();
  const result = fn();
  return { result, calls: new Map(kernelCalls) };
}
