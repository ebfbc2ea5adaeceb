/**
 * Optimisers (PyTorch's optim namespace). They update parameters in place from `.grad`, so
 * reshaped views of a parameter see the new values.
 */
import { kernels } from '../tensor/kernels.js';
import { Tensor } from '../tensor/tensor.js';

/** An optimiser's progress (to resume training exactly): step count, latest lr and its buffers. */
export interface OptimizerState {
  stepCount: number;
  lr: number;
  /** '<buffer>.<parameter index>' → values (e.g. 'm.0', 'v.0' for Adam); unallocated buffers are absent. */
  buffers: Map<string, Tensor>;
}

export interface OptimizerOptions {
  lr: number;
  weightDecay?: number;
  /**
   * After each update, set every parameter that has become subnormal (0 < |w| < 2⁻¹²⁶, the float32
   * normal minimum) to a zero of its sign, as a CPU in flush-to-zero mode would (TensorFlow's CPU
   * kernels and GPUs run so). Weight decay pulls the weights of units that get no gradient through
   * the subnormal range, and x86 multiplies subnormals in microcode: a GEMM reading 55 % subnormal
   * weights took 236–260 ms instead of 3.5–5.2 (measured, 32×2048×512); WebAssembly cannot switch
   * the CPU's flush-to-zero mode on. Such weights are below every float32 sum they enter. Default
   * false: IEEE arithmetic, as PyTorch (torch.set_flush_denormal is off by default).
   */
  flushSubnormals?: boolean;
  /** Learning-rate schedule: called before every step with the step index (0-based) and the base lr. */
  schedule?: (step: number, baseLr: number) => number;
}

function checkRate(op: string, name: string, v: number, { allowZero = true } = {}): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new Error(`${op}: ${name} must be a finite number ${allowZero ? '≥ 0' : '> 0'}, got ${v}`);
}

/** Sets every subnormal float of w (exponent bits all zero, mantissa not) to the zero of its sign. */
export function flushSubnormals(w: Float32Array): void {
  const bits = new Int32Array(w.buffer, w.byteOffset, w.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f800000) === 0) bits[i] &= 0x80000000;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  readonly baseLr: number;
  /** The learning rate of the latest step (after the schedule). */
  lr: number;
  stepCount = 0;
  protected readonly weightDecay: number;
  private readonly flush: boolean;
  private readonly schedule?: OptimizerOptions['schedule'];

  constructor(params: Iterable<Tensor>, opts: OptimizerOptions) {
    const name = this.constructor.name;
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${name}: got an empty parameter list`);
    checkRate(name, 'lr', opts.lr);
    checkRate(name, 'weightDecay', opts.weightDecay ?? 0);
    this.baseLr = this.lr = opts.lr;
    this.weightDecay = opts.weightDecay ?? 0;
    this.flush = opts.flushSubnormals ?? false;
    this.schedule = opts.schedule;
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  step(): void {
    if (this.schedule) {
      this.lr = this.schedule(this.stepCount, this.baseLr);
      checkRate(`${this.constructor.name} schedule`, 'lr', this.lr);
    }
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      this.update(p.data, p.grad.data, i);
      if (this.flush) flushSubnormals(p.data);
      p.version++; // in place: a graph that saved p's old values must not back-propagate through them
    });
    this.stepCount++;
  }

  /** Updates one parameter's values w from its gradient g (weight decay not yet applied). */
  protected abstract update(w: Float32Array, g: Float32Array, index: number): void;

  /** The per-parameter buffers a subclass keeps between steps, by name (none for plain SGD). */
  protected buffers(): Record<string, (Float32Array | null)[]> {
    return {};
  }

  /** A copy of everything the next steps depend on besides the parameters. */
  stateDict(): OptimizerState {
    const buffers = new Map<string, Tensor>();
    for (const [name, list] of Object.entries(this.buffers())) {
      list.forEach((b, i) => b && buffers.set(`${name}.${i}`, new Tensor(b.slice(), [b.length])));
    }
    return { stepCount: this.stepCount, lr: this.lr, buffers };
  }

  /** Restores a stateDict() of an optimiser of the same kind over parameters of the same sizes. */
  loadStateDict(state: OptimizerState): void {
    const name = this.constructor.name;
    if (!Number.isInteger(state?.stepCount) || state.stepCount < 0) throw new Error(`${name}.loadStateDict: stepCount must be a non-negative integer, got ${state?.stepCount}`);
    const own = this.buffers();
    for (const [key, t] of state.buffers) {
      const [buffer, index] = [key.slice(0, key.lastIndexOf('.')), Number(key.slice(key.lastIndexOf('.') + 1))];
      const p = this.params[index];
      if (!own[buffer] || !p) throw new Error(`${name}.loadStateDict: unexpected buffer '${key}' (this optimiser has [${Object.keys(own).join(', ')}] over ${this.params.length} parameters)`);
      if (t.size !== p.size) throw new Error(`${name}.loadStateDict: buffer '${key}' has ${t.size} values, parameter ${index} has ${p.size}`);
    }
    for (const list of Object.values(own)) list.fill(null);
    for (const [key, t] of state.buffers) {
      const dot = key.lastIndexOf('.');
      own[key.slice(0, dot)][Number(key.slice(dot + 1))] = Float32Array.from(t.data);
    }
    this.stepCount = state.stepCount;
    this.lr = state.lr;
  }
}

export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

/**
 * SGD with momentum (PyTorch's form): d = g + λw;  v ← μv + d;  w ← w − lr·(d + μv) with Nesterov,
 * w ← w − lr·v without.
 */
export class SGD extends Optimizer {
  private readonly momentum: number;
  private readonly nesterov: boolean;
  private readonly velocity: (Float32Array | null)[];

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    super(params, opts);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    checkRate('SGD', 'momentum', this.momentum);
    if (this.nesterov && this.momentum === 0) throw new Error('SGD: nesterov needs momentum > 0');
    this.velocity = this.params.map(() => null);
  }

  protected override buffers(): Record<string, (Float32Array | null)[]> {
    return { velocity: this.velocity };
  }

  protected update(w: Float32Array, g: Float32Array, i: number): void {
    const { lr, momentum, weightDecay, nesterov } = this;
    const velocity = momentum === 0 ? null : (this.velocity[i] ??= new Float32Array(w.length));
    kernels().sgdUpdate(w, g, velocity, { lr, momentum, weightDecay, nesterov });
  }
}

export interface AdamOptions extends OptimizerOptions {
  betas?: [number, number];
  eps?: number;
}

/**
 * Adam (Kingma & Ba): m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
 * w ← w − lr·m̂/(√v̂ + ε) with bias-corrected m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
 * Weight decay is added to the gradient (L2, as torch.optim.Adam).
 */
export class Adam extends Optimizer {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly m: (Float32Array | null)[];
  private readonly v: (Float32Array | null)[];

  constructor(params: Iterable<Tensor>, opts: AdamOptions) {
    super(params, opts);
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    for (const b of [this.beta1, this.beta2]) if (!(b >= 0 && b < 1)) throw new Error(`Adam: betas must be in [0, 1), got [${this.beta1}, ${this.beta2}]`);
    checkRate('Adam', 'eps', this.eps, { allowZero: false });
    this.m = this.params.map(() => null);
    this.v = this.params.map(() => null);
  }

  protected override buffers(): Record<string, (Float32Array | null)[]> {
    return { m: this.m, v: this.v };
  }

  protected update(w: Float32Array, g: Float32Array, i: number): void {
    const m = (this.m[i] ??= new Float32Array(w.length));
    const v = (this.v[i] ??= new Float32Array(w.length));
    const t = this.stepCount + 1;
    const { lr, beta1, beta2, eps, weightDecay } = this;
    kernels().adamUpdate(w, g, m, v, { lr, beta1, beta2, eps, weightDecay, c1: 1 - beta1 ** t, c2: 1 - beta2 ** t });
  }
}

/** Common schedules for the `schedule` option. */
export const schedules = {
  /** lr·γ^⌊step/stepSize⌋ */
  stepDecay: (stepSize: number, gamma: number) => (step: number, lr: number) => lr * gamma ** Math.floor(step / stepSize),
  /** Cosine annealing from lr to 0 over `total` steps. */
  cosine: (total: number) => (step: number, lr: number) => 0.5 * lr * (1 + Math.cos((Math.PI * Math.min(step, total)) / total)),
};
