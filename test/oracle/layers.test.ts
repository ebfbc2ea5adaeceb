/**
 * The layers and losses against PyTorch (layers_oracle.py, float64): random cases of every kind —
 * conv2d with dilation and groups, conv1d, max-pooling in ceil mode, average and adaptive
 * average pooling, batch norm in training (with the running statistics it leaves) and in eval,
 * layer norm, embedding, crossEntropy with weight / ignoreIndex / labelSmoothing (class indices
 * and probabilities), nll, l1Loss, smoothL1Loss, klDiv — run in gibbsgrad (float32) and in torch.
 * The output and the gradients of sum(output · D) must agree within
 *   |gibbsgrad − torch| ≤ 1e-4 · max|torch over the tensor| + 1e-6,
 * float32's rounding on these small, well-conditioned cases with room to spare; a wrong divisor,
 * weight or window is off by far more. Set LAYER_ORACLE_SEED to explore other cases.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { F, listBackends, nn, Rng, Tensor, withBackend } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';
const ORACLE = fileURLToPath(new URL('./layers_oracle.py', import.meta.url));
const haveTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const SEED = Number(process.env.LAYER_ORACLE_SEED ?? 20261206);
const PER_KIND = 12;

interface Case {
  kind: string;
  tensors: Record<string, { shape: number[]; values: number[] }>;
  diff: string[];
  opts: Record<string, any>;
  direction: number[];
}

const rng = new Rng(SEED);
const int = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
const rand = (shape: number[], lo = -2, hi = 2) => ({ shape, values: Array.from({ length: size(shape) }, () => Math.fround(rng.uniformIn(lo, hi))) });
const distinct = (shape: number[]) => ({ shape, values: Array.from(rng.permutation(size(shape)), (v) => v * 0.25 - 3) });
const T = (t: { shape: number[]; values: number[] }) => new Tensor(Float32Array.from(t.values), t.shape);

/** A case's tensors and options; its output shape (for the direction) comes from running it here. */
function makeCase(kind: string): Omit<Case, 'direction'> {
  const [n, reduction] = [int(1, 3), pick(['mean', 'sum', 'none'] as const)];
  switch (kind) {
    case 'conv2d': {
      const [groups, cg, kg, kh, kw, dH, dW] = [int(1, 3), int(1, 2), int(1, 2), int(1, 3), int(1, 3), int(1, 3), int(1, 2)];
      const [stride, padding] = [[int(1, 2), int(1, 2)], [int(0, 2), int(0, 2)]];
      const [H, W] = [dH * (kh - 1) + 1 + int(0, 3), dW * (kw - 1) + 1 + int(0, 3)];
      const bias = rng.bernoulli(0.5);
      return { kind, tensors: { x: rand([n, cg * groups, H, W]), weight: rand([kg * groups, cg, kh, kw], -1, 1), ...(bias ? { bias: rand([kg * groups]) } : {}) }, diff: ['x', 'weight', ...(bias ? ['bias'] : [])], opts: { stride, padding, dilation: [dH, dW], groups } };
    }
    case 'conv1d': {
      const [groups, cg, kg, k, d] = [int(1, 2), int(1, 3), int(1, 2), int(1, 4), int(1, 3)];
      return { kind, tensors: { x: rand([n, cg * groups, d * (k - 1) + 1 + int(0, 4)]), weight: rand([kg * groups, cg, k], -1, 1), bias: rand([kg * groups]) }, diff: ['x', 'weight', 'bias'], opts: { stride: int(1, 3), padding: int(0, 2), dilation: d, groups } };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [kh, kw] = [int(1, 4), int(1, 4)];
      const padding = [int(0, kh >> 1), int(0, kw >> 1)];
      const x = kind === 'maxPool2d' ? distinct([n, int(1, 2), kh + int(0, 5), kw + int(0, 5)]) : rand([n, int(1, 2), kh + int(0, 5), kw + int(0, 5)]);
      const extra = kind === 'maxPool2d' ? { ceilMode: rng.bernoulli(0.7) } : { countIncludePad: rng.bernoulli(0.5) };
      return { kind, tensors: { x }, diff: ['x'], opts: { kernelSize: [kh, kw], stride: [int(1, 3), int(1, 3)], padding, ...extra } };
    }
    case 'adaptiveAvgPool2d':
      return { kind, tensors: { x: rand([n, int(1, 2), int(1, 9), int(1, 9)]) }, diff: ['x'], opts: { outputSize: [int(1, 5), int(1, 5)] } };
    case 'batchNorm': {
      const c = int(1, 3);
      const shape = [int(2, 4), c, ...pick([[], [int(1, 3)], [int(1, 3), int(1, 3)]])];
      return {
        kind, tensors: { x: rand(shape), weight: rand([c], 0.5, 2), bias: rand([c]), runningMean: rand([c]), runningVar: rand([c], 0.5, 2) },
        diff: ['x', 'weight', 'bias'], opts: { training: rng.bernoulli(0.7), momentum: pick([0.1, 0.5, 1]), eps: 1e-5 },
      };
    }
    case 'layerNorm': {
      const norm = pick([[int(2, 5)], [int(1, 3), int(2, 3)]]);
      return { kind, tensors: { x: rand([n, ...norm]), weight: rand(norm, 0.5, 2), bias: rand(norm) }, diff: ['x', 'weight', 'bias'], opts: { normalizedShape: norm, eps: 1e-5 } };
    }
    case 'embedding': {
      const num = int(1, 6);
      const shape = pick([[int(1, 4)], [int(1, 3), int(1, 3)]]);
      return { kind, tensors: { indices: { shape, values: Array.from({ length: size(shape) }, () => rng.int(num)) }, weight: rand([num, int(1, 4)]) }, diff: ['weight'], opts: {} };
    }
    case 'crossEntropy':
    case 'nll': {
      const c = int(2, 5);
      const N = int(1, 6);
      const probabilities = kind === 'crossEntropy' && rng.bernoulli(0.3);
      const ignoreIndex = probabilities ? -100 : pick([-100, 1]); // torch refuses an ignoreIndex ≥ 0 with probabilities
      const labels = Array.from({ length: N }, (_, i) => (i > 0 && rng.bernoulli(0.25) ? ignoreIndex : rng.int(c)));
      if (labels[0] === ignoreIndex) labels[0] = 0;
      const probs = rand([N, c], 0.1, 1);
      for (let i = 0; i < N; i++) {
        const s = probs.values.slice(i * c, (i + 1) * c).reduce((a, b) => a + b);
        for (let k = 0; k < c; k++) probs.values[i * c + k] = Math.fround(probs.values[i * c + k] / s);
      }
      const weighted = rng.bernoulli(0.6);
      return {
        kind, tensors: { x: rand([N, c]), target: probabilities ? probs : { shape: [N], values: labels }, ...(weighted ? { weight: rand([c], 0.2, 2) } : {}) },
        diff: ['x'], opts: { reduction, ignoreIndex, probabilities, labelSmoothing: kind === 'crossEntropy' ? pick([0, 0.1, 0.4]) : 0 },
      };
    }
    case 'l1Loss':
    case 'smoothL1Loss': {
      const shape = [n, int(1, 4)];
      return { kind, tensors: { x: rand(shape), target: rand(shape) }, diff: ['x', 'target'], opts: { reduction, beta: pick([0, 0.5, 1, 2]) } };
    }
    case 'klDiv': {
      const shape = [n, int(2, 5)];
      const logTarget = rng.bernoulli(0.5);
      const x = T(rand(shape)).logSoftmax(1);
      const t = T(rand(shape)).mul(2).logSoftmax(1);
      const target = logTarget ? t : t.exp();
      // A zero probability (0·log 0 = 0) in half the cases; there PyTorch's gradient in the target is
      // NaN (xlogy's t/t) and gibbsgrad's finite (a documented difference), so only x is differentiated.
      const zero = !logTarget && rng.bernoulli(0.5);
      if (zero) target.data[1] = 0;
      return { kind, tensors: { x: { shape, values: [...x.data] }, target: { shape, values: [...target.data] } }, diff: zero ? ['x'] : ['x', 'target'], opts: { reduction: pick(['mean', 'sum', 'none', 'batchmean']), logTarget } };
    }
  }
  throw new Error(kind);
}

const KINDS = ['conv2d', 'conv1d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'batchNorm', 'layerNorm', 'embedding', 'crossEntropy', 'nll', 'l1Loss', 'smoothL1Loss', 'klDiv'];

/** Runs a case in gibbsgrad through the public API (layers where PyTorch's user would use them). */
function evaluate(c: Omit<Case, 'direction'>, direction?: number[]) {
  const t: Record<string, Tensor> = Object.fromEntries(Object.entries(c.tensors).map(([k, v]) => [k, T(v)]));
  for (const k of c.diff) t[k].requiresGrad = true;
  const o = c.opts;
  const extra: Record<string, Float32Array> = {};
  let y: Tensor;
  switch (c.kind) {
    case 'conv2d': y = F.conv2d(t.x, t.weight, t.bias, o); break;
    case 'conv1d': y = F.conv1d(t.x, t.weight, t.bias, o); break;
    case 'maxPool2d': y = new nn.MaxPool2d(o.kernelSize, o).forward(t.x); break;
    case 'avgPool2d': y = new nn.AvgPool2d(o.kernelSize, o).forward(t.x); break;
    case 'adaptiveAvgPool2d': y = new nn.AdaptiveAvgPool2d(o.outputSize).forward(t.x); break;
    case 'batchNorm': {
      const [rm, rv] = [t.runningMean.clone(), t.runningVar.clone()];
      y = F.batchNorm(t.x, { runningMean: rm, runningVar: rv, weight: t.weight, bias: t.bias, training: o.training, momentum: o.momentum, eps: o.eps });
      Object.assign(extra, { runningMean: rm.data, runningVar: rv.data });
      break;
    }
    case 'layerNorm': y = F.layerNorm(t.x, o.normalizedShape, { weight: t.weight, bias: t.bias, eps: o.eps }); break;
    case 'embedding': y = F.embedding(t.indices, t.weight); break;
    case 'crossEntropy': y = F.crossEntropy(t.x, t.target, { reduction: o.reduction, weight: t.weight, ignoreIndex: o.ignoreIndex, labelSmoothing: o.labelSmoothing }); break;
    case 'nll': y = F.nll(t.x, t.target, { reduction: o.reduction, weight: t.weight, ignoreIndex: o.ignoreIndex }); break;
    case 'l1Loss': y = F.l1Loss(t.x, t.target, { reduction: o.reduction }); break;
    case 'smoothL1Loss': y = F.smoothL1Loss(t.x, t.target, { reduction: o.reduction, beta: o.beta }); break;
    case 'klDiv': y = F.klDiv(t.x, t.target, { reduction: o.reduction, logTarget: o.logTarget }); break;
    default: throw new Error(c.kind);
  }
  if (direction) y.mul(new Tensor(Float32Array.from(direction), y.shape)).sum().backward();
  return { y, grads: Object.fromEntries(c.diff.map((k) => [k, t[k].grad?.data ?? new Float32Array(t[k].size)])), extra };
}

const cases: Case[] = KINDS.flatMap((kind) => Array.from({ length: PER_KIND }, () => {
  const c = makeCase(kind);
  const { y } = evaluate(c);
  return { ...c, direction: Array.from({ length: y.size }, () => Math.fround(rng.uniformIn(-1, 1))) };
}));

type Result = { shape: number[]; output: number[]; grads: Record<string, number[]>; extra: Record<string, number[]> } | { error: string };
let results: Result[] = [];
beforeAll(() => {
  if (!haveTorch) return;
  const run = spawnSync(PYTHON, [ORACLE], { input: JSON.stringify({ cases }), maxBuffer: 1 << 26, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`layers_oracle.py exited with ${run.status}: ${run.stderr}`);
  results = JSON.parse(run.stdout).results;
}, 60_000);

/** The first element outside 1e-4·max|torch| + 1e-6, or ''. */
function mismatch(what: string, got: ArrayLike<number>, want: number[]): string {
  if (got.length !== want.length) return `${what}: ${got.length} values in gibbsgrad, ${want.length} in torch`;
  const scale = Math.max(0, ...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-4 * scale + 1e-6)) return `${what}[${i}] is ${got[i]} in gibbsgrad, ${want[i]} in torch`;
  }
  return '';
}

const backends = listBackends().filter((b) => b === 'reference' || b === 'wasm');

describe.each(backends)('layers and losses against PyTorch (%s backend)', (backend) => {
  it.skipIf(!haveTorch).each(KINDS)('%s agrees with torch (float64): output, gradients and running statistics', (kind) => withBackend(backend, () => {
    const problems: string[] = [];
    cases.forEach((c, i) => {
      if (c.kind !== kind) return;
      const r = results[i];
      const where = `case ${i} (LAYER_ORACLE_SEED=${SEED}): ${JSON.stringify({ ...c, tensors: Object.fromEntries(Object.entries(c.tensors).map(([k, v]) => [k, v.shape])) , direction: undefined })}`;
      if ('error' in r) { problems.push(`${where}: torch: ${r.error}`); return; }
      const mine = evaluate(c, c.direction);
      const found = [
        mine.y.shape.join() === r.shape.join() ? '' : `output shape [${mine.y.shape}] in gibbsgrad, [${r.shape}] in torch`,
        mismatch('output', mine.y.data, r.output),
        ...c.diff.map((k) => mismatch(`∂/∂${k}`, mine.grads[k], r.grads[k])),
        ...Object.keys(mine.extra).map((k) => mismatch(k, mine.extra[k], r.extra[k])),
      ].filter(Boolean);
      if (found.length) problems.push(`${where}: ${found[0]}`);
    });
    expect(problems.join('\n')).toBe('');
  }));
});
