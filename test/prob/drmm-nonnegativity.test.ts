// The DRMM's two ways of keeping the intermediate rendered templates nonnegative (NN-DRMM, DRMM
// §3.2): projection of μ and W^(ℓ≥2) after each G-step (the default), and the paper's ReLU on
// every intermediate template in the top-down pass, with the parameters left free.
import { describe, expect, it } from 'vitest';
import { noGrad, optim, prob, rand, Rng, tensor, Tensor } from '../../src/index.js';

const { DRMM } = prob.drmm;
const levels = [{ channels: 3, kernel: 3, pool: 2 }, { channels: 4, kernel: 2, pool: 1 }];

/** A model whose templates and level-2 filters are partly negative (as a free G-step can make them). */
function withNegatives(nonnegativity?: 'project' | 'topDownRelu') {
  const model = new DRMM({ rng: new Rng(3), inputShape: [1, 10, 10], levels, numClasses: 4, ...(nonnegativity ? { nonnegativity } : {}) });
  noGrad(() => {
    model.templates.data.forEach((v, i) => (model.templates.data[i] = i % 3 === 0 ? -v : v));
    model.filters[1].data.forEach((v, i) => (model.filters[1].data[i] = i % 2 === 0 ? -v : v));
  });
  return model;
}

describe("DRMM nonnegativity: 'project' (clipping) vs 'topDownRelu' (the paper's top-down ReLU)", () => {
  it("'topDownRelu' renders ReLU(μ_c) at the top: the same images as the model with μ clipped at 0", () => {
    const free = withNegatives('topDownRelu');
    const clipped = withNegatives('topDownRelu');
    noGrad(() => clipped.templates.data.forEach((v, i) => (clipped.templates.data[i] = Math.max(0, v))));
    const { latents } = noGrad(() => free.infer(rand([5, 1, 10, 10], new Rng(4))));
    const classes = [0, 1, 2, 3, 0];
    expect([...noGrad(() => free.topDown(classes, latents)).data]).toEqual([...noGrad(() => clipped.topDown(classes, latents)).data]);
    // the default form renders the raw μ_c, so with negative templates the two differ
    const raw = withNegatives();
    expect([...noGrad(() => raw.topDown(classes, latents)).data]).not.toEqual([...noGrad(() => free.topDown(classes, latents)).data]);
  });

  it("an EG step clips μ and W^(2) under 'project' and leaves them free under 'topDownRelu'", () => {
    const images = rand([8, 1, 10, 10], new Rng(5));
    const labels = tensor(Array.from({ length: 8 }, (_, i) => i % 4));
    const negatives = (m: InstanceType<typeof DRMM>) => [m.templates, m.filters[1]].map((t: Tensor) => [...t.data].filter((v) => v < 0).length);
    for (const mode of ['project', 'topDownRelu'] as const) {
      const model = withNegatives(mode);
      model.egStep(images, labels, new optim.Adam(model.parameters(), { lr: 1e-3 }));
      if (mode === 'project') expect(negatives(model)).toEqual([0, 0]);
      else negatives(model).forEach((n) => expect(n).toBeGreaterThan(0));
      const semi = withNegatives(mode);
      semi.egStepSemi({ images, labels }, rand([8, 1, 10, 10], new Rng(6)), new optim.Adam(semi.parameters(), { lr: 1e-3 }));
      if (mode === 'project') expect(negatives(semi)).toEqual([0, 0]);
      else negatives(semi).forEach((n) => expect(n).toBeGreaterThan(0));
    }
  });

  it("the default is 'project'; the bottom-up scores do not depend on the mode; an unknown mode is refused", () => {
    expect(new DRMM({ rng: new Rng(1), inputShape: [1, 10, 10], levels, numClasses: 4 }).nonnegativity).toBe('project');
    const image = rand([2, 1, 10, 10], new Rng(7));
    expect([...noGrad(() => withNegatives('project').forward(image)).data]).toEqual([...noGrad(() => withNegatives('topDownRelu').forward(image)).data]);
    expect(() => new DRMM({ rng: new Rng(1), inputShape: [1, 10, 10], levels, numClasses: 4, nonnegativity: 'clip' as never })).toThrow(/nonnegativity must be 'project' or 'topDownRelu', got clip/);
  });
});
