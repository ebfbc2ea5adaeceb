/** The binary units of a DCIM under its two codings (DCIM Example 1, eq 7–9). */
import type { Rng } from '../../tensor/rng.js';
import { Tensor } from '../../tensor/tensor.js';

export type Coding = '01' | 'pm1';

/** log Z(a) per unit: softplus(a) for {0,1}, log 2cosh(a) = |a| + softplus(−2|a|) for ±1. */
export function binaryLogPartition(a: Tensor, coding: Coding): Tensor {
  return coding === '01' ? a.softplus() : a.abs().add(a.abs().mul(-2).softplus());
}

/** E[x] under exp(x·a)/Z(a): σ(a) for {0,1}, tanh(a) for ±1 (DCIM eq 7, 9). */
export function binaryMean(a: Tensor, coding: Coding): Tensor {
  return coding === '01' ? a.sigmoid() : a.tanh();
}

/** Independent binary units with the given means (P(x = 1) = m, or (1 + m)/2 for ±1). */
export function drawBinary(mean: Tensor, coding: Coding, rng: Rng): Tensor {
  const out = new Float32Array(mean.size);
  for (let i = 0; i < out.length; i++) {
    const p1 = coding === '01' ? mean.data[i] : (1 + mean.data[i]) / 2;
    out[i] = rng.uniform() < p1 ? 1 : coding === '01' ? 0 : -1;
  }
  return new Tensor(out, mean.shape);
}
