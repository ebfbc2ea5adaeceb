// Run by sigkill.test.ts in a child process: one probe experiment (two training runs with epoch
// checkpoints) into the folder given as argv[2]; prints each finished epoch, then the result's
// numbers as one JSON line.
import { Linear, ReLU, Sequential } from '../../src/layers/layers.js';
import { train } from '../../src/experiments/common.js';
import type { Experiment } from '../../src/experiments/types.js';
import { runExperiment } from '../../src/report/runner.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

const probe: Experiment = {
  name: 'sigkill-probe', title: 'SIGKILL probe', paper: '—',
  run(ctx) {
    const dataRng = ctx.rng.fork();
    const x = randn([512, 64], dataRng);
    const y = new Tensor(Float32Array.from({ length: 512 }, (_, i) => (x.data[i * 64] > 0 ? 1 : 0) + 2 * (x.data[i * 64 + 1] > 0 ? 1 : 0)), [512]);
    const data = { x, y, xTest: x, yTest: y };
    const net = new Sequential(new Linear(64, 256, { rng: ctx.rng.fork() }), new ReLU(), new Linear(256, 4, { rng: ctx.rng.fork() }));
    const strip = (logs: { seconds: number }[]) => logs.map(({ seconds: _s, ...rest }) => rest);
    const first = strip(train(ctx, 'first', net, data, { epochs: 6, lr: 0.01, batchSize: 8 }));
    const second = strip(train(ctx, 'second', net, data, { epochs: 6, lr: 0.002, batchSize: 8, optimizer: 'sgd', momentum: 0.9 }));
    return { data: 'random', metrics: { first, second, weights: net.parameters().map((p) => [...p.data]), after: ctx.rng.uniform() }, claims: [], figures: [] };
  },
};

const { result } = await runExperiment(probe, {
  mode: 'tiny', seed: 5, outDir: process.argv[2],
  onEvent: (_name, e) => { if (e.kind === 'epoch') console.log(`epoch ${e.label} ${e.epoch}`); },
});
console.log(JSON.stringify(result.metrics));
