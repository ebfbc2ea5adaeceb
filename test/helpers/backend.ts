// Scoped backend choice for a describe block: the backend is set before each test and the previous
// one restored after it, so no test leaves the process on another backend.
import { afterEach, beforeEach } from 'vitest';
import { getBackend, setBackend } from '../../src/tensor/kernels.js';

export function useBackend(name: string): void {
  let previous: string;
  beforeEach(() => {
    previous = getBackend();
    setBackend(name);
  });
  afterEach(() => setBackend(previous));
}
