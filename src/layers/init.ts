/**
 * Parameter initialisers. Each fills a tensor in place from an explicit Rng. Fan-in and fan-out
 * follow PyTorch: for a weight [out, in, ...kernel], fanIn = in·k and fanOut = out·k.
 */
import type { Rng } from '../tensor/rng.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`init: fan-in/fan-out need a weight of rank ≥ 2, got ${fmt(shape)}`);
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export function uniform(t: Tensor, rng: Rng, low = -1, high = 1): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformIn(low, high);
  return t;
}

export function normal(t: Tensor, rng: Rng, mean = 0, std = 1): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal(mean, std);
  return t;
}

export function constant(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

/** Glorot/Xavier: Var = 2/(fanIn + fanOut), keeping activations' variance across tanh/sigmoid layers. */
export function glorotUniform(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, rng, -a, a);
}

export function glorotNormal(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return normal(t, rng, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** He/Kaiming: Var = 2/fanIn, for ReLU layers. */
export function heNormal(t: Tensor, rng: Rng): Tensor {
  return normal(t, rng, 0, Math.sqrt(2 / fans(t.shape).fanIn));
}

export function heUniform(t: Tensor, rng: Rng): Tensor {
  const a = Math.sqrt(6 / fans(t.shape).fanIn);
  return uniform(t, rng, -a, a);
}

/** PyTorch's default for Linear and Conv2d: U(−1/√fanIn, 1/√fanIn) for weights and biases. */
export function defaultUniform(t: Tensor, rng: Rng, fanIn: number): Tensor {
  const a = 1 / Math.sqrt(fanIn);
  return uniform(t, rng, -a, a);
}
