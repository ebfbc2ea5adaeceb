// The pieces of the bayes-prior experiment that its tiny run does not pin down: Table 11's
// geometry, the image preparation, and the stratified data.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bayesPrior } from '../../src/experiments/bayes-prior.js';
import { runExperiment } from '../../src/report/runner.js';
import { fashionMnistAvailable } from '../../src/data/fashion-mnist.js';
import { loadImages, prepare, SCALES, table11Cnn } from '../../src/experiments/bayes-prior.js';
import { Dropout } from '../../src/layers/layers.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

describe('bayes-prior (LB-hidden App. L)', () => {
  it("full mode's CNN has Table 11's layer outputs (32×32×1 → 30×30×12 → 26×26×32 → 13×13×32 → 9×9×128 → 4×4×128 → 512 → 32 → 10)", () => {
    const { net, conv1 } = table11Cnn(SCALES.full, new Rng(0), null);
    expect(conv1.weight.shape).toEqual([12, 1, 3, 3]);
    const shapes = net.forwardAll(randn([1, 1, 32, 32], new Rng(1))).map((t) => t.shape.slice(1).join('×'));
    const conv = (i: number) => shapes[i]; // output of layer i-1
    expect([conv(1), conv(3), conv(5), conv(6), conv(8), shapes[9], shapes[10], shapes[13], shapes.at(-1)]).toEqual(['12×30×30', '32×26×26', '32×13×13', '128×9×9', '128×4×4', '2048', '512', '32', '10']);
    expect(net.layers.some((m) => m instanceof Dropout)).toBe(false);
    const withDropout = table11Cnn(SCALES.full, new Rng(0), new Rng(2)).net;
    expect(withDropout.layers.filter((m) => m instanceof Dropout).length).toBe(2);
    // the same init stream gives the same weights with or without dropout: configurations differ only in the regulariser
    const bytes = (ps: { data: Float32Array }[]) => Buffer.concat(ps.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)));
    expect(bytes(withDropout.parameters()).equals(bytes(net.parameters()))).toBe(true);
    expect(() => table11Cnn({ ...SCALES.tiny, side: 16 }, new Rng(0), null)).toThrow(/bayes-prior: a 16×16 input is too small/);
  });

  it('prepare averages 2×2 blocks and zero-pads to the input side', () => {
    const img = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 784) / 784);
    const x = prepare(img, [1], SCALES.tiny); // 28 → 14, padded by 2 to 18
    expect(x.shape).toEqual([1, 1, 18, 18]);
    const at = (r: number, c: number) => x.data[r * 18 + c];
    expect(at(0, 0)).toBe(0);
    expect(at(1, 17)).toBe(0);
    expect(at(2, 2)).toBeCloseTo((0 + 1 + 28 + 29) / 4 / 784, 6);
    expect(at(15, 15)).toBeCloseTo((13 * 2 * 28 + 13 * 2 + (13 * 2 * 28 + 13 * 2 + 1) + (13 * 2 * 28 + 28 + 13 * 2) + (13 * 2 * 28 + 28 + 13 * 2 + 1)) / 4 / 784, 6);
    expect(at(16, 16)).toBe(0);
    const full = prepare(img, [0], SCALES.full);
    expect(full.shape).toEqual([1, 1, 32, 32]);
    expect(full.data[2 * 32 + 2 + 5]).toBeCloseTo(5 / 784, 6);
  });

  it.skipIf(!fashionMnistAvailable())('draws the same number of images from every class (Fashion-MNIST)', () => {
    const data = loadImages(SCALES.tiny, new Rng(3));
    const counts = (y: Float32Array) => Array.from({ length: 10 }, (_, c) => y.filter((v) => v === c).length);
    expect(counts(data.yTrain.data)).toEqual(Array(10).fill(SCALES.tiny.trainPerClass));
    expect(counts(data.yTest.data)).toEqual(Array(10).fill(SCALES.tiny.testPerClass));
    expect(data.description).toMatch(/Fashion-MNIST/);
  });

  it.skipIf(!fashionMnistAvailable())('trains the FoE again, and says why, when its checkpoint is corrupted', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gg-foe-'));
    try {
      const progress = join(out, 'bayes-prior', '.progress');
      mkdirSync(progress, { recursive: true });
      writeFileSync(join(progress, 'run.json'), JSON.stringify({ mode: 'tiny', seed: 1 }));
      writeFileSync(join(progress, 'foe.ckpt'), 'GIBBSGRAD-CKPT2\n not a checkpoint');
      const stages: string[] = [];
      const { result } = await runExperiment(bayesPrior, { mode: 'tiny', seed: 1, outDir: out, onEvent: (_n, e) => { if (e.kind === 'stage') stages.push(e.label); } });
      expect(stages.some((l) => /^FoE: the checkpoint cannot be used \(loadCheckpoint: .*foe\.ckpt.*\); training from the start$/.test(l))).toBe(true);
      expect(result.claims.length).toBeGreaterThan(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
