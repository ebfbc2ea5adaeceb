// prior-kl trains "until the training error becomes zero" (LB-repr §5.1): extra rounds at a lower
// step size while some training image is misclassified, with the epochs numbered on across rounds.
import { describe, expect, it } from 'vitest';
import { buildCnn, lbBayesCnn, type ErrorRow } from '../../src/experiments/cnn.js';
import { TRAINING, trainToZeroError } from '../../src/experiments/prior-kl.js';
import { randomLabels } from '../../src/experiments/random-labels.js';
import type { ExperimentContext } from '../../src/experiments/types.js';
import { Rng, Tensor } from '../../src/index.js';

describe('trainToZeroError', () => {
  it('adds a fine-tuning round while the training error is not zero and numbers its epochs after the first phase', () => {
    const rng = new Rng(8);
    const x = new Tensor(Float32Array.from({ length: 40 * 1024 }, () => rng.normal(0, 32)), [40, 1, 32, 32]);
    const y = randomLabels(40, new Rng(9)); // noise with random labels: not memorised in 2 epochs
    const ctx: ExperimentContext = { mode: 'tiny', seed: 1, rng: new Rng(1), report: () => {} };
    const curve: ErrorRow[] = [];
    const cnn = buildCnn(lbBayesCnn(4), new Rng(3));
    const r = trainToZeroError(ctx, 'test', cnn, { x, y, xTest: x, yTest: y }, curve);
    const { epochs, extraRounds, roundEpochs } = TRAINING.tiny;
    expect(r.trainError).toBeGreaterThan(0);
    expect(r.epochs).toBe(epochs + extraRounds * roundEpochs);
    expect(r.seconds.length).toBe(r.epochs);
    expect(curve.filter((c) => c.set === 'test').map((c) => c.epoch)).toEqual(Array.from({ length: r.epochs }, (_, i) => i + 1));
  }, 60_000);
});
