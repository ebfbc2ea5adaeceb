import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { optim, prob, Rng, rand, randn, tensor, Tensor } from '../../src/index.js';

const { RMM, DRMM, convTranspose, unpool, upsample } = prob.drmm;

function normalised(t: Tensor): Tensor {
  const norm = Math.sqrt(t.data.reduce((s, v) => s + v * v, 0));
  return new Tensor(t.data.map((v) => v / norm), t.shape);
}

describe('RMM: max-sum classification is a DCN layer (DRMM eq 2–3)', () => {
  it('brute-force max-sum and conv + ReLU + max-pool agree, with scores differing by a constant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 2, max: 4 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (seed, C, pOn) => {
        const rng = new Rng(seed);
        const rmm = new RMM({ templates: randn([C, 3, 3], rng, { std: 0.3 }), imageSize: [6, 7], sigma: 0.5, pOn });
        const { image } = rmm.sample(rng);
        const I = normalised(image);
        const exact = rmm.maxSumClassify(I);
        const dcn = rmm.dcnClassify(I);
        expect(dcn.c).toBe(exact.c);
        const offsets = exact.scores.map((s, c) => s - dcn.scores[c]);
        offsets.forEach((o) => expect(Math.abs(o - offsets[0])).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(offsets[0]))));
      }),
      { numRuns: 40 },
    );
  });
});

describe('RMM: inference recovers what was rendered', () => {
  it("at low noise, the inferred (c, g, a) reconstructs a sample better than any other class, and c is the true class", () => {
    const rng = new Rng(6);
    const rmm = new RMM({ templates: randn([4, 3, 3], rng), imageSize: [7, 7], sigma: 0.05, pOn: 0.95 });
    let correct = 0;
    for (let n = 0; n < 40; n++) {
      const s = rmm.sample(rng);
      const best = rmm.maxSumClassify(s.image);
      const error = (c: number, g: readonly [number, number], a: number) => rmm.render(c, g).reduce((e, m, i) => e + (s.image.data[i] - a * m) ** 2, 0);
      const mine = error(best.c, best.g, best.a);
      for (let c = 0; c < 4; c++) {
        if (c === best.c) continue;
        const others = rmm.positions.flatMap((g) => [error(c, g, 0), error(c, g, 1)]);
        expect(mine).toBeLessThanOrEqual(Math.min(...others) + 1e-9);
      }
      if (s.a === 1) correct += +(best.c === s.c);
      else correct++; // with the template off, the class is not identifiable from the image
    }
    expect(correct).toBeGreaterThanOrEqual(38);
  });
});

describe('DRMM (eq 4–8)', () => {
  const tiny = (seed: number, two: boolean) =>
    new DRMM({
      rng: new Rng(seed),
      inputShape: [two ? 1 : 2, two ? 6 : 5, two ? 6 : 5],
      levels: two ? [{ channels: 1, kernel: 3, pool: 2 }, { channels: 1, kernel: 2, pool: 1 }] : [{ channels: 1, kernel: 2, pool: 2 }],
      numClasses: 3,
    });

  it('the transposed convolution is the adjoint of the convolution: ⟨convT(y), x⟩ = ⟨y, conv(x)⟩', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const w = randn([2, 3, 3, 2 + rng.int(2)].slice(0, 3).concat([3]), rng);
        const x = randn([1, 3, 6, 7], rng);
        const y = randn([1, 2, 4, 5], rng);
        const lhs = convTranspose(y, w).mul(x).sum().item();
        const rhs = y.mul(x.conv2d(w)).sum().item();
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(rhs)));
      }),
      { numRuns: 30 },
    );
  });

  it.each([false, true])('bottomUp equals brute-force max-sum over every rendering path (two levels: %s)', (two) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const model = tiny(seed, two);
        const image = randn([1, ...model.inputShape], new Rng(seed + 1));
        const fast = model.bottomUp(image).scores.data;
        const brute = model.bruteForceMaxSum(image);
        brute.scores.forEach((s, c) => expect(Math.abs(s - fast[c])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(s))));
        expect(brute.c).toBe([...fast].indexOf(Math.max(...fast)));
      }),
      { numRuns: two ? 8 : 25 },
    );
  });

  it('the rendering of the inferred path reaches the max-sum score: ⟨topDown(ĉ, ĝ), I⟩ = bottom-up score', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const model = tiny(seed, true);
        const image = randn([2, ...model.inputShape], new Rng(seed + 2));
        const { scores, latents } = model.infer(image);
        for (let c = 0; c < 3; c++) {
          const recon = model.topDown([c, c], latents);
          for (let n = 0; n < 2; n++) {
            const dot = recon.slice([[n, n + 1]]).mul(image.slice([[n, n + 1]])).sum().item();
            expect(dot).toBeCloseTo(scores.data[n * 3 + c], 3);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it('a sampled image is reconstructed best by its inferred (ĉ, ĝ), when every rendering has the same norm', () => {
    // Eq 7 maximises ⟨Λ_g μ_c, I⟩, not the Gaussian log-likelihood; the two agree when
    // ‖Λ_g μ_c‖ is the same for every (c, g), as for a normalised image and templates of one norm
    // rendered by isometries. Here: 1×1 "filters" that permute channels (rendering = placing each
    // value at one position of its pooling window), templates of unit norm, every switch on.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const C = 4;
        const model = new DRMM({ rng, inputShape: [3, 8, 8], numClasses: C, sigma: 0.002, pOn: 1, levels: [{ channels: 3, kernel: 1, pool: 2 }, { channels: 3, kernel: 1, pool: 2 }] });
        for (const w of model.filters) {
          const perm = [0, 1, 2].sort(() => rng.uniform() - 0.5);
          w.data.fill(0);
          perm.forEach((from, to) => (w.data[to * 3 + from] = 1));
        }
        for (let c = 0; c < C; c++) {
          const t = model.templates.data.subarray(c * 12, (c + 1) * 12);
          const norm = Math.hypot(...t);
          t.forEach((v, i) => (t[i] = 0.2 + v / norm)); // bounded away from the noise
          const n2 = Math.hypot(...t);
          t.forEach((v, i) => (t[i] = v / n2));
        }
        const { images, classes } = model.sample(rng, 3);
        const { scores, latents } = model.infer(images);
        const D = 3 * 8 * 8;
        const errors = Array.from({ length: C }, (_, c) => {
          const recon = model.topDown(c, latents);
          return [0, 1, 2].map((n) => recon.data.subarray(n * D, (n + 1) * D).reduce((e, v, i) => e + (v - images.data[n * D + i]) ** 2, 0));
        });
        for (let n = 0; n < 3; n++) {
          const s = [...scores.data.subarray(n * C, (n + 1) * C)];
          const chat = s.indexOf(Math.max(...s));
          expect(chat).toBe(classes[n]);
          for (let c = 0; c < C; c++) if (c !== chat) expect(errors[chat][n]).toBeLessThan(errors[c][n]);
          expect(errors[chat][n]).toBeLessThan(D * 0.002 ** 2 * 3); // ≈ the noise energy: the path is recovered
        }
      }),
      { numRuns: 25 },
    );
  });

  it('sample(rng) draws one image, sample(rng, n) a batch, and topDown takes one class for all', () => {
    const model = tiny(3, true);
    const one = model.sample(new Rng(1));
    expect(one.images.shape).toEqual([1, ...model.inputShape]);
    const batch = model.sample(new Rng(1), 4);
    expect(batch.images.shape).toEqual([4, ...model.inputShape]);
    expect(model.topDown(2, batch.latents).data).toEqual(model.topDown([2, 2, 2, 2], batch.latents).data);
    expect(() => model.topDown([0, 5, 0, 0], batch.latents)).toThrow(/class indices in 0..2/);
  });

  it('an EG step (Algorithm 1) lowers the objective on a fixed batch, and keeps the NN-DRMM constraint', () => {
    const rng = new Rng(5);
    const model = new DRMM({ rng, inputShape: [1, 10, 10], levels: [{ channels: 3, kernel: 3, pool: 2 }, { channels: 4, kernel: 2, pool: 1 }], numClasses: 4 });
    const images = rand([16, 1, 10, 10], rng);
    const labels = tensor(Array.from({ length: 16 }, (_, i) => i % 4));
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    // egStep's single bottom-up pass gives the same objective as a separate E-step (infer) would
    const separate = model.objective(images, labels, model.infer(images).latents).item();
    const values = Array.from({ length: 6 }, () => model.egStep(images, labels, opt));
    expect(values[0]).toBeCloseTo(separate, 5);
    expect(values[5]).toBeLessThan(values[0]);
    expect(model.egStep(images, labels, opt)).toBeLessThan(values[0]);
    expect([...model.templates.data].every((v) => v >= 0)).toBe(true);
    expect([...model.filters[1].data].every((v) => v >= 0)).toBe(true);
  });

  it('convTranspose equals the padded convolution with flipped, channel-swapped filters; unpool equals upsample·mask', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const rng = new Rng(seed);
        const [K, C, kh, kw] = [1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3), 1 + rng.int(3)];
        const w = randn([K, C, kh, kw], rng);
        const y = randn([2, K, 2 + rng.int(3), 2 + rng.int(3)], rng);
        const flipped = new Tensor(new Float32Array(w.size), [C, K, kh, kw]);
        for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) flipped.data[((c * K + k) * kh + kh - 1 - i) * kw + kw - 1 - j] = w.data[((k * C + c) * kh + i) * kw + j];
        const direct = y.pad([[kh - 1, kh - 1], [kw - 1, kw - 1]]).conv2d(flipped);
        const fast = convTranspose(y, w);
        expect(fast.shape).toEqual(direct.shape);
        fast.data.forEach((v, i) => expect(Math.abs(v - direct.data[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(direct.data[i]))));
        const p = 1 + rng.int(3);
        const mask = new Tensor(Float32Array.from({ length: 2 * K * y.shape[2] * p * y.shape[3] * p }, () => rng.int(2)), [2, K, y.shape[2] * p, y.shape[3] * p]);
        expect([...unpool(y, mask, p).data].map((v) => v + 0)).toEqual([...upsample(y, p).mul(mask).data].map((v) => v + 0)); // +0: −0 = 0
      }),
      { numRuns: 30 },
    );
  });

  it('a semi-supervised EG step lowers the labelled + unlabelled objective, which renders the unlabelled images with their inferred class', () => {
    const rng = new Rng(8);
    const model = new DRMM({ rng, inputShape: [1, 10, 10], levels: [{ channels: 3, kernel: 3, pool: 2 }, { channels: 4, kernel: 2, pool: 1 }], numClasses: 4 });
    const images = rand([8, 1, 10, 10], rng);
    const labels = tensor(Array.from({ length: 8 }, (_, i) => i % 4));
    const unlabelled = rand([12, 1, 10, 10], rng);
    // With no KL term the unlabelled objective is the reconstruction error of Λ_ĝ μ_ĉ, ĉ = argmax score.
    const { scores, latents } = model.infer(unlabelled);
    const chat = [...scores.argmax(1).data];
    const direct = model.topDown(chat, latents).sub(unlabelled).square().mean().item();
    expect(model.unlabelledObjective(unlabelled, latents, { klWeight: 0 }).item()).toBeCloseTo(direct, 5);
    const other = model.topDown(chat.map((c) => (c + 1) % 4), latents).sub(unlabelled).square().mean().item();
    expect(model.unlabelledObjective(unlabelled, latents, { klWeight: 0 }).item()).not.toBeCloseTo(other, 5);
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const values = Array.from({ length: 8 }, () => model.egStepSemi({ images, labels }, unlabelled, opt));
    expect(values[7]).toBeLessThan(values[0]);
    expect([...model.templates.data].every((v) => v >= 0)).toBe(true);
  });

  it('latentPrior holds the E-step choice frequencies per class; modeLatents and sample(prior) render with them', () => {
    const rng = new Rng(9);
    const model = new DRMM({ rng, inputShape: [1, 6, 6], levels: [{ channels: 2, kernel: 3, pool: 2 }], numClasses: 2 });
    const images = randn([6, 1, 6, 6], rng);
    const labels = tensor([0, 0, 0, 1, 1, 1]);
    const prior = model.latentPrior(images, labels, { smoothing: 0 });
    const { latents } = model.infer(images);
    const options = 5;
    const units = 2 * 2 * 2;
    // Recount one unit by hand: unit (k = 1, i = 0, j = 1) of class 1.
    const counts = new Array(options).fill(0);
    for (const n of [3, 4, 5]) {
      let choice = 0;
      for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) if (latents.masks[0].data[((n * 2 + 1) * 4 + dy) * 4 + 2 + dx]) choice = 1 + dy * 2 + dx;
      counts[choice]++;
    }
    const u = 1 * 4 + 0 * 2 + 1;
    prior.levels[0].subarray((1 * units + u) * options, (1 * units + u + 1) * options).forEach((f, o) => expect(f).toBeCloseTo(counts[o] / 3, 6));
    for (let r = 0; r < prior.levels[0].length; r += options) expect(prior.levels[0].subarray(r, r + options).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // A prior concentrated on one image's path renders exactly that path.
    const single = model.latentPrior(images.slice([[3, 4]]), tensor([1]), { smoothing: 0 });
    expect([...model.modeLatents([1], single).masks[0].data]).toEqual([...latents.masks[0].data.subarray(3 * 32, 4 * 32)]);
    const drawn = model.sample(new Rng(2), 2, { classes: [1, 1], prior: single });
    expect(drawn.classes).toEqual([1, 1]);
    expect([...drawn.latents.masks[0].data.subarray(32, 64)]).toEqual([...latents.masks[0].data.subarray(3 * 32, 4 * 32)]);
    expect(() => model.sample(new Rng(2), 2, { classes: [1, 2] })).toThrow(/classes must be 2 indices in 0..1/);
  });

  it('rejects geometries that do not tile and models too large to enumerate', () => {
    expect(() => new DRMM({ rng: new Rng(0), inputShape: [1, 6, 6], levels: [{ channels: 1, kernel: 2, pool: 2 }], numClasses: 2 })).toThrow(/conv output 5×5 must be a positive multiple of the pool size/);
    const big = new DRMM({ rng: new Rng(0), inputShape: [1, 10, 10], levels: [{ channels: 3, kernel: 3, pool: 2 }], numClasses: 2 });
    expect(() => big.bruteForceMaxSum(rand([1, 1, 10, 10], new Rng(0)))).toThrow(/rendering paths per class exceed maxPaths/);
  });
});
