/**
 * The engine's mutable state, in one object: which backend answers kernel calls, whether ops record
 * a graph, whether anomaly checks run. Everything that changes how a computation runs without being
 * one of its arguments lives here, so a reader finds it in one place and a test can see (and
 * restore) all of it. Change it through the scoped helpers: withBackend / setBackend
 * (src/tensor/kernels.ts), noGrad, withoutGradNorms and detectAnomaly / setAnomalyMode
 * (src/autograd/engine.ts).
 */
import type { Kernels } from './kernels.js';

export interface EngineContext {
  /** Name of the active backend (see src/backends.ts for the default). */
  backend: string;
  /** Its kernels, or null while no backend of that name is registered. */
  kernels: Kernels | null;
  /** Whether ops record the graph (false inside noGrad). */
  gradEnabled: boolean;
  /** Anomaly mode: every op checks its output and input gradients for NaN and ±∞. */
  anomaly: boolean;
  /** Set while backward() runs the VJPs (the anomaly check is then backward's). */
  inBackward: boolean;
  /** Whether backward() keeps each node's ‖∂L/∂out‖ for explain() (false inside the training loop). */
  gradNorms: boolean;
}

export const engine: EngineContext = { backend: 'reference', kernels: null, gradEnabled: true, anomaly: false, inBackward: false, gradNorms: true };

type Flag = 'gradEnabled' | 'anomaly' | 'inBackward' | 'gradNorms';

/** Runs `fn` with one of the engine's flags set to `value`, and restores it afterwards, even when `fn` throws. */
export function withFlag<T>(flag: Flag, value: boolean, fn: () => T): T {
  const prev = engine[flag];
  engine[flag] = value;
  try {
    return fn();
  } finally {
    engine[flag] = prev;
  }
}
