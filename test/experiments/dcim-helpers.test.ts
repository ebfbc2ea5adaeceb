// The pieces of the DCIM experiments that are not training: PNG pictures for the sample grids,
// the sample statistics, and the paper's CNN architecture.
import { crc32, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDcimCnn, dcimCnnSpec } from '../../src/experiments/dcim-cnn.js';
import { centreInputBias, centreUnits, reverseLossReferences, sampleAgreement, withinClassSpread, type ClassSamples } from '../../src/experiments/dcim-common.js';
import { greyPngDataUrl, pictureGrid } from '../../src/experiments/picture-grid.js';
import { meanWithSe } from '../../src/experiments/claims.js';
import { renderSvg } from '../../src/report/render.js';
import { oneHot, rand, Rng, Tensor } from '../../src/index.js';

/** Decodes the PNG written by greyPngDataUrl (checking every chunk's CRC) back to its pixels. */
function decodeGreyPng(url: string): { width: number; height: number; pixels: Uint8Array } {
  const png = Buffer.from(url.replace('data:image/png;base64,', ''), 'base64');
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const body = png.subarray(at + 4, at + 8 + len);
    expect(png.readUInt32BE(at + 8 + len)).toBe(crc32(body) >>> 0);
    const type = body.subarray(0, 4).toString('ascii');
    if (type === 'IHDR') [width, height] = [body.readUInt32BE(4), body.readUInt32BE(8)];
    if (type === 'IDAT') idat.push(body.subarray(4));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) {
    expect(raw[r * (width + 1)]).toBe(0);
    pixels.set(raw.subarray(r * (width + 1) + 1, (r + 1) * (width + 1)), r * width);
  }
  return { width, height, pixels };
}

describe('picture grid', () => {
  it('greyPngDataUrl writes a PNG that decodes to the same pixels', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1e6 }), (w, h, seed) => {
        const rng = new Rng(seed);
        const pixels = Uint8Array.from({ length: w * h }, () => rng.int(256));
        expect(decodeGreyPng(greyPngDataUrl(pixels, w, h))).toEqual({ width: w, height: h, pixels });
      }),
      { numRuns: 30 },
    );
  });

  it('renders one captioned picture per image, ink dark on white', async () => {
    const images = new Tensor(Float32Array.from({ length: 3 * 4 }, (_, i) => (i % 4) / 3), [3, 4]);
    const spec = pictureGrid(images, 2, { title: 't', captions: ['7 0.91', '1 0.50', '7 0.91'] });
    const first = (spec.data as { values: { url: string }[] }).values[0].url;
    expect([...decodeGreyPng(first).pixels]).toEqual([255, 170, 85, 0]);
    const svg = await renderSvg(spec);
    expect(svg.match(/<image /g)?.length).toBe(3);
    for (const caption of ['7 0.91', '1 0.50']) expect(svg).toContain(`>${caption}<`);
    expect(() => pictureGrid(images, 2, { title: 't', captions: ['a'] })).toThrow(/pictureGrid: 1 captions for 3 images/);
  });
});

describe('DCIM sample statistics', () => {
  const samples = (rows: number[][], classes: number[], predicted = classes): ClassSamples => ({
    images: new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]),
    classes,
    predicted,
    probability: classes.map(() => 1),
  });

  it('within-class spread is 0 for identical samples of a class and grows with their differences', () => {
    expect(withinClassSpread(samples([[1, 0], [1, 0], [0, 1], [0, 1]], [0, 0, 1, 1]))).toBe(0);
    // class 0: pixel values {1, 0} → std 0.5 on both pixels; class 1 identical → 0; mean 0.25
    expect(withinClassSpread(samples([[1, 0], [0, 1], [0, 1], [0, 1]], [0, 0, 1, 1]))).toBeCloseTo(0.25, 6);
  });

  it('agreement counts the samples classified as their class', () => {
    expect(sampleAgreement(samples([[0], [0], [0], [0]], [0, 0, 1, 1], [0, 1, 1, 1]))).toBe(0.75);
  });
});

describe('the DCIM CNN of §3.2', () => {
  it("has the paper's layer sizes: valid convolutions 28 → 26 → 24 → 12 → 10 → 8 → 4, then 50, 10", () => {
    const model = buildDcimCnn(dcimCnnSpec(32, 64), new Rng(0));
    expect(model.sizes).toEqual([784, 26 * 26 * 32, 24 * 24 * 32, 12 * 12 * 32, 10 * 10 * 64, 8 * 8 * 64, 4 * 4 * 64, 50, 10]);
    expect(model.depth).toBe(8);
  });
});

describe('centreUnits (LSUV start)', () => {
  it("gives every hidden channel's pre-activations mean 0 and standard deviation `std` on the batch, layer by layer", () => {
    const model = buildDcimCnn([[3, 1, 3], [2, 2, 4], [6], [10]], new Rng(2));
    const x = rand([40, 784], new Rng(3));
    centreUnits(model, x, 1.5);
    let below = x;
    model.layers.slice(0, -1).forEach((layer) => {
      const a = layer.forward(below);
      const channels = 'conv' in layer ? layer.outShape[0] : a.shape[1];
      const per = a.shape[1] / channels;
      for (let c = 0; c < channels; c++) {
        const v: number[] = [];
        for (let r = 0; r < a.shape[0]; r++) for (let p = 0; p < per; p++) v.push(a.data[r * a.shape[1] + c * per + p]);
        const m = v.reduce((s, t) => s + t, 0) / v.length;
        const sd = Math.sqrt(v.reduce((s, t) => s + (t - m) ** 2, 0) / v.length);
        expect(Math.abs(m)).toBeLessThan(1e-3);
        expect(sd).toBeCloseTo(1.5, 3);
      }
      below = a.sigmoid();
    });
  });
});

describe('centreInputBias', () => {
  it("makes the batch mean of q's input pre-activation the logit of the mean image", () => {
    const model = buildDcimCnn([[3, 1, 2], [2, 2, 3], [5], [10]], new Rng(4));
    const rng = new Rng(5);
    const x = rand([30, 784], rng).mul(0.9);
    const labels = new Tensor(Float32Array.from({ length: 30 }, (_, i) => i % 10), [30]);
    centreInputBias(model, x, labels);
    const above = model.reverseExpectations(oneHot(labels, 10), model.depth, 1)[0];
    const c = model.reversePreActivation(1, above).mean(0);
    const m = x.mean(0);
    c.data.forEach((v, i) => expect(v).toBeCloseTo(Math.log(m.data[i] / (1 - m.data[i])), 3));
  });
});

describe('reverseLossReferences', () => {
  it('scores the mean digit and the class-mean digits by per-pixel cross-entropy on the validation digits', () => {
    // two classes, two pixels; class 0 always [1, 0], class 1 always [0, 1]
    const xTrain = new Tensor(Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]), [4, 2]);
    const yTrain = new Tensor(Float32Array.from([0, 1, 0, 1]), [4]);
    const r = reverseLossReferences({ xTrain, yTrain, xTest: xTrain, yTest: yTrain });
    expect(r.meanDigit).toBeCloseTo(Math.log(2), 6); // the mean digit is [0.5, 0.5]
    expect(r.classMeanDigit).toBeCloseTo(-Math.log(1 - 1e-3), 6); // class means are exact, clipped to [1e-3, 1 − 1e-3]
    expect(r.meanDigitSe).toBe(0); // every validation digit scores the same
  });

  it('gives the standard error over the validation digits of each reference', () => {
    const xTrain = new Tensor(Float32Array.from([1, 0, 1, 1, 0, 0, 1, 0]), [4, 2]); // mean digit [0.75, 0.25]
    const yTrain = new Tensor(Float32Array.from([0, 1, 0, 1]), [4]);
    const xTest = new Tensor(Float32Array.from([1, 0, 0, 1, 0.5, 0.5]), [3, 2]);
    const yTest = new Tensor(Float32Array.from([0, 1, 0]), [3]);
    const r = reverseLossReferences({ xTrain, yTrain, xTest, yTest });
    const bce = (t: number[], p: number[]) => -t.reduce((s, v, i) => s + v * Math.log(p[i]) + (1 - v) * Math.log(1 - p[i]), 0) / t.length;
    const perImage = [[1, 0], [0, 1], [0.5, 0.5]].map((t) => bce(t, [0.75, 0.25]));
    expect(r.meanDigit).toBeCloseTo(meanWithSe(perImage).value, 6);
    expect(r.meanDigitSe).toBeCloseTo(meanWithSe(perImage).se!, 6);
  });
});
