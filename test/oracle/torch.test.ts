/**
 * gibbsgrad against PyTorch as a test-time oracle. A few hundred random programs (programs.ts:
 * 1–3 inputs with small shapes, size-1 and broadcast axes, and a chain of 2–5 differentiable ops)
 * run in gibbsgrad (float32) and, in one python process (torch_oracle.py), in torch's float64 and
 * float32. The output and the gradients of sum(output · D), for a fixed random D, with respect to
 * every input must agree with float64 within float32's own error on that program (see `tolerance`).
 *
 * Conventions where gibbsgrad and PyTorch's defaults differ, matched in the oracle on purpose:
 * - max/min over an axis split the gradient evenly among tied maxima: the oracle uses
 *   torch.amax/amin, which split as well (torch.max(dim) would route it all to one index);
 * - var divides by n: the oracle passes unbiased=False;
 * - maximum/minimum at a tie give ½ to each side: torch 1.13 does the same (no change needed);
 * - relu(NaN) passes no gradient: the programs never make a NaN, so this one is not exercised;
 * - maxPool2d routes a window's gradient to its first maximum, as torch does (no change needed).
 *
 * After them, shape-programs.ts gives 8 programs to each of issue 22's reductions, sort family,
 * indexing and shape ops (prod std norm cumsum sort topk flip repeat maskedFill scatter scatterAdd
 * indexSelect slice-with-step split chunk einsum), drawn from seed ORACLE_SEED + 22 (std passes its
 * unbiased flag through; sort is stable on both sides; the inputs have no ties where order matters).
 *
 * Set ORACLE_SEED (and ORACLE_PROGRAMS) to explore other programs; CI uses the fixed seed below.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackends, registerBackend } from '../../src/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { withBackend } from '../../src/tensor/kernels.js';
import { createWasmKernels } from '../../src/backends/wasm/backend.js';
import { ACTIVATIONS, BINARY, describeProgram, evaluate, randomProgram, REDUCTIONS, UNARY, valueShapes, type Evaluated, type Program } from './programs.js';
import { SHAPE_OPS, shapePrograms } from './shape-programs.js';

const PYTHON = '/usr/bin/python3';
const ORACLE = fileURLToPath(new URL('./torch_oracle.py', import.meta.url));
const haveTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const skippedWithoutTorch = haveTorch ? '' : ` (skipped: ${PYTHON} cannot import torch; apt-get install python3-torch)`;
if (!haveTorch) console.warn(`PyTorch oracle test skipped: ${PYTHON} cannot import torch (apt-get install python3-torch)`);

const SEED = Number(process.env.ORACLE_SEED ?? 20261122);
const PROGRAMS = Number(process.env.ORACLE_PROGRAMS ?? 300);

/**
 * Programs (by index under the default seed) whose mismatch is a known, reported gibbsgrad bug not
 * yet fixed, with the reason. They are still run; only their comparison is not asserted. Empty
 * means every program must agree.
 */
const KNOWN_MISMATCHES: ReadonlyMap<number, string> = new Map();

/** Hand-written programs for the conventions listed above: ties, where random data has none. */
const conventionPrograms: { name: string; program: Program }[] = [
  {
    name: 'max and min over an axis with ties (gradient split evenly)',
    program: {
      inputs: [{ shape: [3, 4], values: [1, 3, 3, -2, 2, 2, 2, 2, -1, 0.5, -1, 0.5] }],
      steps: [{ op: 'max', args: ['x0'], axis: 1, keepDims: true }, { op: 'mul', args: ['v0', 'x0'] }, { op: 'min', args: ['v1'], axis: 0, keepDims: true }],
      direction: [0.5, -1, 2, 0.25],
    },
  },
  {
    name: 'maximum and minimum with equal elements (½ to each side)',
    program: {
      inputs: [{ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, { shape: [3], values: [1, 5, 3] }],
      steps: [{ op: 'maximum', args: ['x0', 'x1'] }, { op: 'minimum', args: ['v0', 'x1'] }, { op: 'mul', args: ['v1', 'v0'] }],
      direction: [1, -2, 0.5, 3, -1, 0.25],
    },
  },
  {
    name: 'maxPool2d with tied windows (first maximum wins), then var (divides by n)',
    program: {
      inputs: [{ shape: [1, 1, 3, 4], values: [1, 1, 2, 2, 1, 1, 2, 2, 0, 0, 0, 0] }],
      steps: [{ op: 'maxPool2d', args: ['x0'], kernelSize: [2, 2], stride: [1, 1], padding: [1, 1] }, { op: 'var', args: ['v0'], axis: [2, 3], keepDims: false }],
      direction: [1],
    },
  },
];

const rng = new Rng(SEED);
const randomPrograms = Array.from({ length: PROGRAMS }, () => randomProgram(rng));
/** Issue 22's reductions, sort family, indexing and shape ops: SHAPE_PER_OP programs each, from their own stream. */
const SHAPE_PER_OP = 8;
const opPrograms = shapePrograms(new Rng(SEED + 22), SHAPE_PER_OP);
const programs = [...randomPrograms, ...conventionPrograms.map((c) => c.program), ...opPrograms];
const programName = (i: number) => {
  if (i < PROGRAMS) return `random program ${i} (ORACLE_SEED=${SEED})`;
  if (i < PROGRAMS + conventionPrograms.length) return `'${conventionPrograms[i - PROGRAMS].name}'`;
  const j = i - PROGRAMS - conventionPrograms.length;
  return `${SHAPE_OPS[Math.floor(j / SHAPE_PER_OP)]} program ${j % SHAPE_PER_OP} (shape-programs.ts, seed ${SEED + 22})`;
};

interface TorchRun {
  shape: number[];
  output: (number | string)[];
  grads: (number | string)[][];
}
/** float64, float32, and float64 runs with float32-sized rounding noise at every op (torch_oracle.py). */
type OracleResult = { f64: TorchRun; f32: TorchRun; noisy: TorchRun[] } | { error: string };

let oracle: OracleResult[] = [];
beforeAll(() => {
  if (!haveTorch) return;
  const run = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify({ programs }), maxBuffer: 1 << 28, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`torch_oracle.py exited with ${run.status}: ${run.stderr}`);
  oracle = JSON.parse(run.stdout).results;
}, 120_000);

/** torch_oracle.py writes NaN and ±∞ as strings (JSON has no literal for them). */
const decode = (xs: (number | string)[]): number[] => xs.map((v) => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity));

/**
 * How far gibbsgrad (float32) may be from torch's float64 at one element:
 *   8·max(|t32ᵢ − t64ᵢ|, maxₛ |noisyₛ,ᵢ − t64ᵢ|, mean |t32 − t64|) + 2e-6 + 2e-5·|t64ᵢ|.
 * The first term is float32's own error on this very program, so ill-conditioned programs
 * (saturated tanh, pow of large bases, cancellations) get room in proportion and well-conditioned
 * ones none. It is measured by torch's float32 run, and by float64 runs in which every op's output
 * and gradient gets random float32-sized rounding (torch_oracle.py's noisy_step: ±2u of the value, or
 * of Σ|terms| for sums, matmul and conv2d; tanh and sigmoid keep the rounded output their derivative
 * is computed from), because one float32 run can be exact by luck where an element hangs on an
 * intermediate's last bit: tanh′ = 1 − y² at a saturated logit is 0, 2⁻²³ or 2⁻²² in float32 against
 * 7e-8 exactly. The tensor's mean float32 error floors it for the same reason. gibbsgrad's rounding
 * differs from torch's (other summation orders, float64 accumulation in the reference kernels,
 * float32 SIMD in wasm), hence the factor 8, not 1. The absolute term covers results that cancel to
 * zero (the gradient through softmax then a sum over the same axis is exactly 0, computed as a
 * float32 residue ≈ u·|upstream gradient| ≈ 1e-6 here); the relative one (≈ 340 ulps) covers
 * reassociated sums of up to a few hundred terms. Over 48,000 programs (16 seeds × 3,000) on every
 * backend the worst element used half of this (0.12–0.3 under the default seed); a gradient 1% off
 * (or a missing factor, a wrong sign) exceeds it many times over.
 */
function tolerance(t64: number, t32: number, noisy: readonly number[], meanError32: number): number {
  const noise = Math.max(0, ...noisy.map((v) => Math.abs(v - t64)));
  return 8 * Math.max(Math.abs(t32 - t64), noise, meanError32) + 2e-6 + 2e-5 * Math.abs(t64);
}

interface Worst {
  what: string;
  index: number;
  shape: number[];
  got: number;
  t64: number;
  t32: number;
  error: number;
  allowed: number;
  ratio: number;
}

/** The element of one tensor that uses the most of its tolerance (non-finite values must match). */
function worstElement(what: string, shape: number[], got: Float64Array, t64: number[], t32: number[], noisy: number[][]): Worst {
  const meanError32 = t64.reduce((s, v, j) => s + (Number.isFinite(v - t32[j]) ? Math.abs(v - t32[j]) : 0), 0) / Math.max(1, t64.length);
  let worst: Worst = { what, index: -1, shape, got: 0, t64: 0, t32: 0, error: 0, allowed: 0, ratio: 0 };
  got.forEach((g, j) => {
    const exact = t64[j];
    const error = Math.abs(g - exact);
    const allowed = tolerance(exact, t32[j], noisy.map((n) => n[j]), meanError32);
    const sameNonFinite = !Number.isFinite(exact) && Object.is(g, exact);
    const ratio = sameNonFinite ? 0 : Number.isNaN(error) ? Infinity : error / allowed;
    if (ratio > worst.ratio) worst = { what, index: j, shape, got: g, t64: exact, t32: t32[j], error, allowed, ratio };
  });
  return worst;
}

/** The worst element over the output and every gradient, or a description of a structural mismatch. */
function compare(p: Program, mine: Evaluated, theirs: OracleResult): Worst | string {
  if ('error' in theirs) return `torch could not run it: ${theirs.error}`;
  const { f64, f32, noisy } = theirs;
  if (mine.shape.join() !== f64.shape.join()) return `output shape [${mine.shape}] in gibbsgrad, [${f64.shape}] in torch`;
  const tensors = [
    worstElement('output', mine.shape, mine.output, decode(f64.output), decode(f32.output), noisy.map((n) => decode(n.output))),
    ...mine.grads.map((g, k) =>
      worstElement(`∂/∂x${k}`, p.inputs[k].shape, g, decode(f64.grads[k]), decode(f32.grads[k]), noisy.map((n) => decode(n.grads[k])))),
  ];
  return tensors.reduce((a, b) => (b.ratio > a.ratio ? b : a));
}

function multiIndex(flat: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    idx.unshift(flat % shape[k]);
    flat = Math.floor(flat / shape[k]);
  }
  return idx;
}

const g = (v: number) => (Number.isFinite(v) ? v.toPrecision(9) : String(v));

function report(i: number, backend: string, w: Worst | string, failures: number): string {
  const p = programs[i];
  let shapes: Map<string, number[]> | undefined;
  try { shapes = valueShapes(p); } catch { /* the listing without shapes */ }
  const what = typeof w === 'string'
    ? w
    : `${w.what}[${multiIndex(w.index, w.shape).join(', ')}] is ${g(w.got)} in gibbsgrad (${backend}), ${g(w.t64)} in torch float64 ` +
      `(float32: ${g(w.t32)}); |error| ${w.error.toExponential(3)} > allowed ${w.allowed.toExponential(3)} (${w.ratio.toFixed(1)}× the tolerance)`;
  return `${failures} of ${programs.length} programs disagree with PyTorch; the first, ${programName(i)}:\n${what}\n${describeProgram(p, shapes)}`;
}

/** gibbsgrad's backends: as shipped, and the wasm kernels forced on for every call (the programs are too small to reach them otherwise). */
const backends = listBackends().includes('wasm') ? ['reference', 'wasm', 'wasm (every call in WebAssembly)'] : ['reference'];
const forcedWasm = backends.includes('wasm (every call in WebAssembly)')
  ? createWasmKernels({ threads: 1, gemmMinWork: 0, parallelMinWork: 0, windowMinSize: 0 })
  : null;
if (forcedWasm) registerBackend('wasm (every call in WebAssembly)', forcedWasm.kernels);
afterAll(async () => { await forcedWasm?.runtime.dispose(); });

describe('the random programs', () => {
  it(`use every op of the vocabulary, conv2d and maxPool2d included (${PROGRAMS} programs, seed ${SEED})`, () => {
    const counts = new Map<string, number>();
    for (const p of randomPrograms) for (const s of p.steps) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
    const vocabulary = [...UNARY, ...ACTIVATIONS, ...BINARY, ...REDUCTIONS, 'softmax', 'logSoftmax', 'matmul', 'reshape', 'permute', 'transpose', 'conv2d', 'maxPool2d'];
    const rare = vocabulary.filter((op) => (counts.get(op) ?? 0) < PROGRAMS / 30);
    expect(rare, `ops drawn fewer than ${PROGRAMS / 30} times`).toEqual([]);
  });
});

describe.each(backends)('gibbsgrad against PyTorch (%s backend)', (backend) => {
  it.skipIf(!haveTorch)(`agrees with torch's float64 within float32's own error on ${PROGRAMS} random programs, the tie conventions and ${opPrograms.length} shape-op programs${skippedWithoutTorch}`, () => {
    withBackend(backend, () => {
      expect(oracle.length).toBe(programs.length);
      const failing: { i: number; w: Worst | string }[] = [];
      programs.forEach((p, i) => {
        let mine: Evaluated;
        try {
          mine = evaluate(p);
        } catch (e) {
          failing.push({ i, w: `gibbsgrad threw: ${(e as Error).message}` });
          return;
        }
        const w = compare(p, mine, oracle[i]);
        if ((typeof w === 'string' || !(w.ratio <= 1)) && !(SEED === 20261122 && KNOWN_MISMATCHES.has(i))) failing.push({ i, w });
      });
      expect(failing.length === 0 ? '' : report(failing[0].i, backend, failing[0].w, failing.length)).toBe('');
    });
  });
});
