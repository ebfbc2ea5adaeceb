/**
 * Reverse-mode autodiff over a dynamically recorded graph.
 *
 * Every differentiable op is an `OpDef`: a forward that computes values (through the kernels)
 * and a vector-Jacobian product (VJP) that maps the gradient of the output to the gradients of
 * the inputs. `apply` runs the forward and, when some input requires a gradient, records a
 * `Node` in the output's `ctx`. `backward` sorts the recorded nodes topologically (iteratively,
 * so a chain of 100,000 ops needs no deep recursion) and runs the VJPs in reverse.
 */
import { engine, withFlag } from '../tensor/context.js';
import { kernels } from '../tensor/kernels.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';

export interface Probe<A> {
  inputs: Tensor[];
  attrs: A;
}

export interface OpDef<A = any, S = any> {
  name: string;
  /** The derivative in mathematical notation (drives the generated op table and explain()). */
  derivative: string;
  /**
   * Computes the output. `save` keeps something the VJP needs beyond inputs, output and attrs (a
   * max-pooling's argmax); it is recorded with the node only when a graph is recorded.
   */
  forward(inputs: Tensor[], attrs: A, save: (saved: S) => void): Tensor;
  /**
   * Gradients of the inputs given the gradient `g` of the output (null: no gradient). `saved` is
   * what the forward saved, or undefined when it saved nothing.
   */
  vjp(g: Tensor, inputs: Tensor[], out: Tensor, attrs: A, saved: S | undefined): (Tensor | null)[];
  /** Random inputs for the gradcheck property test: shapes, broadcasting, away from kinks. */
  probe(rng: Rng): Probe<A>;
  /** Inputs that never receive a gradient (an index, a condition). */
  nondiff?: readonly number[];
}

/** What `apply` records in `out.ctx`. */
export interface Node {
  op: OpDef;
  inputs: Tensor[];
  attrs: unknown;
  id: number;
  /** ‖∂L/∂out‖₂ from the last backward pass (for explain()). */
  gradNorm?: number;
  /** The inputs' versions at the forward pass; backward() checks them (see Tensor.version). */
  versions: number[];
  /** What the forward passed to `save` (dropped when the graph is freed). */
  saved?: unknown;
  /** Set by a backward() without retainGraph: the graph may not be back-propagated through again. */
  freed?: boolean;
}

export interface BackwardOptions {
  /** Gradient of the output (default 1 for a one-element output). */
  seed?: Tensor;
  /** Keep the graph for another backward() through it (PyTorch's retain_graph). */
  retainGraph?: boolean;
}

export const registry = new Map<string, OpDef>();

/** Registers an op (once) and returns a function that applies it. */
export function defineOp<A = undefined, S = never>(def: OpDef<A, S>): (inputs: Tensor[], attrs: A) => Tensor {
  if (registry.has(def.name)) throw new Error(`defineOp: op '${def.name}' is already registered`);
  registry.set(def.name, def as OpDef);
  return (inputs, attrs) => apply(def, inputs, attrs);
}

let nextId = 0;

export function isGradEnabled(): boolean {
  return engine.gradEnabled;
}

/** Runs fn without recording the graph (for evaluation and in-place parameter updates). */
export function noGrad<T>(fn: () => T): T {
  return withFlag('gradEnabled', false, fn);
}

/**
 * Runs `fn` with backward() keeping no gradient norms for explain(). The training loop runs its
 * steps so: nothing can picture a step's graph, and the norms are a pass over every gradient
 * (2–4 % of a step, measured on the bayes-prior, DCIM and DRMM steps).
 */
export function withoutGradNorms<T>(fn: () => T): T {
  return withFlag('gradNorms', false, fn);
}

/**
 * Anomaly mode: every op checks its output (forward) and its input gradients (backward) for
 * NaN or ±Infinity and throws naming the first op that produced one from finite values.
 */
export function setAnomalyMode(on: boolean): void {
  engine.anomaly = on;
}

/** Runs fn in anomaly mode (see setAnomalyMode) and restores the previous mode afterwards. */
export function detectAnomaly<T>(fn: () => T): T {
  return withFlag('anomaly', true, fn);
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

function allFinite(ts: readonly (Tensor | null)[]): boolean {
  return ts.every((t) => t === null || firstNonFinite(t) < 0);
}

function anomalyError(op: string, pass: string, t: Tensor, shapes: string): Error {
  const i = firstNonFinite(t);
  return new Error(`anomaly: ${op} produced ${t.data[i]} in its ${pass} at flat index ${i} of shape ${fmt(t.shape)} (inputs ${shapes})`);
}

export function apply<A, S>(def: OpDef<A, S>, inputs: Tensor[], attrs: A): Tensor {
  let saved: S | undefined;
  const out = def.forward(inputs, attrs, (s) => { saved = s; });
  // Inside a VJP the check is left to backward(), which names the op whose gradient it is.
  if (engine.anomaly && !engine.inBackward && firstNonFinite(out) >= 0 && allFinite(inputs)) {
    throw anomalyError(def.name, 'forward', out, inputs.map((t) => fmt(t.shape)).join(', '));
  }
  if (engine.gradEnabled && inputs.some((t, i) => t.requiresGrad && !def.nondiff?.includes(i))) {
    out.requiresGrad = true;
    out.ctx = { op: def, inputs, attrs, id: nextId++, versions: inputs.map((t) => t.version), saved } satisfies Node;
  }
  return out;
}

export function nodeOf(t: Tensor): Node | null {
  return t.ctx as Node | null;
}

/** Tensors reachable from `root` in topological order (inputs before outputs), iteratively. */
export function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    const node = nodeOf(t);
    if (node) for (const x of node.inputs) if (x.requiresGrad && !seen.has(x)) stack.push([x, false]);
  }
  return order;
}

function norm(t: Tensor): number {
  return Math.sqrt(kernels().sumOfSquares(t.data));
}

/**
 * Back-propagates from `root`. A one-element root defaults to seed 1; any other root needs a seed
 * of its shape. Gradients accumulate (+=) into `.grad` of every leaf that requires one. As in
 * PyTorch, the graph is freed afterwards: a second backward() through any part of it throws
 * unless the first passed `retainGraph: true`; and a graph whose saved inputs the library has since
 * modified in place (an optimiser step) throws instead of returning gradients of stale values.
 */
export function backward(root: Tensor, seedOrOptions?: Tensor | BackwardOptions): void {
  const { seed: given, retainGraph = false } = seedOrOptions instanceof Tensor ? { seed: seedOrOptions } : (seedOrOptions ?? {});
  let seed = given;
  if (!root.requiresGrad) {
    throw new Error(`backward: tensor of shape ${fmt(root.shape)} does not require grad (no input had requiresGrad: true)`);
  }
  if (!seed) {
    if (root.size !== 1) {
      throw new Error(`backward: output of shape ${fmt(root.shape)} is not a scalar; pass a seed gradient of shape ${fmt(root.shape)}`);
    }
    seed = new Tensor(new Float32Array([1]), root.shape);
  } else if (!sameShape(seed.shape, root.shape)) {
    throw new Error(`backward: seed of shape ${fmt(seed.shape)} does not match output shape ${fmt(root.shape)}`);
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const order = topoSort(root);
  checkGraph(order); // before any gradient is accumulated, so a refused call changes nothing
  withFlag('inBackward', true, () => noGrad(() => runBackward(order, grads)));
  if (!retainGraph) {
    for (const t of order) {
      const node = nodeOf(t);
      if (node) [node.freed, node.saved] = [true, undefined];
    }
  }
}

/** Every node of the graph still usable: not freed by an earlier backward, inputs not modified since the forward. */
function checkGraph(order: readonly Tensor[]): void {
  for (const t of order) {
    const node = nodeOf(t);
    if (!node) continue;
    if (node.freed) {
      throw new Error(`backward: trying to backward through the graph a second time: the graph of ${node.op.name} (output ${fmt(t.shape)}) was freed by an earlier backward(); pass { retainGraph: true } to that call to keep it`);
    }
    node.inputs.forEach((x, k) => {
      if (x.version !== node.versions[k]) {
        throw new Error(`backward: input ${k} of ${node.op.name} (shape ${fmt(x.shape)}) was modified in place after the forward pass (version ${node.versions[k]} → ${x.version}, e.g. by an optimiser step); its gradient would use the new values: run the forward pass again`);
      }
    });
  }
}

/** Runs the VJPs in reverse topological order, accumulating gradients per tensor. */
function runBackward(order: Tensor[], grads: Map<Tensor, Tensor>): void {
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t); // free intermediate gradients as soon as they are consumed
    const node = nodeOf(t);
    if (!node) {
      t.grad = t.grad ? addInto(t.grad, g) : copy(g);
      continue;
    }
    if (engine.gradNorms) node.gradNorm = norm(g);
    const gi = node.op.vjp(g, node.inputs, t, node.attrs, node.saved);
    node.inputs.forEach((x, k) => {
      const gk = gi[k];
      if (!gk || !x.requiresGrad || node.op.nondiff?.includes(k)) return;
      if (!sameShape(gk.shape, x.shape)) {
        throw new Error(`backward: vjp of ${node.op.name} returned shape ${fmt(gk.shape)} for input ${k} of shape ${fmt(x.shape)}`);
      }
      if (engine.anomaly && firstNonFinite(gk) >= 0 && firstNonFinite(g) < 0) {
        throw anomalyError(node.op.name, 'backward (gradient of input ' + k + ')', gk, node.inputs.map((u) => fmt(u.shape)).join(', '));
      }
      const prev = grads.get(x);
      grads.set(x, prev ? addInto(prev, gk) : gk);
    });
  }
}

function copy(t: Tensor): Tensor {
  return new Tensor(t.data.slice(), t.shape);
}

/** acc + g in a fresh buffer (acc may alias a tensor the user still holds). */
function addInto(acc: Tensor, g: Tensor): Tensor {
  const out = new Float32Array(acc.size);
  kernels().binary('add', acc.data, acc.shape, g.data, g.shape, out, acc.shape);
  return new Tensor(out, acc.shape);
}
