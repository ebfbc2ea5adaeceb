/**
 * Pictures of the recorded graph for explain(): Graphviz DOT, and an SVG laid out by dagre
 * (@dagrejs/dagre, a pure-JavaScript layered layout that runs synchronously in Node and in
 * browsers) and written here from the layout's node positions and edge points.
 *
 * A graph larger than `maxNodes` is drawn smaller: runs of repeated structure (a long chain, a
 * stack of identical layers) become one box "×N", and if that is not enough the earliest nodes
 * are replaced by one box "⋯ N earlier nodes".
 */
import { graphlib, layout } from '@dagrejs/dagre';
import { euclideanNorm } from '../tensor/norm.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { nodeOf, topoSort } from './engine.js';

export type NodeKind = 'leaf' | 'const' | 'op' | 'collapsed' | 'elided';

/** One node of the picture. */
export interface PictureNode {
  /** As in the text format (x0, t3, or the tensor's name); a collapsed box is "first..last". */
  name: string;
  kind: NodeKind;
  /** The op's name; 'leaf' or 'const'; a box's op sequence, space-separated. */
  op: string;
  /** The op's derivative text from the registry (a box: one "op: derivative" line per op). */
  derivative?: string;
  shape: string;
  /** Short value summary: a scalar's value, up to four values, or min / mean / max. */
  value: string;
  /** ‖grad‖ (leaves) or ‖∂L/∂out‖ (ops) after backward(), as in the text format. */
  grad?: string;
  /** Positions in the backward pass (reverse topological order) of the tensors it stands for. */
  backward: number[];
  /** Names of the tensors a box stands for. */
  members?: string[];
  /** A box: how many times the repeated block occurs (collapsed) or how many nodes it hides (elided). */
  count?: number;
  /** The box's summary line ("12 ops, 8 leaves"). */
  note?: string;
  root?: boolean;
}

export interface PictureEdge {
  from: string;
  to: string;
  /** The argument position when the op has several inputs, or "×n" for n merged edges. */
  label?: string;
  /** An input the op does not differentiate (where's condition). */
  nondiff?: boolean;
}

export interface Picture {
  nodes: PictureNode[];
  edges: PictureEdge[];
}

interface Item {
  t: Tensor;
  name: string;
  kind: 'leaf' | 'const' | 'op';
  inputs: number[];
  consumers: number[];
  backward?: number;
}

export const DEFAULT_MAX_NODES = 100;

/** The graph behind root as nodes and edges, collapsed to at most maxNodes nodes. */
export function buildPicture(root: Tensor, maxNodes = DEFAULT_MAX_NODES): Picture {
  if (!(maxNodes >= 2) || (Number.isFinite(maxNodes) && !Number.isInteger(maxNodes))) {
    throw new Error(`explain: maxNodes must be an integer ≥ 2 or Infinity (got ${maxNodes})`);
  }
  const order = root.requiresGrad ? topoSort(root) : [root];
  const items: Item[] = [];
  const index = new Map<Tensor, number>();
  const used = new Set<string>();
  const unique = (name: string): string => {
    let n = name;
    for (let k = 2; used.has(n); k++) n = `${name}_${k}`;
    used.add(n);
    return n;
  };
  let leaves = 0;
  let consts = 0;
  order.forEach((t, i) => {
    const node = root.requiresGrad ? nodeOf(t) : null;
    if (node) {
      const inputs = node.inputs.map((x) => {
        let j = index.get(x);
        if (j === undefined) {
          // An input that requires no gradient: the text format's const[shape].
          j = items.length;
          items.push({ t: x, name: unique(x.name ?? `c${consts++}`), kind: 'const', inputs: [], consumers: [] });
          index.set(x, j);
        }
        return j;
      });
      const k = items.length;
      items.push({ t, name: unique(t.name ?? `t${node.id}`), kind: 'op', inputs, consumers: [], backward: order.length - 1 - i });
      for (const j of inputs) items[j].consumers.push(k);
      index.set(t, k);
    } else {
      index.set(t, items.length);
      const kind = root.requiresGrad ? 'leaf' : 'const';
      items.push({ t, name: unique(t.name ?? (root.requiresGrad ? `x${leaves++}` : 'tensor')), kind, inputs: [], consumers: [], backward: root.requiresGrad ? order.length - 1 - i : undefined });
    }
  });
  const runs = Number.isFinite(maxNodes) && items.length > maxNodes ? findRuns(items) : [];
  return assemble(items, runs, maxNodes);
}

/** A run of repeated blocks: the op items it covers (all segments of the run). */
interface Run {
  ops: number[];
  period: number[]; // the op items of the first block
  count: number;
  /** Leaves and constants the first block reads in place of the previous block's output. */
  entry: Set<number>;
}

/**
 * Repeated structure. An op is a cut when every op before it is consumed no later than it: the
 * graph then passes through that one tensor (every op of a chain, the output of a residual block).
 * The ops between consecutive cuts form a block; a block's signature is its ops and how each
 * input is reached (an op of the block, the previous cut, a leaf, a constant). Consecutive blocks
 * with equal signatures, repeating with a period of up to 8 blocks, form a run; its first block
 * may differ in where its inputs from outside the block come from.
 */
function findRuns(items: Item[]): Run[] {
  const ops = spineOrder(items);
  const position = new Map(ops.map((i, k) => [i, k]));
  const segments: number[][] = [];
  let current: number[] = [];
  let lastUse = -1;
  for (const i of ops) {
    const k = position.get(i)!;
    current.push(i);
    if (lastUse <= k) {
      segments.push(current);
      current = [];
    }
    for (const c of items[i].consumers) lastUse = Math.max(lastUse, position.get(c)!);
  }
  if (current.length > 0) segments.push(current);
  const signatures = (loose: boolean) => segments.map((seg) => {
    const pos = new Map(seg.map((i, k) => [i, k]));
    const from = (j: number) => (pos.has(j) ? `i${pos.get(j)}` : loose ? 'e' : items[j].kind === 'op' ? 'p' : items[j].kind);
    return seg.map((i) => `${nodeOf(items[i].t)!.op.name}(${items[i].inputs.map(from).join(',')})`).join(';');
  });
  const sigs = signatures(false);
  // The first block of a run may take from outside what the others take from the previous block
  // (the first layer reads the data, a constant; the next ones read the previous layer).
  const loose = signatures(true);
  const runs: Run[] = [];
  const claimed = new Set<number>();
  for (let s = 0; s < segments.length; ) {
    let best: { p: number; count: number; cover: number } | null = null;
    for (let p = 1; p <= 8 && s + 2 * p <= segments.length; p++) {
      if (!sameBlock(loose, s, s + p, p)) continue;
      let count = 2;
      while (s + (count + 1) * p <= segments.length && sameBlock(sigs, s + (count - 1) * p, s + count * p, p)) count++;
      if (count < 2) continue;
      let cover = 0;
      for (let k = s; k < s + count * p; k++) cover += segments[k].length;
      if (!best || cover > best.cover) best = { p, count, cover };
    }
    if (!best) {
      s++;
      continue;
    }
    let runOps = segments.slice(s, s + best.count * best.p).flat();
    let first = segments.slice(s, s + best.p).flat();
    let second = segments.slice(s + best.p, s + 2 * best.p).flat();
    let count = best.count;
    // The first block may be cut differently (a residual block whose input is a constant has a cut
    // after its first op): take the ops just before the run if they copy the first block.
    const at = ops.indexOf(runOps[0]);
    const before = ops.slice(Math.max(0, at - first.length), at);
    if (before.length === first.length && before.every((i) => !claimed.has(i)) && copies(items, before, first, new Set([...before, ...runOps]))) {
      [second, first, runOps, count] = [first, before, [...before, ...runOps], count + 1];
    }
    for (const i of runOps) claimed.add(i);
    // What the first block reads where the second reads the block before it stays outside the box.
    const entry = new Set<number>();
    first.forEach((i, k) => items[i].inputs.forEach((j, a) => {
      const jj = items[second[k]].inputs[a];
      if (items[j].kind !== 'op' && items[jj].kind === 'op' && !second.includes(jj)) entry.add(j);
    }));
    runs.push({ ops: runOps, period: first, count, entry });
    s += best.count * best.p;
  }
  return runs;
}

/**
 * The ops in a topological order that follows the longest path: each op's inputs are visited
 * deepest first, so a side branch (x·cᵢ added to a running sum) comes just before the op that
 * reads it and the spine's cuts show. (backward()'s order visits the last input first, which puts
 * all 3000 side branches of such a sum before the sum.)
 */
function spineOrder(items: Item[]): number[] {
  const depth = new Array<number>(items.length).fill(0);
  items.forEach((item, i) => {
    for (const j of item.inputs) if (items[j].kind === 'op') depth[i] = Math.max(depth[i], depth[j] + 1);
  });
  const order: number[] = [];
  const seen = new Set<number>();
  const stack: [number, boolean][] = [[items.length - 1, false]];
  while (stack.length > 0) {
    const [i, expanded] = stack.pop()!;
    if (expanded) {
      order.push(i);
      continue;
    }
    if (seen.has(i)) continue;
    seen.add(i);
    stack.push([i, true]);
    const inputs = [...new Set(items[i].inputs)].filter((j) => items[j].kind === 'op' && !seen.has(j));
    // Popped deepest first; among equally deep inputs, the first argument first.
    inputs.sort((a, b) => depth[a] - depth[b] || items[i].inputs.indexOf(b) - items[i].inputs.indexOf(a));
    for (const j of inputs) stack.push([j, false]);
  }
  return order;
}

/** Whether the ops `a` repeat the ops `b`: same ops, same wiring inside, read only by `within`. */
function copies(items: Item[], a: number[], b: number[], within: Set<number>): boolean {
  const posA = new Map(a.map((i, k) => [i, k]));
  const posB = new Map(b.map((i, k) => [i, k]));
  return a.every((i, k) => {
    const [x, y] = [items[i], items[b[k]]];
    if (nodeOf(x.t)!.op.name !== nodeOf(y.t)!.op.name || x.inputs.length !== y.inputs.length) return false;
    if (!x.consumers.every((c) => within.has(c))) return false;
    return x.inputs.every((j, m) => posA.get(j) === posB.get(y.inputs[m]));
  });
}

function sameBlock(sigs: string[], a: number, b: number, p: number): boolean {
  for (let k = 0; k < p; k++) if (sigs[a + k] !== sigs[b + k]) return false;
  return true;
}

/** Applies the runs that save the most nodes until the picture fits, then elides if still too big. */
function assemble(items: Item[], runs: Run[], maxNodes: number): Picture {
  // A run's members: its ops, and the leaves and constants consumed only inside one of its blocks.
  const candidates = runs.map((run) => {
    // The block of each op: a leaf read by one block only (a layer's weight) goes into the box, one
    // read by several (a shared weight) stays outside.
    const block = new Map(run.ops.map((i, k) => [i, Math.floor(k / run.period.length)]));
    const members = new Set(run.ops);
    for (const i of run.ops) {
      for (const j of items[i].inputs) {
        if (items[j].kind === 'op' || run.entry.has(j)) continue;
        const blocks = new Set(items[j].consumers.map((c) => block.get(c) ?? -1));
        if (blocks.size === 1 && !blocks.has(-1)) members.add(j);
      }
    }
    return { run, members: [...members].sort((a, b) => a - b) };
  });
  candidates.sort((a, b) => b.members.length - a.members.length);
  const boxOf = new Map<number, number>(); // item → index in `chosen`
  const chosen: typeof candidates = [];
  let count = items.length;
  for (const c of candidates) {
    if (count <= maxNodes) break;
    for (const i of c.members) boxOf.set(i, chosen.length);
    chosen.push(c);
    count -= c.members.length - 1;
  }
  // Display nodes in topological order; a box sits where its last member is.
  const nodes: PictureNode[] = [];
  const displayOf = new Map<number, string>();
  const lastOfBox = chosen.map((c) => c.members[c.members.length - 1]);
  const rootIndex = items.length - 1;
  items.forEach((item, i) => {
    const b = boxOf.get(i);
    if (b === undefined) {
      displayOf.set(i, item.name);
      nodes.push(itemNode(item, i === rootIndex));
    } else if (lastOfBox[b] === i) {
      const node = boxNode(items, chosen[b].run, chosen[b].members, i === rootIndex);
      for (const j of chosen[b].members) displayOf.set(j, node.name);
      nodes.push(node);
    }
  });
  const edges = displayEdges(items, displayOf);
  return nodes.length > maxNodes ? elide(nodes, edges, maxNodes) : { nodes, edges };
}

function displayEdges(items: Item[], displayOf: Map<number, string>): PictureEdge[] {
  const edges: PictureEdge[] = [];
  const merged = new Map<string, { edge: PictureEdge; n: number }>();
  const boxes = new Set<string>();
  items.forEach((item, i) => {
    if (displayOf.get(i) !== item.name) boxes.add(displayOf.get(i)!);
  });
  items.forEach((item, i) => {
    const to = displayOf.get(i)!;
    const nondiff = item.kind === 'op' ? nodeOf(item.t)!.op.nondiff : undefined;
    item.inputs.forEach((j, k) => {
      const from = displayOf.get(j)!;
      if (from === to) return;
      if (boxes.has(from) || boxes.has(to)) {
        const key = `${from}\u0000${to}`;
        const m = merged.get(key);
        if (m) m.n++;
        else {
          const edge: PictureEdge = { from, to };
          merged.set(key, { edge, n: 1 });
          edges.push(edge);
        }
        return;
      }
      const edge: PictureEdge = { from, to };
      if (item.inputs.length > 1) edge.label = String(k);
      if (nondiff?.includes(k)) edge.nondiff = true;
      edges.push(edge);
    });
  });
  for (const { edge, n } of merged.values()) if (n > 1) edge.label = `×${n}`;
  return edges;
}

/** Keeps the last maxNodes − 1 nodes (closest to the output) and one box for the rest. */
function elide(nodes: PictureNode[], edges: PictureEdge[], maxNodes: number): Picture {
  const cut = nodes.length - (maxNodes - 1);
  const hidden = nodes.slice(0, cut);
  const hiddenNames = new Set(hidden.map((n) => n.name));
  const box: PictureNode = {
    name: 'elided',
    kind: 'elided',
    op: 'elided',
    shape: '',
    value: '',
    backward: hidden.flatMap((n) => n.backward).sort((a, b) => a - b),
    members: hidden.flatMap((n) => n.members ?? [n.name]),
    count: hidden.reduce((s, n) => s + (n.members?.length ?? 1), 0),
    note: 'raise maxNodes to draw them',
  };
  const kept: PictureEdge[] = [];
  const merged = new Map<string, { edge: PictureEdge; n: number }>();
  for (const e of edges) {
    if (hiddenNames.has(e.to)) continue;
    if (!hiddenNames.has(e.from)) {
      kept.push(e);
      continue;
    }
    const m = merged.get(e.to);
    if (m) m.n++;
    else {
      const edge: PictureEdge = { from: box.name, to: e.to };
      merged.set(e.to, { edge, n: 1 });
      kept.push(edge);
    }
  }
  for (const { edge, n } of merged.values()) if (n > 1) edge.label = `×${n}`;
  return { nodes: [box, ...nodes.slice(cut)], edges: kept };
}

function itemNode(item: Item, root: boolean): PictureNode {
  const { t } = item;
  const node: PictureNode = { name: item.name, kind: item.kind, op: item.kind, shape: fmt(t.shape), value: summary(t.data, t.shape.length), backward: item.backward === undefined ? [] : [item.backward] };
  if (item.kind === 'op') {
    const n = nodeOf(t)!;
    node.op = n.op.name;
    node.derivative = n.op.derivative;
    if (n.gradNorm !== undefined) node.grad = `‖∂L/∂out‖ = ${n.gradNorm.toPrecision(4)}`;
  } else if (item.kind === 'leaf' && t.grad) {
    node.grad = `‖grad‖ = ${euclideanNorm(t.grad.data).toPrecision(4)}`;
  }
  if (root) node.root = true;
  return node;
}

function boxNode(items: Item[], run: Run, members: number[], root: boolean): PictureNode {
  const out = items[run.ops[run.ops.length - 1]];
  const opNames = run.period.map((i) => nodeOf(items[i].t)!.op.name);
  const distinct = [...new Set(opNames)];
  const leafCount = members.length - run.ops.length;
  const first = items[run.ops[0]].name;
  const last = out.name;
  const gradNorm = nodeOf(out.t)!.gradNorm;
  const node: PictureNode = {
    name: `${first}..${last}`,
    kind: 'collapsed',
    op: opNames.join(' '),
    derivative: distinct.map((op) => `${op}: ${nodeOf(items[run.period[opNames.indexOf(op)]].t)!.op.derivative}`).join('\n'),
    shape: fmt(out.t.shape),
    value: summary(out.t.data, out.t.shape.length),
    backward: members.map((i) => items[i].backward).filter((b): b is number => b !== undefined).sort((a, b) => a - b),
    members: members.map((i) => items[i].name),
    count: run.count,
    note: `${run.ops.length} ops${leafCount > 0 ? `, ${leafCount} ${leafCount === 1 ? 'input' : 'inputs'}` : ''}`,
  };
  if (gradNorm !== undefined) node.grad = `‖∂L/∂out‖ = ${gradNorm.toPrecision(4)}`;
  if (root) node.root = true;
  return node;
}

/** A scalar's value, a vector of up to four values, or min / mean / max. */
export function summary(d: Float32Array, rank = 1): string {
  if (d.length === 0) return 'empty';
  if (d.length === 1) return `= ${num(d[0])}`;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of d) {
    if (Number.isNaN(v)) return 'contains NaN';
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  if (min === max) return `all ${num(min)}`;
  if (d.length <= 4 && rank <= 1) return `= [${Array.from(d, num).join(', ')}]`;
  return `min ${num(min)} · mean ${num(sum / d.length)} · max ${num(max)}`;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  const s = a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(2) : v.toPrecision(3);
  return s.replace(/\.?0+(e|$)/, '$1');
}

// ---------------------------------------------------------------------------------------------
// DOT

const COLORS = {
  op: { fill: '#ffffff', stroke: '#475569', title: '#1e3a8a' },
  leaf: { fill: '#ecfdf5', stroke: '#059669', title: '#065f46' },
  const: { fill: '#f8fafc', stroke: '#94a3b8', title: '#475569' },
  collapsed: { fill: '#fffbeb', stroke: '#d97706', title: '#92400e' },
  elided: { fill: '#f1f5f9', stroke: '#94a3b8', title: '#334155' },
} as const;

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function labelLines(n: PictureNode): string[] {
  const lines = [heading(n)];
  if (n.kind === 'collapsed') lines.push(`×${n.count}  (${n.note})`);
  if (n.kind === 'elided') lines.push(n.note!);
  else lines.push(`${n.shape}  ${n.value}`);
  if (n.kind === 'op') lines.push(...wrap(n.derivative!, 44));
  if (n.grad) lines.push(n.grad);
  return lines;
}

function heading(n: PictureNode): string {
  switch (n.kind) {
    case 'op': return `${n.name} = ${n.op}`;
    case 'leaf': return `${n.name}  leaf`;
    case 'const': return `${n.name}  const`;
    case 'collapsed': return n.op.split(' ').join(' → ');
    case 'elided': return `⋯ ${n.count} earlier nodes`;
  }
}

/** Graphviz DOT of the picture. */
export function toDot(p: Picture): string {
  const out = [
    'digraph explain {',
    '  graph [rankdir=TB, bgcolor="white", nodesep=0.3, ranksep=0.4, fontname="DejaVu Sans"];',
    '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10, margin="0.12,0.06"];',
    '  edge [color="#64748b", fontcolor="#64748b", fontsize=9, arrowsize=0.7];',
  ];
  for (const n of p.nodes) {
    const c = COLORS[n.kind];
    const attrs: [string, string][] = [
      ['id', `node-${n.name}`],
      ['class', `node ${n.kind}`],
      ['label', labelLines(n).join('\n')],
      ['fillcolor', c.fill],
      ['color', c.stroke],
    ];
    if (n.kind === 'leaf') attrs.push(['shape', 'ellipse'], ['style', 'filled']);
    if (n.kind === 'const') attrs.push(['style', 'rounded,filled,dashed']);
    if (n.kind === 'collapsed') attrs.push(['shape', 'box3d'], ['style', 'filled']);
    if (n.kind === 'elided') attrs.push(['style', 'rounded,filled,dashed']);
    if (n.root) attrs.push(['penwidth', '2']);
    if (n.derivative !== undefined) attrs.push(['tooltip', n.derivative]);
    if (n.backward.length > 0 && n.kind !== 'collapsed' && n.kind !== 'elided') attrs.push(['comment', `backward ${n.backward.join(' ')}`]);
    out.push(`  ${dotString(n.name)} [${attrs.map(([k, v]) => `${k}=${dotString(v)}`).join(', ')}];`);
  }
  for (const e of p.edges) {
    const attrs: string[] = [];
    if (e.label !== undefined) attrs.push(`label=${dotString(e.label)}`);
    if (e.nondiff) attrs.push('style="dashed"');
    out.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  out.push('}');
  return out.join('\n');
}

/** Breaks text after ", " or ":" or before "⇒" so that lines stay near `width` characters. */
export function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const parts = text.split(/(?<=, |: )|(?=\s+⇒)/);
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line && (line + part).trimEnd().length > width) {
      lines.push(line.trimEnd());
      line = part.trimStart();
    } else line += part;
  }
  if (line) lines.push(line.trimEnd());
  return lines;
}

// ---------------------------------------------------------------------------------------------
// SVG

const FONT = "'DejaVu Sans', Verdana, 'Segoe UI', system-ui, sans-serif";
const SIZE = { title: 13, body: 11, deriv: 10.5, edge: 10 };
const LINE = 1.35;
const PAD_X = 12;
const PAD_Y = 8;

/** Width of text in DejaVu Sans (the widest of the fonts in FONT), estimated per character. */
function textWidth(s: string, size: number, bold = false): number {
  let w = 0;
  for (const ch of s) {
    if (ch === ' ') w += 0.32;
    else if (/[A-Z]/.test(ch)) w += 0.7;
    else if (/[0-9]/.test(ch)) w += 0.64;
    else if (/[a-z]/.test(ch)) w += ch === 'm' || ch === 'w' ? 0.88 : /[ijlft]/.test(ch) ? 0.34 : 0.57;
    else if (/[.,:;|'!()[\]]/.test(ch)) w += 0.38;
    else w += 0.7;
  }
  return w * size * (bold ? 1.1 : 1);
}

interface Line {
  text: string;
  cls: string;
  size: number;
  bold?: boolean;
}

function svgLines(n: PictureNode): Line[] {
  const lines: Line[] = [{ text: heading(n), cls: 'title', size: SIZE.title, bold: true }];
  if (n.kind === 'collapsed') lines.push({ text: `×${n.count}  ·  ${n.note}`, cls: 'count', size: SIZE.body, bold: true });
  if (n.kind === 'elided') lines.push({ text: n.note!, cls: 'value', size: SIZE.body });
  else lines.push({ text: `${n.shape}  ${n.value}`, cls: 'value', size: SIZE.body });
  if (n.kind === 'op') for (const l of wrap(n.derivative!, 44)) lines.push({ text: l, cls: 'deriv', size: SIZE.deriv });
  if (n.grad) lines.push({ text: n.grad, cls: 'grad', size: SIZE.body, bold: true });
  return lines;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const STYLE = `
.gg-graph { font-family: ${FONT}; }
.gg-graph .node .box { stroke-width: 1.3; }
.gg-graph .node.op .box { fill: ${COLORS.op.fill}; stroke: ${COLORS.op.stroke}; }
.gg-graph .node.leaf .box { fill: ${COLORS.leaf.fill}; stroke: ${COLORS.leaf.stroke}; }
.gg-graph .node.const .box { fill: ${COLORS.const.fill}; stroke: ${COLORS.const.stroke}; stroke-dasharray: 4 3; }
.gg-graph .node.collapsed .box, .gg-graph .node.collapsed .stack { fill: ${COLORS.collapsed.fill}; stroke: ${COLORS.collapsed.stroke}; }
.gg-graph .node.elided .box { fill: ${COLORS.elided.fill}; stroke: ${COLORS.elided.stroke}; stroke-dasharray: 4 3; }
.gg-graph .node.root .box { stroke-width: 2.4; }
.gg-graph .node.active .box { stroke: #dc2626; stroke-width: 3; }
.gg-graph .node.active { filter: drop-shadow(0 0 4px rgba(220, 38, 38, 0.45)); }
.gg-graph text { text-anchor: middle; dominant-baseline: central; white-space: pre; }
.gg-graph .title { font-weight: bold; fill: ${COLORS.op.title}; }
.gg-graph .leaf .title { fill: ${COLORS.leaf.title}; }
.gg-graph .const .title { fill: ${COLORS.const.title}; }
.gg-graph .collapsed .title, .gg-graph .collapsed .count { fill: ${COLORS.collapsed.title}; }
.gg-graph .elided .title { fill: ${COLORS.elided.title}; }
.gg-graph .count { font-weight: bold; }
.gg-graph .value { fill: #334155; }
.gg-graph .deriv { fill: #6b7280; font-style: italic; }
.gg-graph .grad { fill: #b91c1c; font-weight: bold; }
.gg-graph .edge { fill: none; stroke: #94a3b8; stroke-width: 1.3; }
.gg-graph .edge.nondiff { stroke-dasharray: 4 3; }
.gg-graph .edge-label { fill: #64748b; }
`;

/** An SVG of the picture, laid out by dagre. */
export function toSvg(p: Picture): string {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 34, edgesep: 12, marginx: 14, marginy: 14 });
  const lines = new Map<string, Line[]>();
  for (const n of p.nodes) {
    const ls = svgLines(n);
    lines.set(n.name, ls);
    const width = Math.max(...ls.map((l) => textWidth(l.text, l.size, l.bold))) + 2 * PAD_X + (n.kind === 'leaf' ? 16 : 0) + (n.kind === 'collapsed' ? 6 : 0);
    const height = ls.reduce((s, l) => s + l.size * LINE, 0) + 2 * PAD_Y + (n.kind === 'collapsed' ? 6 : 0);
    g.setNode(n.name, { width: Math.ceil(width), height: Math.ceil(height) });
  }
  p.edges.forEach((e, k) => {
    const labelled = e.label !== undefined;
    g.setEdge(e.from, e.to, { width: labelled ? textWidth(e.label!, SIZE.edge) + 6 : 0, height: labelled ? SIZE.edge + 4 : 0, labelpos: 'c' }, `e${k}`);
  });
  layout(g);
  untangleParallelEdges(g, p.edges);
  const W = Math.ceil(g.graph().width ?? 0);
  const H = Math.ceil(g.graph().height ?? 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="gg-graph" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<style>${STYLE}</style>`,
    '<defs><marker id="gg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker></defs>',
    `<rect class="background" width="${W}" height="${H}" fill="#ffffff"/>`,
    '<g class="edges">',
  ];
  p.edges.forEach((e, k) => {
    const le = g.edge({ v: e.from, w: e.to, name: `e${k}` });
    const pts = le.points ?? [];
    out.push(`<path class="edge${e.nondiff ? ' nondiff' : ''}" data-from="${xml(e.from)}" data-to="${xml(e.to)}" d="${curve(pts)}" marker-end="url(#gg-arrow)"/>`);
    if (e.label !== undefined && le.x !== undefined && le.y !== undefined) {
      out.push(`<text class="edge-label" x="${r(le.x)}" y="${r(le.y)}" font-size="${SIZE.edge}">${xml(e.label)}</text>`);
    }
  });
  out.push('</g>', '<g class="nodes">');
  for (const n of p.nodes) {
    const { x, y, width, height } = g.node(n.name) as { x: number; y: number; width: number; height: number };
    const ls = lines.get(n.name)!;
    const cls = `node ${n.kind}${n.root ? ' root' : ''}`;
    const data = [
      `data-name="${xml(n.name)}"`,
      `data-kind="${n.kind}"`,
      `data-op="${xml(n.op)}"`,
      `data-shape="${xml(n.shape)}"`,
      n.backward.length > 0 ? `data-backward="${n.backward.join(' ')}"` : '',
      n.members ? `data-members="${xml(n.members.join(' '))}"` : '',
      n.count !== undefined ? `data-count="${n.count}"` : '',
    ].filter(Boolean).join(' ');
    out.push(`<g class="${cls}" id="node-${xml(n.name)}" ${data}>`);
    const tip = [heading(n), n.derivative, n.grad].filter(Boolean).join('\n');
    out.push(`<title>${xml(tip)}</title>`);
    const bx = x - width / 2;
    const by = y - height / 2;
    let bw = width;
    let bh = height;
    if (n.kind === 'collapsed') {
      // A stack of cards: two offset outlines behind the box.
      bw -= 6;
      bh -= 6;
      out.push(`<rect class="stack" x="${r(bx + 6)}" y="${r(by + 6)}" width="${r(bw)}" height="${r(bh)}" rx="6"/>`);
      out.push(`<rect class="stack" x="${r(bx + 3)}" y="${r(by + 3)}" width="${r(bw)}" height="${r(bh)}" rx="6"/>`);
    }
    const radius = n.kind === 'leaf' ? Math.min(bh / 2, 22) : 6;
    out.push(`<rect class="box" x="${r(bx)}" y="${r(by)}" width="${r(bw)}" height="${r(bh)}" rx="${r(radius)}"/>`);
    const total = ls.reduce((s, l) => s + l.size * LINE, 0);
    let ty = by + bh / 2 - total / 2;
    const cx = bx + bw / 2;
    for (const l of ls) {
      const lh = l.size * LINE;
      out.push(`<text class="${l.cls}" x="${r(cx)}" y="${r(ty + lh / 2)}" font-size="${l.size}">${xml(l.text)}</text>`);
      ty += lh;
    }
    out.push('</g>');
  }
  out.push('</g>', '</svg>');
  return out.join('\n');
}

/**
 * Parallel edges (matmul(x, x)) get their argument labels left to right: dagre orders the dummy
 * nodes of parallel edges arbitrarily, and their geometries are interchangeable.
 */
function untangleParallelEdges(g: graphlib.Graph, edges: PictureEdge[]): void {
  const groups = new Map<string, number[]>();
  edges.forEach((e, k) => {
    const key = `${e.from}\u0000${e.to}`;
    groups.set(key, [...(groups.get(key) ?? []), k]);
  });
  for (const [, ks] of groups) {
    if (ks.length < 2) continue;
    const geoms = ks.map((k) => {
      const l = g.edge({ v: edges[k].from, w: edges[k].to, name: `e${k}` });
      return { points: l.points, x: l.x, y: l.y };
    });
    geoms.sort((a, b) => (a.x ?? 0) - (b.x ?? 0));
    ks.forEach((k, i) => Object.assign(g.edge({ v: edges[k].from, w: edges[k].to, name: `e${k}` }), geoms[i]));
  }
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** A smooth path through dagre's edge points (quadratic pieces through the midpoints). */
function curve(pts: { x: number; y: number }[]): string {
  if (pts.length === 0) return '';
  let d = `M${r(pts[0].x)},${r(pts[0].y)}`;
  if (pts.length === 2) return `${d} L${r(pts[1].x)},${r(pts[1].y)}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const mx = (pts[i].x + pts[i + 1].x) / 2;
    const my = (pts[i].y + pts[i + 1].y) / 2;
    d += i === pts.length - 2 ? ` Q${r(pts[i].x)},${r(pts[i].y)} ${r(pts[i + 1].x)},${r(pts[i + 1].y)}` : ` Q${r(pts[i].x)},${r(pts[i].y)} ${r(mx)},${r(my)}`;
  }
  return d;
}
