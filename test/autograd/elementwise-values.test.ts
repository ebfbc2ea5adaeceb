// Values of the elementwise ops and activations added for PyTorch habits (clamp, log1p, expm1, sin,
// cos, erf, reciprocal, rsqrt, gelu, silu, elu, leakyRelu) against a direct float64 reference,
// rounded to float32: within 1 ulp where the reference is the same Math function, 2 ulps where it
// is an independent formula (erf from erf.ts, tabulated; Φ by Simpson's rule for gelu; the
// textbook forms of the others, evaluated where they neither cancel nor overflow). Random float32
// inputs plus edge inputs (±0, ±tiny, subnormals, ±large, ±∞), on both backends. Then: no NaN for
// finite input, forward or backward; the gradients' limits at ±∞; and argument errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, nn, noGrad, randn, Rng, tensor, Tensor, withBackend } from '../../src/index.js';
import { erf } from '../../src/tensor/erf.js';

/** Φ(x) = ∫₀^∞ φ(x − s) ds for x ≤ 0 (Simpson, 2·10⁴ panels on [0, 12]); 1 − Φ(−x) above. */
function Phi(x: number): number {
  if (x > 0) return 1 - Phi(-x);
  if (x === -Infinity) return 0;
  const n = 20000;
  const h = 12 / n;
  const f = (s: number) => Math.exp(-0.5 * (x - s) * (x - s)) / Math.sqrt(2 * Math.PI);
  let sum = f(0) + f(12);
  for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * f(i * h);
  return (sum * h) / 3;
}

interface Case {
  apply: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  ulps: number;
  /** defined (not NaN) for every finite input */
  total: boolean;
}

const C = Math.sqrt(2 / Math.PI);
const cases: Record<string, Case> = {
  log1p: { apply: (x) => x.log1p(), ref: Math.log1p, ulps: 1, total: false },
  expm1: { apply: (x) => x.expm1(), ref: Math.expm1, ulps: 1, total: true },
  sin: { apply: (x) => x.sin(), ref: Math.sin, ulps: 1, total: true },
  cos: { apply: (x) => x.cos(), ref: Math.cos, ulps: 1, total: true },
  erf: { apply: (x) => x.erf(), ref: erf, ulps: 1, total: true },
  reciprocal: { apply: (x) => x.reciprocal(), ref: (x) => 1 / x, ulps: 1, total: true },
  rsqrt: { apply: (x) => x.rsqrt(), ref: (x) => 1 / Math.sqrt(x), ulps: 1, total: false },
  gelu: { apply: (x) => x.gelu(), ref: (x) => (x === -Infinity ? 0 : x === Infinity ? x : x * Phi(x)), ulps: 2, total: true },
  'gelu tanh': {
    apply: (x) => x.gelu('tanh'),
    ref: (x) => {
      if (!Number.isFinite(x)) return x > 0 ? x : 0;
      const u = C * (x + 0.044715 * x ** 3);
      // ½x(1 + tanh u) as written, where it does not cancel; below, 1 + tanh u = 2e^{2u}/(1 + e^{2u})
      return u > -1 ? 0.5 * x * (1 + Math.tanh(u)) : (x * Math.exp(2 * u)) / (1 + Math.exp(2 * u));
    },
    ulps: 2,
    total: true,
  },
  silu: { apply: (x) => x.silu(), ref: (x) => (x === -Infinity ? 0 : x / (1 + Math.exp(-x))), ulps: 2, total: true },
  elu: { apply: (x) => x.elu(), ref: (x) => (x > 0 ? x : Math.expm1(x)), ulps: 1, total: true },
  'elu α=0.3': { apply: (x) => x.elu(0.3), ref: (x) => (x > 0 ? x : 0.3 * Math.expm1(x)), ulps: 1, total: true },
  leakyRelu: { apply: (x) => x.leakyRelu(), ref: (x) => (x > 0 ? x : 0.01 * x), ulps: 1, total: true },
  'leakyRelu 0.2': { apply: (x) => x.leakyRelu(0.2), ref: (x) => (x > 0 ? x : 0.2 * x), ulps: 1, total: true },
  'clamp(−1, 2)': { apply: (x) => x.clamp(-1, 2), ref: (x) => Math.min(Math.max(x, -1), 2), ulps: 0, total: true },
  'clamp(0.1)': { apply: (x) => x.clamp(0.1), ref: (x) => Math.max(x, Math.fround(0.1)), ulps: 0, total: true },
  'clamp(null, −0.5)': { apply: (x) => x.clamp(null, -0.5), ref: (x) => Math.min(x, -0.5), ulps: 0, total: true },
};

const EDGES = [
  0, -0, 1e-30, -1e-30, 1e-45, -1e-45, 1e-38, -1e-38, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 5, -5, 10, -10, 30, -30,
  88.7, -88.7, 104, -104, 1e10, -1e10, 1e30, -1e30, 3.4e38, -3.4e38, Infinity, -Infinity,
].map(Math.fround);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Position of a float32 on the number line in ulps (monotone; +0 and −0 both 0). */
function ordinal(v: number): number {
  f32[0] = v;
  const b = u32[0];
  return b & 0x80000000 ? -(b & 0x7fffffff) : b;
}
function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0; // also ±∞
  return Math.abs(ordinal(a) - ordinal(b));
}

function check(name: string, xs: Float32Array): void {
  const { apply, ref, ulps, total } = cases[name];
  const got = apply(new Tensor(xs, [xs.length])).data;
  xs.forEach((x, i) => {
    const want = Math.fround(ref(x));
    const d = ulpDistance(got[i], want);
    if (d > ulps) throw new Error(`${name}(${x}) = ${got[i]}, reference ${want}: ${d} ulps (allowed ${ulps})`);
    if (total && Number.isFinite(x) && Number.isNaN(got[i])) throw new Error(`${name}(${x}) is NaN`);
  });
}

describe('new elementwise ops: values against a float64 reference', () => {
  const finite32 = fc.float({ noNaN: true, noDefaultInfinity: true });
  for (const backend of ['reference', 'wasm']) {
    it.each(Object.keys(cases))(`%s on ${backend}: edge inputs and random float32s within the stated ulps`, (name) => {
      withBackend(backend, () => {
        check(name, Float32Array.from(EDGES));
        fc.assert(fc.property(fc.array(fc.oneof(finite32, fc.float({ min: -12, max: 12, noNaN: true })), { minLength: 1, maxLength: 40 }), (xs) => {
          check(name, Float32Array.from(xs));
        }), { numRuns: 25 });
      });
    });
  }

  it('log1p and expm1 are exact near 0 (where log(1 + x) and eˣ − 1 give 0)', () => {
    const x = tensor([1e-10, -1e-10, 1e-30]);
    expect(Array.from(x.log1p().data)).toEqual(Array.from(x.data));
    expect(Array.from(x.expm1().data)).toEqual(Array.from(x.data));
    expect(x.log().data[0]).not.toBe(x.data[0]); // (the naive forms would not be)
  });
});

describe('new elementwise ops: gradients', () => {
  const grad = (f: (x: Tensor) => Tensor, xs: number[]) => {
    const x = tensor(xs).requiresGrad_();
    f(x).sum().backward();
    return Array.from(x.grad!.data);
  };

  it('no NaN gradient for any finite input, and the limits at ±∞', () => {
    const xs = EDGES.filter(Number.isFinite);
    for (const name of ['expm1', 'sin', 'cos', 'erf', 'gelu', 'gelu tanh', 'silu', 'elu', 'leakyRelu', 'clamp(−1, 2)']) {
      grad(cases[name].apply, xs).forEach((g, i) => {
        if (Number.isNaN(g)) throw new Error(`${name}′(${xs[i]}) is NaN`);
      });
    }
    for (const f of [(x: Tensor) => x.gelu(), (x: Tensor) => x.gelu('tanh'), (x: Tensor) => x.silu()]) {
      expect(grad(f, [-Infinity, Infinity, -1e30, 1e30]).map((g) => g + 0)).toEqual([0, 1, 0, 1]); // + 0: −0 as 0
    }
    expect(grad((x) => x.elu(2), [-Infinity, -1, 3])).toEqual([0, Math.fround(2 * Math.exp(-1)), 1]);
  });

  it('gelu′ and silu′ keep their tails (no cancellation to 0 where the value is a normal float32)', () => {
    const [g10] = grad((x) => x.gelu(), [-10]);
    const want = Phi(-10) - 10 * Math.exp(-50) / Math.sqrt(2 * Math.PI); // ≈ −7.6e−22
    expect(Math.abs(g10 - want) / Math.abs(want)).toBeLessThan(1e-5);
    const [s30] = grad((x) => x.silu(), [30]);
    const sig = 1 / (1 + Math.exp(-30));
    expect(Math.abs(s30 - 1 - (sig * (1 + 30 * (1 - sig)) - 1))).toBeLessThan(1e-7);
    const [e30] = grad((x) => x.expm1(), [-30]);
    expect(e30 / Math.exp(-30)).toBeCloseTo(1, 6);
  });

  it('clamp passes the gradient inside [min, max], bounds included (as PyTorch)', () => {
    expect(grad((x) => x.clamp(-1, 1), [-2, -1, 0, 1, 2])).toEqual([0, 1, 1, 1, 0]);
    expect(grad((x) => x.leakyRelu(0.2), [-1, 0, 1])).toEqual([Math.fround(0.2), Math.fround(0.2), 1]);
  });
});

describe('new elementwise ops: F, nn and arguments', () => {
  const x = tensor([-2, -0.5, 0, 0.5, 2]);
  it('F and nn give the methods’ values', () => {
    expect(F.gelu(x, 'tanh').data).toEqual(x.gelu('tanh').data);
    expect(F.silu(x).data).toEqual(x.silu().data);
    expect(F.elu(x, 0.5).data).toEqual(x.elu(0.5).data);
    expect(F.leakyRelu(x, 0.1).data).toEqual(x.leakyRelu(0.1).data);
    expect(new nn.GELU().forward(x).data).toEqual(x.gelu().data);
    expect(new nn.GELU('tanh').forward(x).data).toEqual(x.gelu('tanh').data);
    expect(new nn.SiLU().forward(x).data).toEqual(x.silu().data);
    expect(new nn.ELU(0.5).forward(x).data).toEqual(x.elu(0.5).data);
    expect(new nn.LeakyReLU(0.1).forward(x).data).toEqual(x.leakyRelu(0.1).data);
    expect(new nn.LeakyReLU().parameters()).toEqual([]);
  });

  it('rejects bad arguments with the op’s name', () => {
    expect(() => x.clamp()).toThrow(/clamp: at least one of min and max/);
    expect(() => x.clamp(NaN)).toThrow(/clamp: min must be a number/);
    expect(() => x.gelu('exact' as never)).toThrow(/gelu: approximate must be 'none' or 'tanh'/);
    expect(() => new nn.GELU('erf' as never)).toThrow(/gelu: approximate/);
    expect(() => x.elu(Infinity)).toThrow(/elu: alpha must be a finite number/);
    expect(() => new nn.LeakyReLU('0.1' as never)).toThrow(/leakyRelu: negativeSlope must be a finite number/);
  });
});

describe('sigmoid, tanh and relu backward in one pass', () => {
  // The VJPs read σ′ = y(1 − y) and tanh′ = 1 − y² off the output, and mask g by x > 0, in one
  // fused pass; they must give the bits of the float32 chains they replaced: g·(y·(1 − y)),
  // g·(1 − y²), g·[x > 0], each op rounded.
  const chain = {
    sigmoid: (g: Tensor, y: Tensor) => g.mul(y.mul(y.neg().add(1))),
    tanh: (g: Tensor, y: Tensor) => g.mul(y.square().neg().add(1)),
    relu: (g: Tensor, _y: Tensor, x: Tensor) => g.mul(x.gt(0)),
  };
  const bitsOf = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data, (v) => (Number.isNaN(v) ? NaN : v)).buffer)); // any NaN as the canonical NaN
  const input = fc.array(fc.oneof(fc.float({ noNaN: true }), fc.float({ min: -20, max: 20, noNaN: true }), fc.constantFrom(0, -0, 1e-30, -1e-30, 88.8, -104, NaN)), { minLength: 1, maxLength: 60 });
  for (const backend of ['reference', 'wasm']) {
    it.each(['sigmoid', 'tanh', 'relu'] as const)(`%s on ${backend}: the gradient equals the float32 chain bit for bit`, (name) => {
      withBackend(backend, () => {
        fc.assert(fc.property(input, fc.integer({ min: 0, max: 1e6 }), (xs, seed) => {
          const x = tensor(xs).requiresGrad_();
          const y = x[name]();
          const g = randn([xs.length], new Rng(seed));
          y.backward(g);
          const want = noGrad(() => chain[name](g, y.detach(), x.detach()));
          expect(bitsOf(x.grad!)).toEqual(bitsOf(want));
        }), { numRuns: 60 });
      });
    });
  }
});
