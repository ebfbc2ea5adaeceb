/**
 * The training steps the long full runs spend their hours in, on each of our backends: the
 * bayes-prior CNN (LB-hidden Table 11, batch 32), the DCIM CNN with objective (21) and with (22)
 * (DCIM §3.2, kernels 32/64, batch 16), and the 2-level DRMM's EG step (DRMM Alg. 1, 32/64
 * channels, batch 32), each built by its experiment's own constructors, on official MNIST digits
 * where the experiment trains on them (on uniform noise the DRMM's first steps can leave every
 * unit dead), and run as the training loop runs it (without the gradient norms for explain()). The reference backend is the named
 * peer of the wasm one; `npm run bench steps` on two commits is the A/B of a kernel change.
 */
import { withoutGradNorms } from '../src/autograd/engine.js';
import { buildDcimCnn, dcimCnnSpec } from '../src/experiments/dcim-cnn.js';
import { centreInputBias, centreUnits, kerasInit } from '../src/experiments/dcim-common.js';
import { SCALES, table11Cnn } from '../src/experiments/bayes-prior.js';
import { buildDrmm, EG } from '../src/experiments/drmm-common.js';
import { supervisedConfigs } from '../src/experiments/drmm-supervised.js';
import { loadMnist } from '../src/data/mnist.js';
import { F, listBackends, oneHot, optim, randn, Rng, setBackend, tensor } from '../src/index.js';
import { ourImpl } from './peers.js';
import type { BenchCase, Prepared } from './suite.js';

interface Step {
  name: string;
  task: string;
  batch: number;
  /** A fresh model, optimiser and batch; the returned call is one training step, returning its loss. */
  prepare: (rng: Rng) => () => number;
}

const labels = (n: number, rng: Rng) => tensor(Float32Array.from({ length: n }, () => rng.int(10)));

const STEPS: Step[] = [
  {
    name: 'bayes-prior step',
    task: 'bayes-prior CNN (Table 11) training step, Adam, batch 32',
    batch: 32,
    prepare: (rng) => {
      const net = table11Cnn(SCALES.full, rng.fork(), null).net;
      const optimizer = new optim.Adam(net.parameters(), { lr: 2e-3 });
      const [x, y] = [randn([32, 1, SCALES.full.side, SCALES.full.side], rng), labels(32, rng)];
      return () => {
        optimizer.zeroGrad();
        const loss = F.crossEntropy(net.forward(x), y);
        loss.backward();
        optimizer.step();
        return loss.item();
      };
    },
  },
  ...(['eq21', 'eq22'] as const).map((objective): Step => ({
    name: `DCIM CNN ${objective} step`,
    task: `DCIM CNN (32/64 kernels) objective (${objective.slice(2)}) step, Adam, batch 16`,
    batch: 16,
    prepare: (rng) => {
      const model = kerasInit(buildDcimCnn(dcimCnnSpec(32, 64), rng.fork()), rng.fork());
      const digits = loadMnist({ rng, trainSize: 16, testSize: 10 });
      const [x, y] = [digits.xTrain, oneHot(digits.yTrain, 10)];
      centreUnits(model, x); // as dcim-cnn starts (there on 256 digits)
      centreInputBias(model, x, digits.yTrain);
      const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
      const sampling = rng.fork();
      return () => {
        optimizer.zeroGrad();
        const parts = objective === 'eq21' ? model.bidirectionalLoss(x, y) : model.sampledReverseLoss(x, y, sampling, { sampler: 'approximation' });
        const loss = parts.forwardLoss.add(parts.reverseLoss.mul(1 / 784));
        loss.backward();
        optimizer.step();
        return loss.item();
      };
    },
  })),
  {
    name: 'DRMM EG step',
    task: 'DRMM 2 levels (32/64 channels) EG step, Adam, batch 32',
    batch: 32,
    prepare: (rng) => {
      const model = buildDrmm(supervisedConfigs('full').deep, rng.fork(), { nonnegativity: EG.nonnegativity });
      const optimizer = new optim.Adam(model.parameters(), { lr: EG.lr });
      const digits = loadMnist({ rng, trainSize: 32, testSize: 10, layout: 'image' });
      const [x, y] = [digits.xTrain, digits.yTrain];
      return () => model.egStep(x, y, optimizer, { klWeight: EG.klWeight, reconWeight: EG.reconWeight });
    },
  },
];

/** One step's call per step, for tests: a fresh model on `backend`. */
export function stepCalls(backend: string): { name: string; step: () => number }[] {
  setBackend(backend);
  return STEPS.map((s) => ({ name: s.name, step: s.prepare(new Rng(0)) }));
}

export function stepCases(backends = listBackends()): BenchCase[] {
  return STEPS.flatMap((s) =>
    backends.map((be): BenchCase => ({
      name: `${s.name} (${ourImpl(be)})`,
      task: s.task,
      impl: ourImpl(be),
      work: s.batch,
      unit: 'images/s',
      prepare: (): Prepared => {
        setBackend(be);
        const step = s.prepare(new Rng(0));
        return { fn: () => withoutGradNorms(step) };
      },
    })),
  );
}
