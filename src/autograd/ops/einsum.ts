/**
 * einsum for the contractions a lesson writes: 'ij,jk->ik', 'bij,bjk->bik', 'i,i->', 'ij->ji',
 * 'ij->j', 'i,j->ij', 'bhqd,bhkd->bhqk', and any number of operands (contracted left to right).
 * Each step lowers to ops already in the registry: sum over the letters no one else needs, permute,
 * reshape, a (batched) matmul, reshape and permute to the output order; so the gradient is
 * theirs. Not supported (a clear error): a letter repeated within one operand (a diagonal, 'ii->i'
 * or the trace 'ii->'), '...' (ellipsis), and size-1 broadcasting between operands (a letter must
 * have the same size everywhere).
 */
import { fmt } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';

interface Term {
  letters: string[];
  t: Tensor;
}

function parse(spec: string, n: number): { inputs: string[][]; output: string[] } {
  const clean = spec.replace(/\s+/g, '');
  if (clean.includes('.')) throw new Error(`einsum: '${spec}': ellipsis ('...') is not supported; name every axis with a letter`);
  const [lhs, rhs, extra] = clean.split('->');
  if (extra !== undefined) throw new Error(`einsum: '${spec}' has more than one '->'`);
  const inputs = lhs.split(',').map((s) => [...s]);
  for (const letters of [...inputs, ...(rhs === undefined ? [] : [[...rhs]])]) {
    const bad = letters.find((c) => !/^[a-zA-Z]$/.test(c));
    if (bad !== undefined) throw new Error(`einsum: '${spec}': '${bad}' is not a letter (axes are named by single letters)`);
  }
  if (inputs.length !== n) throw new Error(`einsum: '${spec}' names ${inputs.length} operand(s) but ${n} tensor(s) were given`);
  inputs.forEach((letters, k) => {
    const seen = new Set<string>();
    for (const c of letters) {
      if (seen.has(c)) throw new Error(`einsum: '${spec}': letter '${c}' repeats in operand ${k} (a diagonal or trace, e.g. 'ii->i') is not supported`);
      seen.add(c);
    }
  });
  let output: string[];
  if (rhs === undefined) {
    // Implicit output, as in NumPy and PyTorch: the letters that appear once, in alphabetical order.
    const count = new Map<string, number>();
    for (const c of inputs.flat()) count.set(c, (count.get(c) ?? 0) + 1);
    output = [...count].filter(([, k]) => k === 1).map(([c]) => c).sort();
  } else {
    output = [...rhs];
    const all = new Set(inputs.flat());
    const seen = new Set<string>();
    for (const c of output) {
      if (!all.has(c)) throw new Error(`einsum: '${spec}': output letter '${c}' appears in no operand`);
      if (seen.has(c)) throw new Error(`einsum: '${spec}': output letter '${c}' repeats`);
      seen.add(c);
    }
  }
  return { inputs, output };
}

/** Sums the letters of a term that are not in `keep`. */
function sumOut(term: Term, keep: Set<string>): Term {
  const axes = term.letters.map((c, i) => (keep.has(c) ? -1 : i)).filter((i) => i >= 0);
  if (axes.length === 0) return term;
  return { letters: term.letters.filter((c) => keep.has(c)), t: term.t.sum(axes) };
}

/** Permutes a term's axes to the given letter order. */
function arrange(term: Term, order: readonly string[]): Tensor {
  const perm = order.map((c) => term.letters.indexOf(c));
  return perm.every((p, i) => p === i) ? term.t : term.t.permute(perm);
}

/** A · B over their shared letters: batch (kept) letters first, then A's, then B's free letters. */
function contract(a: Term, b: Term, keep: Set<string>, size: Map<string, number>): Term {
  const inB = new Set(b.letters);
  const inA = new Set(a.letters);
  const batch = a.letters.filter((c) => inB.has(c) && keep.has(c));
  const inner = a.letters.filter((c) => inB.has(c) && !keep.has(c));
  const freeA = a.letters.filter((c) => !inB.has(c));
  const freeB = b.letters.filter((c) => !inA.has(c));
  const prod = (cs: string[]) => cs.reduce((p, c) => p * size.get(c)!, 1);
  const A = arrange(a, [...batch, ...freeA, ...inner]).reshape([prod(batch), prod(freeA), prod(inner)]);
  const B = arrange(b, [...batch, ...inner, ...freeB]).reshape([prod(batch), prod(inner), prod(freeB)]);
  const letters = [...batch, ...freeA, ...freeB];
  return { letters, t: A.matmul(B).reshape(letters.map((c) => size.get(c)!)) };
}

/** Einstein summation over letter-named axes (see the header for what is supported). */
export function einsum(spec: string, ...operands: Tensor[]): Tensor {
  if (typeof spec !== 'string') throw new TypeError('einsum: the first argument is the subscript string, e.g. \'ij,jk->ik\'');
  const { inputs, output } = parse(spec, operands.length);
  const size = new Map<string, number>();
  inputs.forEach((letters, k) => {
    const t = operands[k];
    if (t.ndim !== letters.length) throw new Error(`einsum: '${spec}': operand ${k} has shape ${fmt(t.shape)}, but '${letters.join('')}' names ${letters.length} axes`);
    letters.forEach((c, i) => {
      const d = size.get(c);
      if (d !== undefined && d !== t.shape[i]) throw new Error(`einsum: '${spec}': letter '${c}' has size ${d} in one place and ${t.shape[i]} in operand ${k} (shape ${fmt(t.shape)}); sizes must match (no broadcasting)`);
      size.set(c, t.shape[i]);
    });
  });
  const needed = (from: number) => new Set([...output, ...inputs.slice(from).flat()]);
  let acc = sumOut({ letters: inputs[0], t: operands[0] }, needed(1));
  for (let k = 1; k < operands.length; k++) {
    const keep = needed(k + 1);
    const next = sumOut({ letters: inputs[k], t: operands[k] }, new Set([...keep, ...acc.letters]));
    acc = sumOut(contract(sumOut(acc, new Set([...keep, ...next.letters])), next, keep, size), keep);
  }
  return arrange(acc, output);
}
