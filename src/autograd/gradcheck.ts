/**
 * Checks a function's reverse-mode gradients against central finite differences.
 *
 * The output y is projected on a fixed random direction r, L = Σ r·y, so one backward pass gives
 * every input gradient; each input element x_j is then perturbed by ±eps and
 *   ∂L/∂x_j ≈ (L(x + eps·e_j) − L(x − eps·e_j)) / (2·eps).
 * float32 rounds every stored value at ~6e-8 relative, so eps is large (1e-2 by default): the
 * truncation error O(eps²) stays below the tolerance while rounding noise, divided by 2·eps,
 * does too. An element passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
 */
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './engine.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Indices of the inputs to check (default: all). */
  wrt?: readonly number[];
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** max over elements of |a − n| / (atol + rtol·|n|); ≤ 1 passes. */
  worstRatio: number;
  /** max over elements of |a − n| / max(|a|, |n|, 1e-6). */
  maxRelError: number;
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
  checked: number;
}

export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const wrt = opts.wrt ?? inputs.map((_, i) => i);
  const leaves = inputs.map((x, i) => {
    const t = new Tensor(x.data.slice(), x.shape);
    t.requiresGrad = wrt.includes(i);
    return t;
  });
  return check(() => fn(...leaves), wrt.map((i) => leaves[i]), wrt, opts);
}

/**
 * The same check for tensors a computation closes over, such as a module's parameters:
 * `loss()` is re-evaluated while each element of `params` is perturbed in place (and restored).
 * The parameters' existing `.grad` values are left as they were.
 */
export function gradcheckParams(params: readonly Tensor[], loss: () => Tensor, opts: Omit<GradcheckOptions, 'wrt'> = {}): GradcheckResult {
  const saved = params.map((p) => p.grad);
  params.forEach((p) => (p.grad = null));
  try {
    return check(loss, params, params.map((_, i) => i), opts);
  } finally {
    params.forEach((p, i) => (p.grad = saved[i]));
  }
}

/** One backward pass of L = Σ r·f(), then central differences on every element of `targets`. */
function check(f: () => Tensor, targets: readonly Tensor[], labels: readonly number[], opts: GradcheckOptions): GradcheckResult {
  const { eps = 1e-2, atol = 1e-3, rtol = 1e-2, seed = 0 } = opts;
  const y = f();
  const rng = new Rng(seed);
  const r = Float64Array.from({ length: y.size }, () => rng.normal());
  const project = (t: Tensor) => t.data.reduce((s, v, i) => s + v * r[i], 0);
  if (!y.requiresGrad) throw new Error('gradcheck: the output does not depend on any checked input');
  y.backward(new Tensor(Float32Array.from(r), y.shape));

  const result: GradcheckResult = { ok: true, worstRatio: 0, maxRelError: 0, worst: null, checked: 0 };
  noGrad(() => {
    targets.forEach((x, t) => {
      for (let j = 0; j < x.size; j++) {
        const orig = x.data[j];
        x.data[j] = orig + eps;
        const up = project(f());
        x.data[j] = orig - eps;
        const down = project(f());
        x.data[j] = orig;
        const numeric = (up - down) / (2 * eps);
        const analytic = x.grad ? x.grad.data[j] : 0;
        const diff = Math.abs(analytic - numeric);
        const ratio = diff / (atol + rtol * Math.abs(numeric));
        result.checked++;
        result.maxRelError = Math.max(result.maxRelError, diff / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-6));
        if (result.worst === null || !(ratio <= result.worstRatio)) {
          result.worstRatio = Math.max(result.worstRatio, Number.isNaN(ratio) ? Infinity : ratio);
          result.worst = { input: labels[t], index: j, analytic, numeric };
        }
      }
    });
  });
  result.ok = result.worstRatio <= 1;
  return result;
}
