// One small training program, run by three hosts that must agree on every number: plain Node on
// the installed tarball (consumer.test.ts), headless Chromium on a browser bundle (browser.test.ts),
// and the test runner itself. Plain JavaScript, so that no host needs a TypeScript loader.
import { backendInfo, F, getBackend, nn, optim, randn, ready, Rng, setBackend, tensor } from 'gibbsgrad';

/**
 * Trains a conv → max-pool → ReLU → linear network for a few Adam steps on each backend, and
 * returns the losses, the first conv's gradient checksum after the last step, a 256³ product's
 * sum (big enough to be split across threads), the threads the backend reported and whether its
 * matrix products fuse multiply-adds (which changes the last bits).
 */
export async function trainProgram(backends = ['reference', 'wasm']) {
  const out = {};
  const before = getBackend();
  for (const name of backends) {
    setBackend(name);
    const info = await ready();
    const rng = new Rng(7);
    const net = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { rng, padding: 1 }), new nn.MaxPool2d(2), new nn.ReLU(),
      new nn.Conv2d(8, 8, 3, { rng }), new nn.ReLU(),
      new nn.Flatten(), new nn.Linear(8 * 6 * 6, 4, { rng }),
    );
    const opt = new optim.Adam(net.parameters(), { lr: 0.01 });
    const x = randn([16, 1, 16, 16], rng);
    const y = tensor(Array.from({ length: 16 }, (_, i) => i % 4));
    const losses = [];
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      const loss = F.crossEntropy(net.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    const grad = net.parameters()[0].grad;
    const a = randn([256, 256], rng);
    out[name] = {
      losses,
      gradSum: grad.sum().item(),
      productSum: a.matmul(a.transpose()).sum().item(),
      threads: backendInfo().threads,
      readyThreads: info.threads,
      fusedMultiplyAdd: info.fusedMultiplyAdd,
    };
  }
  setBackend(before);
  return out;
}
