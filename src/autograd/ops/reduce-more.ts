/**
 * More reductions (PyTorch's prod, std, norm and cumsum). Like reduce.ts, each VJP broadcasts the
 * output gradient back over the reduced axes; prod's uses the products of the other entries, taken
 * from both sides by exclusive running products, so a zero needs no division.
 */
import { binaryRaw, expandRaw, permuteRaw, reduceRaw, reshapeRaw, scanRaw, sliceRaw, unaryRaw, whereRaw } from '../../tensor/compute.js';
import type { Rng } from '../../tensor/rng.js';
import { normAxes, reducedShape, sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defineOp } from '../engine.js';
import { randAxis, randShape, values } from '../probe.js';
import type { ReduceAttrs } from './reduce.js';

const scalar = (v: number) => new Tensor(new Float32Array([v]), []);

/** The output gradient (or output) reshaped to keepDims form and broadcast over x. */
function spread(g: Tensor, x: Tensor, axis: ReduceAttrs['axis'], op: string): Tensor {
  const axes = normAxes(op, axis, x.shape);
  return expandRaw(new Tensor(g.data, reducedShape(x.shape, axes, true)), x.shape);
}

/** x with the reduced axes moved last, as a matrix [kept, reduced], and the permutation used. */
function asRows(x: Tensor, axis: ReduceAttrs['axis'], op: string): { rows: Tensor; perm: number[]; n: number } {
  const axes = normAxes(op, axis, x.shape);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const n = sizeOf(axes.map((a) => x.shape[a]));
  const m = sizeOf(kept.map((a) => x.shape[a]));
  return { rows: reshapeRaw(permuteRaw(x, perm), [m, n]), perm, n };
}

export const prod = defineOp<ReduceAttrs>({
  name: 'prod',
  derivative: '∂Πᵢxᵢ/∂xⱼ = Πᵢ<ⱼxᵢ · Πᵢ>ⱼxᵢ (exclusive running products from both sides: exact at zeros, no division)',
  forward: ([x], { axis, keepDims }) => {
    const shape = reducedShape(x.shape, normAxes('prod', axis, x.shape), keepDims);
    const { rows, n } = asRows(x, axis, 'prod');
    if (n === 0) return new Tensor(new Float32Array(sizeOf(shape)).fill(1), shape);
    const running = scanRaw('prod', rows, 1, false, false, 'prod');
    return reshapeRaw(sliceRaw(running, [0, n - 1], [rows.shape[0], n]), shape);
  },
  vjp: (g, [x], _y, { axis }) => {
    const { rows, perm } = asRows(x, axis, 'prod');
    const left = scanRaw('prod', rows, 1, true, false, 'prod');
    const right = scanRaw('prod', rows, 1, true, true, 'prod');
    const others = binaryRaw('mul', left, right);
    const d = binaryRaw('mul', others, reshapeRaw(g, [rows.shape[0], 1]));
    const inverse = new Array<number>(perm.length);
    perm.forEach((a, i) => (inverse[a] = i));
    return [permuteRaw(reshapeRaw(d, perm.map((a) => x.shape[a])), inverse)];
  },
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1, maxDim: 4 });
    const x = values(rng, shape, { low: 0.8, high: 1.25 });
    // random signs, and now and then exact zeros (one or two per tensor): the VJP must not divide by them
    for (let i = 0; i < x.size; i++) if (rng.bernoulli(0.5)) x.data[i] = -x.data[i];
    if (rng.bernoulli(0.5)) for (let k = 0; k < 1 + rng.int(2); k++) x.data[rng.int(x.size)] = 0;
    return { inputs: [x], attrs: { axis: randAxis(rng, shape), keepDims: rng.bernoulli(0.5) } };
  },
});

export interface StdAttrs extends ReduceAttrs {
  /** The divisor is n − correction (PyTorch's correction; unbiased = 1). */
  correction: number;
}

/**
 * n − correction, the divisor of a variance over n values. PyTorch returns NaN (with a warning) when
 * it is not positive, e.g. the unbiased variance of one value; here that is an error at the call.
 */
export function varianceDivisor(op: string, n: number, correction: number): number {
  if (!Number.isFinite(correction)) throw new Error(`${op}: the correction must be a finite number, got ${correction}`);
  if (n > 0 && n - correction <= 0) throw new Error(`${op}: ${n} value${n === 1 ? '' : 's'} reduced with correction ${correction} leave${n === 1 ? 's' : ''} n − correction = ${n - correction} ≤ 0 degrees of freedom (PyTorch returns NaN here)`);
  return n - correction;
}

export const std = defineOp<StdAttrs>({
  name: 'std',
  derivative: '∂σ/∂xⱼ = (xⱼ − x̄) / ((n − c)·σ) with c the correction (0 where σ = 0)',
  forward: ([x], { axis, keepDims, correction }) => {
    const axes = normAxes('std', axis, x.shape);
    const n = sizeOf(axes.map((a) => x.shape[a]));
    const centred = binaryRaw('sub', x, binaryRaw('div', reduceRaw('sum', x, axes, true), scalar(n)));
    const v = binaryRaw('div', reduceRaw('sum', unaryRaw('square', centred), axes, keepDims, 'std'), scalar(varianceDivisor('std', n, correction)));
    return unaryRaw('sqrt', v);
  },
  vjp: (g, [x], y, { axis, correction }) => {
    const axes = normAxes('std', axis, x.shape);
    const n = sizeOf(axes.map((a) => x.shape[a]));
    const centred = binaryRaw('sub', x, binaryRaw('div', reduceRaw('sum', x, axes, true), scalar(n)));
    const sigma = spread(y, x, axis, 'std');
    const w = binaryRaw('div', centred, binaryRaw('mul', sigma, scalar(n - correction)));
    const safe = whereRaw(binaryRaw('eq', sigma, scalar(0)), scalar(0), w);
    return [binaryRaw('mul', spread(g, x, axis, 'std'), safe)];
  },
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const axis = randAxis(rng, shape);
    const n = sizeOf(normAxes('std', axis, shape).map((a) => shape[a]));
    return { inputs: [values(rng, shape)], attrs: { axis, keepDims: rng.bernoulli(0.5), correction: n > 1 && rng.bernoulli(0.5) ? 1 : 0 } };
  },
});

export interface NormAttrs extends ReduceAttrs {
  /** 1, 2 or Infinity. */
  p: number;
}

export function checkNormOrder(p: number): void {
  if (p !== 1 && p !== 2 && p !== Infinity) throw new Error(`norm: p = ${p} is not supported (p = 1, 2 or Infinity)`);
}

export const norm = defineOp<NormAttrs>({
  name: 'norm',
  derivative: '∂‖x‖₁/∂xⱼ = sign xⱼ, ∂‖x‖₂/∂xⱼ = xⱼ/‖x‖₂ (0 at ‖x‖ = 0), ∂‖x‖∞/∂xⱼ = sign xⱼ·[|xⱼ| = ‖x‖∞] / #ties',
  forward: ([x], { p, axis, keepDims }) => {
    checkNormOrder(p);
    if (p === 1) return reduceRaw('sum', unaryRaw('abs', x), axis, keepDims, 'norm');
    if (p === 2) return unaryRaw('sqrt', reduceRaw('sum', unaryRaw('square', x), axis, keepDims, 'norm'));
    return reduceRaw('max', unaryRaw('abs', x), axis, keepDims, 'norm');
  },
  vjp: (g, [x], y, { p, axis }) => {
    const gs = spread(g, x, axis, 'norm');
    if (p === 1) return [binaryRaw('mul', gs, unaryRaw('sign', x))];
    const ys = spread(y, x, axis, 'norm');
    if (p === 2) {
      const w = whereRaw(binaryRaw('eq', ys, scalar(0)), scalar(0), binaryRaw('div', x, ys));
      return [binaryRaw('mul', gs, w)];
    }
    const hit = binaryRaw('eq', unaryRaw('abs', x), ys);
    const ties = spread(reduceRaw('sum', hit, axis, true), x, axis, 'norm');
    return [binaryRaw('div', binaryRaw('mul', binaryRaw('mul', gs, unaryRaw('sign', x)), hit), ties)];
  },
  probe: (rng) => {
    const shape = randShape(rng, { minRank: 1 });
    const p = [1, 2, Infinity][rng.int(3)];
    // Magnitudes at least 0.25 apart and away from 0, with random signs: no kink, no tie for ∞.
    const n = sizeOf(shape);
    const order = rng.permutation(n);
    const data = Float32Array.from(order, (k) => (0.3 + 0.25 * k + rng.uniformIn(0, 0.05)) * (rng.bernoulli(0.5) ? -1 : 1));
    return { inputs: [new Tensor(data, shape)], attrs: { p, axis: randAxis(rng, shape), keepDims: rng.bernoulli(0.5) } };
  },
});

export const cumsum = defineOp<{ axis: number }>({
  name: 'cumsum',
  derivative: 'yᵢ = Σⱼ≤ᵢ xⱼ: vjp is the running sum of g from the end, Σᵢ≥ⱼ gᵢ',
  forward: ([x], { axis }) => scanRaw('sum', x, axis, false, false, 'cumsum'),
  vjp: (g, _x, _y, { axis }) => [scanRaw('sum', g, axis, false, true, 'cumsum')],
  probe: (rng: Rng) => {
    const shape = randShape(rng, { minRank: 1 });
    return { inputs: [values(rng, shape)], attrs: { axis: randAxis(rng, shape, false)! } };
  },
});
