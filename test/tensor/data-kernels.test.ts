// Properties of the data-movement, bias and unpooling kernels of the reference backend (which a new
// backend can be run against): each scatter is the adjoint of its gather, ⟨gather(x), g⟩ = ⟨x, scatter(g)⟩,
// and a strided write undoes the strided read it mirrors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceKernels as K } from '../../src/backends/reference/index.js';
import { randShape } from '../../src/autograd/probe.js';
import { Rng } from '../../src/tensor/rng.js';
import { sizeOf, stridesOf } from '../../src/tensor/shape.js';

const seed = fc.integer({ min: 0, max: 2 ** 30 });
const normals = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
/** |⟨a, b⟩ − ⟨c, d⟩| within float32 rounding of the terms. */
const adjoint = (lhs: number, rhs: number, scale: number) => Math.abs(lhs - rhs) <= 1e-5 * (1 + scale);

describe('data-movement kernels (reference)', () => {
  it('scatterAdd is the adjoint of gather along any axis, repeated indices included', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const shape = randShape(rng, { minRank: 1 });
      const axis = rng.int(shape.length);
      const ishape = [...shape];
      ishape[axis] = 1 + rng.int(4);
      const index = Float32Array.from({ length: sizeOf(ishape) }, () => rng.int(shape[axis]));
      const x = normals(rng, sizeOf(shape));
      const g = normals(rng, index.length);
      const gathered = new Float32Array(index.length);
      K.gather(x, shape, axis, index, ishape, gathered);
      const scattered = new Float32Array(x.length);
      K.scatterAdd(g, index, ishape, axis, shape, scattered);
      return adjoint(dot(gathered, g), dot(x, scattered), index.length);
    }), { numRuns: 200 });
  });

  it('indexSelect copies x[o, index[j], :] and indexAdd is its adjoint, repeated positions included', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const [outer, len, inner] = [1 + rng.int(3), 1 + rng.int(5), 1 + rng.int(4)];
      const index = Float32Array.from({ length: 1 + rng.int(6) }, () => rng.int(len));
      const x = normals(rng, outer * len * inner);
      const selected = new Float32Array(outer * index.length * inner);
      K.indexSelect(x, outer, len, inner, index, selected);
      const direct = selected.every((v, i) => {
        const o = Math.floor(i / (index.length * inner));
        const j = Math.floor(i / inner) % index.length;
        return v === x[(o * len + index[j]) * inner + (i % inner)];
      });
      const g = normals(rng, selected.length);
      const added = new Float32Array(x.length);
      K.indexAdd(g, outer, len, inner, index, added);
      return direct && adjoint(dot(selected, g), dot(x, added), selected.length);
    }), { numRuns: 200 });
  });

  it('stridedWrite puts back what stridedRead took from a sub-block, and nothing else', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const shape = randShape(rng, { minRank: 1 });
      const starts = shape.map((d) => rng.int(d));
      const block = shape.map((d, i) => 1 + rng.int(d - starts[i]));
      const strides = stridesOf(shape);
      const offset = starts.reduce((o, v, i) => o + v * strides[i], 0);
      const x = normals(rng, sizeOf(shape));
      const part = new Float32Array(sizeOf(block));
      K.stridedRead(x, strides, block, offset, part);
      const back = new Float32Array(x.length).fill(NaN);
      K.stridedWrite(part, strides, block, offset, back);
      const inside = back.filter((v) => !Number.isNaN(v)).length === part.length;
      return inside && back.every((v, i) => Number.isNaN(v) || v === x[i]);
    }), { numRuns: 200 });
  });

  it('concat lays the parts side by side: each part is read back by a strided read', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const outer = 1 + rng.int(4);
      const chunks = Array.from({ length: 1 + rng.int(3) }, () => 1 + rng.int(5));
      const parts = chunks.map((c) => normals(rng, outer * c));
      const row = chunks.reduce((a, c) => a + c, 0);
      const out = new Float32Array(outer * row);
      K.concat(parts, chunks, outer, out);
      let col = 0;
      return parts.every((p, j) => {
        const back = new Float32Array(p.length);
        K.stridedRead(out, [row, 1], [outer, chunks[j]], col, back);
        col += chunks[j];
        return back.every((v, i) => v === p[i]);
      });
    }), { numRuns: 100 });
  });

  it('where picks a where the condition is non-zero, b elsewhere', () => {
    const cond = Float32Array.from([1, 0, -2, NaN, 0]);
    const out = new Float32Array(5);
    K.where(cond, Float32Array.from([1, 2, 3, 4, 5]), Float32Array.from([-1, -2, -3, -4, -5]), out);
    expect([...out]).toEqual([1, -2, 3, 4, -5]);
  });
});

describe('bias and unpooling kernels (reference)', () => {
  it('channelSums is the adjoint of addChannelBias', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const [n, k, P] = [1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(6)];
      const bias = normals(rng, k);
      const G = normals(rng, n * k * P);
      const y = new Float32Array(n * k * P);
      K.addChannelBias(y, bias, n, P);
      const sums = new Float32Array(k);
      K.channelSums(G, n, P, sums);
      return adjoint(dot(y, G), dot(bias, sums), n * k * P);
    }), { numRuns: 100 });
  });

  it('channelSums and sumOfSquares equal plain float64 sums (odd lengths: the tails of their unrolled loops)', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const [n, k, P] = [1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(9)];
      const G = normals(rng, n * k * P);
      const sums = new Float32Array(k);
      K.channelSums(G, n, P, sums);
      for (let c = 0; c < k; c++) {
        let plain = 0;
        for (let b = 0; b < n; b++) for (let p = 0; p < P; p++) plain += G[(b * k + c) * P + p];
        expect(Math.abs(sums[c] - plain)).toBeLessThanOrEqual(2 ** -23 * Math.abs(plain) + 1e-30);
      }
      const x = G.subarray(0, 1 + rng.int(G.length));
      let squares = 0;
      for (const v of x) squares += v * v;
      expect(Math.abs(K.sumOfSquares(x) - squares)).toBeLessThanOrEqual(1e-12 * squares);
    }), { numRuns: 100 });
  });

  it('unpoolBackward is the adjoint of unpool in z, and unpool is 0 wherever the mask is (even for an infinite z)', () => {
    fc.assert(fc.property(seed, (s) => {
      const rng = new Rng(s);
      const [planes, h, w, p] = [1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3)];
      const z = normals(rng, planes * h * w);
      const size = planes * h * p * w * p;
      const mask = Float32Array.from({ length: size }, () => rng.int(2) * (0.5 + rng.uniform())); // the kernels scale by the mask
      const g = normals(rng, size);
      const out = new Float32Array(size);
      K.unpool(z, mask, h, w, p, out);
      const dz = new Float32Array(z.length);
      K.unpoolBackward(g, mask, h, w, p, dz);
      const isAdjoint = adjoint(dot(out, g), dot(z, dz), size);
      const infinite = z.slice();
      infinite[0] = Infinity;
      const withInf = new Float32Array(size);
      K.unpool(infinite, mask, h, w, p, withInf);
      return isAdjoint && withInf.every((v, i) => mask[i] !== 0 || v === 0);
    }), { numRuns: 100 });
  });
});

