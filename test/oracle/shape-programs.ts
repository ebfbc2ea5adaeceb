/**
 * Programs for issue 22's reductions, sort family, indexing and shape ops (prod std norm cumsum
 * sort topk flip repeat maskedFill scatter scatterAdd indexSelect slice-with-step split chunk
 * einsum), one op each, drawn from their own seeded stream so that programs.ts's random programs
 * stay as they are. torch_oracle.py runs them with the same step format (extra arguments in
 * `params`).
 */
import { einsum, tensor, type Tensor } from '../../src/index.js';
import type { Rng } from '../../src/tensor/rng.js';
import { valueShapes, type Program, type Step } from './programs.js';

export const SHAPE_OPS = [
  'prod', 'std', 'norm', 'cumsum', 'sort', 'topk', 'flip', 'repeat', 'maskedFill', 'scatter', 'scatterAdd',
  'indexSelect', 'sliceStep', 'split', 'chunk', 'einsum',
] as const;

const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
const constTensor = (values: number[], shape: number[]) => tensor(Float32Array.from(values), { shape });

/** gibbsgrad's side of one step of these programs (programs.ts's applyStep hands them over). */
export function applyShapeStep(step: Step, x: Tensor, y: Tensor | undefined): Tensor {
  const q = step.params ?? {};
  switch (step.op) {
    case 'prod': return x.prod(step.axis ?? undefined, step.keepDims);
    case 'std': return x.std(step.axis ?? undefined, step.keepDims, q.unbiased);
    case 'norm': return x.norm(q.p === 'inf' ? Infinity : q.p, step.axis ?? undefined, step.keepDims);
    case 'cumsum': return x.cumsum(step.axis as number);
    case 'sort': return x.sort(step.axis as number, q.descending).values;
    case 'topk': return x.topk(q.k, step.axis as number, q.largest).values;
    case 'flip': return x.flip(q.dims);
    case 'repeat': return x.repeat(q.sizes);
    case 'maskedFill': return x.maskedFill(constTensor(q.mask, q.maskShape), q.value);
    case 'scatter': return x.scatter(step.axis as number, constTensor(q.index, [...y!.shape]), y!);
    case 'scatterAdd': return x.scatterAdd(step.axis as number, constTensor(q.index, [...y!.shape]), y!);
    case 'indexSelect': return x.indexSelect(step.axis as number, constTensor(q.index, [q.index.length]));
    case 'sliceStep': return x.slice(q.ranges);
    case 'split': return x.split(q.sizes, step.axis as number)[q.piece];
    case 'chunk': return x.chunk(q.chunks, step.axis as number)[q.piece];
    case 'einsum': return einsum(q.spec, ...(y ? [x, y] : [x]));
    default: throw new Error(`applyStep: unknown op ${step.op}`);
  }
}

/**
 * A program around one op: an input with distinct values (no ties for sort, topk and the ∞-norm,
 * where float32 and float64 could order two near-equal values differently; prod's input near ±1
 * with a zero now and then), now and then a tanh before the op, and now and then a square after
 * it, so that the gradient reaching the op is not uniform.
 */
export function shapeProgram(rng: Rng, op: (typeof SHAPE_OPS)[number]): Program {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const shape = Array.from({ length: 1 + rng.int(3) }, () => 1 + rng.int(4));
  const n = sizeOf(shape);
  const order = rng.permutation(n);
  const values = op === 'prod'
    ? Array.from({ length: n }, () => (rng.bernoulli(0.15) ? 0 : Math.fround(rng.uniformIn(0.7, 1.4) * (rng.bernoulli(0.5) ? -1 : 1))))
    : order.map((k) => Math.fround((k - n / 2) * 0.3 + rng.uniformIn(0, 0.05)));
  const inputs: Program['inputs'] = [{ shape, values }];
  const steps: Step[] = [];
  let cur = 'x0';
  if (op !== 'prod' && rng.bernoulli(0.3)) {
    steps.push({ op: 'tanh', args: [cur] });
    cur = 'v0';
  }
  const addInput = (s: number[]) => {
    inputs.push({ shape: s, values: Array.from({ length: sizeOf(s) }, () => Math.fround(rng.uniformIn(-2, 2))) });
    return `x${inputs.length - 1}`;
  };
  const a = rng.int(shape.length);
  const axis = rng.bernoulli(0.4) ? a - shape.length : a;
  const reduceAxis = rng.bernoulli(0.25) ? null : axis;
  const keepDims = rng.bernoulli(0.5);
  let step: Step;
  switch (op) {
    case 'prod': step = { op, args: [cur], axis: reduceAxis, keepDims }; break;
    case 'std': step = { op, args: [cur], axis: reduceAxis, keepDims, params: { unbiased: (reduceAxis === null ? n : shape[a]) > 1 && rng.bernoulli(0.5) } }; break;
    case 'norm': step = { op, args: [cur], axis: reduceAxis, keepDims, params: { p: pick([1, 2, 'inf']) } }; break;
    case 'cumsum': step = { op, args: [cur], axis }; break;
    case 'sort': step = { op, args: [cur], axis, params: { descending: rng.bernoulli(0.5) } }; break;
    case 'topk': step = { op, args: [cur], axis, params: { k: 1 + rng.int(shape[a]), largest: rng.bernoulli(0.5) } }; break;
    case 'flip': step = { op, args: [cur], params: { dims: rng.permutation(shape.length).slice(0, 1 + rng.int(shape.length)) } }; break;
    case 'repeat': step = { op, args: [cur], params: { sizes: [...(rng.bernoulli(0.3) ? [2] : []), ...shape.map(() => 1 + rng.int(2))] } }; break;
    case 'maskedFill': {
      const maskShape = shape.map((d) => (rng.bernoulli(0.3) ? 1 : d));
      step = { op, args: [cur], params: { mask: Array.from({ length: sizeOf(maskShape) }, () => +rng.bernoulli(0.4)), maskShape, value: pick([0, -1.5, 2]) } };
      break;
    }
    case 'scatter':
    case 'scatterAdd': {
      const ishape = shape.map((d, i) => (i === a ? (op === 'scatter' ? 1 + rng.int(d) : 1 + rng.int(4)) : d));
      const index = new Array<number>(sizeOf(ishape));
      const inner = sizeOf(ishape.slice(a + 1));
      for (let o = 0; o < sizeOf(ishape.slice(0, a)); o++) {
        for (let r = 0; r < inner; r++) {
          // scatter: distinct positions per line (a repeated one has no defined winner in torch)
          const picks = op === 'scatter' ? rng.permutation(shape[a]) : Array.from({ length: ishape[a] }, () => rng.int(shape[a]));
          for (let j = 0; j < ishape[a]; j++) index[(o * ishape[a] + j) * inner + r] = picks[j];
        }
      }
      step = { op, args: [cur, addInput(ishape)], axis, params: { index } };
      break;
    }
    case 'indexSelect': step = { op, args: [cur], axis, params: { index: Array.from({ length: 1 + rng.int(4) }, () => rng.int(shape[a])) } }; break;
    case 'sliceStep': {
      const ranges = shape.map((d) => { const s = rng.int(d); return [s, s + 1 + rng.int(d - s), 1 + rng.int(3)]; });
      step = { op, args: [cur], params: { ranges } };
      break;
    }
    case 'split': {
      const d = shape[a];
      const c = rng.int(d + 1);
      const sizes = rng.bernoulli(0.5) ? 1 + rng.int(d) : [c, d - c];
      const pieces = typeof sizes === 'number' ? Math.ceil(d / sizes) : 2;
      step = { op, args: [cur], axis, params: { sizes, piece: rng.int(pieces) } };
      break;
    }
    case 'chunk': {
      const chunks = 1 + rng.int(4);
      const size = Math.ceil(shape[a] / chunks);
      step = { op, args: [cur], axis, params: { chunks, piece: rng.int(Math.ceil(shape[a] / size)) } };
      break;
    }
    case 'einsum': {
      const letters = 'ijkl'.slice(0, shape.length).split('');
      const all = letters.join('');
      const lastLetter = letters[letters.length - 1];
      const kind = pick(['matmul', 'batch', 'dot', 'permute', 'sum', 'outer']);
      let spec: string;
      let other: number[] | null = null;
      if (kind === 'matmul') { spec = `${all},${lastLetter}m->${all.slice(0, -1)}m`; other = [shape[shape.length - 1], 1 + rng.int(3)]; }
      else if (kind === 'batch' && shape.length >= 2) { spec = `${all},${all.slice(0, -1)}->${lastLetter}`; other = shape.slice(0, -1); }
      else if (kind === 'dot') { spec = `${all},${all}->`; other = [...shape]; }
      else if (kind === 'outer') { spec = `${all},m->m${all}`; other = [1 + rng.int(3)]; }
      else if (kind === 'sum') spec = `${all}->${letters.filter(() => rng.bernoulli(0.5)).join('')}`;
      else spec = `${all}->${rng.permutation(letters.length).map((k) => letters[k]).join('')}`;
      step = { op, args: other ? [cur, addInput(other)] : [cur], params: { spec } };
      break;
    }
  }
  steps.push(step);
  if (rng.bernoulli(0.5)) steps.push({ op: 'square', args: [`v${steps.length - 1}`] });
  const outShape = valueShapes({ inputs, steps, direction: [] }).get(`v${steps.length - 1}`)!;
  const direction = Array.from({ length: sizeOf(outShape) }, () => Math.fround(rng.uniformIn(-1, 1)));
  return { inputs, steps, direction };
}

/** `perOp` programs for every op of SHAPE_OPS. */
export function shapePrograms(rng: Rng, perOp: number): Program[] {
  return SHAPE_OPS.flatMap((op) => Array.from({ length: perOp }, () => shapeProgram(rng, op)));
}
