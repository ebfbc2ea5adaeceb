/**
 * Does the semi-supervised DRMM at N_L = 100 leave its starting point? drmm-semi's seed-0 run at
 * N_L = 100 never did: its loss stayed at the value of a network whose class scores are all equal
 * and whose rendering is empty. This probe trains the same model with the same objective (the
 * 2-level full-scale configuration, EG's weights, Adam lr 0.01, batches of 32 labelled + 32
 * unlabelled digits from the official 60,000) for a few hundred G-steps and prints the loss, the
 * test error on 2,000 official test digits and the mean spread (max − min) of the class scores:
 * a spread that stays near 0 is the dead start.
 *
 *   npx tsx scripts/drmm-semi-start.ts [--seed 1] [--steps 600] [--lr 0.01] [--labelled 100] [--as-run]
 */
import { parseArgs } from 'node:util';
import '../src/index.js'; // the engine's entry: registers the fast backend as the default, as the CLI runs
import { noGrad } from '../src/autograd/engine.js';
import { loadMnist } from '../src/data/mnist.js';
import { balancedLabelled, buildDrmm, EG } from '../src/experiments/drmm-common.js';
import { Adam } from '../src/layers/optim.js';
import { Rng } from '../src/tensor/rng.js';
import { takeRows } from '../src/tensor/rows.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, steps: { type: 'string', default: '600' }, lr: { type: 'string', default: String(EG.lr) }, labelled: { type: 'string', default: '100' }, 'as-run': { type: 'boolean', default: false } } });
const [seed, steps, lr, nL] = [Number(values.seed), Number(values.steps), Number(values.lr), Number(values.labelled)];
for (const [name, v] of [['seed', seed], ['steps', steps], ['labelled', nL]] as const) if (!Number.isInteger(v) || v < (name === 'seed' ? 0 : 1)) throw new Error(`drmm-semi-start: --${name} must be an integer ≥ ${name === 'seed' ? 0 : 1}, got '${values[name]}'`);
if (!(lr > 0)) throw new Error(`drmm-semi-start: --lr must be positive, got '${values.lr}'`);

// --as-run: the data order and initial weights of drmm-semi's full run for this seed (the same Rng
// streams as its unit: the digits first, then the model), with batches drawn from Rng(1000 + seed).
const asRun = values['as-run'] === true;
const runRng = new Rng(seed);
const data = asRun
  ? (() => {
      const all = loadMnist({ rng: runRng.fork(), trainSize: 60000, testSize: 10000, layout: 'image' });
      const first = Array.from({ length: 2000 }, (_, i) => i);
      return { ...all, xTest: takeRows(all.xTest, first), yTest: takeRows(all.yTest, first) };
    })()
  : loadMnist({ rng: new Rng(100 + seed), testSize: 2000, layout: 'image' });
const { labelled, rest } = balancedLabelled(data.yTrain, nL);
const rng = asRun ? new Rng(1000 + seed) : new Rng(seed);
const model = buildDrmm({ name: 'semi', levels: [{ channels: 16, kernel: 5, pool: 2 }, { channels: 32, kernel: 3, pool: 2 }] }, (asRun ? runRng : rng).fork(), { nonnegativity: EG.nonnegativity });
const optimizer = new Adam(model.parameters(), { lr });

/** Test error and the mean over test digits of max_c score − min_c score. */
function probe(): { error: number; spread: number } {
  return noGrad(() => {
    const scores = model.bottomUp(data.xTest).scores;
    const [n, classes] = scores.shape;
    let wrong = 0;
    let spread = 0;
    for (let i = 0; i < n; i++) {
      const row = scores.data.subarray(i * classes, (i + 1) * classes);
      const best = row.indexOf(Math.max(...row));
      if (best !== data.yTest.data[i]) wrong++;
      spread += Math.max(...row) - Math.min(...row);
    }
    return { error: wrong / n, spread: spread / n };
  });
}

let cursor = 0;
const start = probe();
console.log(`seed ${seed} N_L ${nL} lr ${lr}${asRun ? ' (as run)' : ''} step 0: test error ${(100 * start.error).toFixed(1)} %, score spread ${start.spread.toPrecision(2)}`);
for (let step = 1; step <= steps; step++) {
  const idx = Array.from({ length: 32 }, () => labelled[cursor++ % labelled.length]);
  const uIdx = Array.from({ length: 32 }, () => rest[rng.int(rest.length)]);
  const loss = model.egStepSemi({ images: takeRows(data.xTrain, idx), labels: takeRows(data.yTrain, idx) }, takeRows(data.xTrain, uIdx), optimizer, { klWeight: EG.klWeight, reconWeight: EG.reconWeight });
  if (step === 10 || step === 30 || step % 100 === 0 || step === steps) {
    const { error, spread } = probe();
    console.log(`seed ${seed} N_L ${nL} lr ${lr} step ${step}: loss ${loss.toFixed(3)}, test error ${(100 * error).toFixed(1)} %, score spread ${spread.toPrecision(2)}`);
  }
}
