/**
 * nn.Module: a tree of sub-modules and named parameters, with PyTorch's names
 * (parameters, namedParameters, train/eval, stateDict/loadStateDict, zeroGrad).
 */
import type { Rng } from '../tensor/rng.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export abstract class Module {
  /** Training mode (dropout active); set by train() / eval() on the whole tree. */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly bufs = new Map<string, Tensor>();
  private readonly modules = new Map<string, Module>();
  private readonly streams = new Map<string, Rng>();

  abstract forward(x: Tensor): Tensor;

  /** Registers `t` as a trainable parameter (requiresGrad is set) and returns it. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkFree(name);
    t.requiresGrad = true;
    t.name = name;
    this.params.set(name, t);
    return t;
  }

  private checkFree(name: string): void {
    if (this.params.has(name) || this.bufs.has(name) || this.modules.has(name)) throw new Error(`${this.constructor.name}: '${name}' is already registered`);
  }

  /**
   * Registers `t` as a buffer: state that is saved and loaded with the parameters (stateDict,
   * checkpoints) but is not trained (a BatchNorm's running statistics). requiresGrad stays false.
   */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkFree(name);
    t.requiresGrad = false;
    t.name = name;
    this.bufs.set(name, t);
    return t;
  }

  /** Registers a random stream the module draws from while it runs (a Dropout's masks), so that rngs() lists it. */
  protected registerRng(name: string, rng: Rng): Rng {
    if (this.streams.has(name)) throw new Error(`${this.constructor.name}: Rng '${name}' is already registered`);
    this.streams.set(name, rng);
    return rng;
  }

  /**
   * The random streams of this module and then of every descendant, in registration order: what a
   * checkpoint saves and restores besides the parameters so that a resumed run draws the same masks.
   */
  rngs(): Rng[] {
    return [...this.streams.values(), ...this.children().flatMap((m) => m.rngs())];
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkFree(name);
    this.modules.set(name, m);
    return m;
  }

  /** [dotted.name, parameter] for this module and every descendant, in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix + n, p]);
    for (const [n, m] of this.modules) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** [dotted.name, buffer] for this module and every descendant, in registration order. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, b] of this.bufs) out.push([prefix + n, b]);
    for (const [n, m] of this.modules) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /**
   * Everything a stateDict or a checkpoint holds, without copies: each module's parameters, then
   * its buffers, then its children's (PyTorch's order).
   */
  namedState(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix + n, p]);
    for (const [n, b] of this.bufs) out.push([prefix + n, b]);
    for (const [n, m] of this.modules) out.push(...m.namedState(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  children(): Module[] {
    return [...this.modules.values()];
  }

  namedChildren(): [string, Module][] {
    return [...this.modules.entries()];
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.modules.values()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameter or buffer name → tensor holding a copy of its values. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedState().map(([n, p]) => [n, new Tensor(p.data.slice(), p.shape)]));
  }

  /**
   * Copies values into the parameters and buffers (in place, so optimisers keep working). With
   * strict (the default) every parameter and buffer must be present and nothing else; shapes must
   * always match.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor> | Record<string, Tensor>, { strict = true } = {}): void {
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = new Map(this.namedState());
    if (strict) {
      const missing = [...own.keys()].filter((k) => !entries.has(k));
      const unexpected = [...entries.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new Error(`loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
      }
    }
    // Check every shape before copying anything, so that a failed load leaves the module as it was.
    const copies: [Tensor, Tensor][] = [];
    for (const [name, value] of entries) {
      const p = own.get(name);
      if (!p) continue;
      if (!sameShape(p.shape, value.shape)) throw new Error(`loadStateDict: '${name}' has shape ${fmt(p.shape)} but the state has ${fmt(value.shape)}`);
      copies.push([p, value]);
    }
    for (const [p, value] of copies) {
      p.data.set(value.data);
      p.version++;
    }
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }
}
