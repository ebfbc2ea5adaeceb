// The tiny models of lessons 4 and 5, built from a seed with the engine's public API. Shared by the
// page and by its test (which recomputes every number shown in Node).
import { nn, prob, randn, Rng, type Tensor } from '../lib/engine.js';

/** Lesson 2: LB-hidden §5.1's worked example: f1 = f2 = f4 = 1, f6 = f7 = 0 (f3, f5 are not printed; 0.54 as in the README). */
export const WORKED_EXAMPLE = [1, 1, 0.54, 1, 0.54, 0, 0];

/** Lesson 3: K inputs, L classes, the starting activations, and the layer's weights for a seed. */
export const POE_K = 4;
export const POE_L = 3;
export const POE_F0 = [0.9, -0.4, 1.6, 0.2];

export function poeWeights(seed: number): { gamma: Tensor; b: Tensor } {
  const rng = new Rng(seed);
  return { gamma: randn([POE_K, POE_L], rng), b: randn([POE_L], rng, { std: 0.5 }) };
}

/** Lesson 4: the network's seed, the starting input, and the samples behind the histogram. */
export const DCIM_SEED = 3;
export const DCIM_X0 = [1, 0, 0.7];
export const DCIM_SAMPLES = 4000;
export const DCIM_SAMPLE_SEED = 11;

/** Lesson 5: the model's seed and the first image's. */
export const DRMM_SEED = 5;
export const DRMM_IMAGE_SEED = 4;

/** Lesson 4: a sigmoid network 3 → 5 → 4 → 3 (softmax), its weights ×4 at scale 1. */
export const DCIM_SIZES = [3, 5, 4, 3];
export const DCIM_WEIGHT_GAIN = 4;

export function dcimNetwork(seed: number, scale: number): { net: InstanceType<typeof nn.Sequential>; dcim: InstanceType<typeof prob.dcim.DCIM> } {
  const rng = new Rng(seed);
  const [a, b, c, d] = DCIM_SIZES;
  const linears = [new nn.Linear(a, b, { rng }), new nn.Linear(b, c, { rng }), new nn.Linear(c, d, { rng })];
  for (const l of linears) l.weight.data.set(l.weight.data.map((v) => v * DCIM_WEIGHT_GAIN * scale));
  const net = new nn.Sequential(linears[0], new nn.Sigmoid(), linears[1], new nn.Sigmoid(), linears[2], new nn.Softmax());
  return { net, dcim: prob.dcim.DCIM.fromSequential(net) };
}

/** max over all units of |forward pass − exact marginal| for input x0 [1, n⁰]. */
export function dcimError(dcim: InstanceType<typeof prob.dcim.DCIM>, x0: Tensor): number {
  const exact = dcim.exactMarginals(x0);
  const approx = dcim.expectations(x0);
  return Math.max(...exact.flatMap((m, k) => [...m.data].map((p, j) => Math.abs(p - approx[k].data[j]))));
}

/** Lesson 5: a two-level DRMM on 6×6 images: level 1 renders a 3×3 filter into 2×2 windows, level 2 places 2 units in a 2×2 window; 3 classes. */
export function drmmModel(seed: number, sigma: number): InstanceType<typeof prob.drmm.DRMM> {
  return new prob.drmm.DRMM({
    rng: new Rng(seed),
    inputShape: [1, 6, 6],
    levels: [{ channels: 1, kernel: 3, pool: 2 }, { channels: 2, kernel: 1, pool: 2 }],
    numClasses: 3,
    sigma,
    pOn: 0.85,
  });
}
