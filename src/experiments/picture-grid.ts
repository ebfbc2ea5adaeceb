/**
 * A grid of small grey-scale pictures with a caption over each (e.g. DCIM Fig. 2: samples with
 * the class and probability the classifier gives them). Each picture is embedded as a PNG data
 * URL in a Vega-Lite image mark: a 10×10 grid of 28×28 digits is ~100 kB of SVG, where one
 * rectangle per pixel (`imageGrid`) would be ~12 MB. No network is needed to view it.
 */
import { crc32, deflateSync } from 'node:zlib';
import { Tensor } from '../tensor/tensor.js';

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, body.length + 4);
  return out;
}

/** An 8-bit grey-scale PNG of `pixels` (row-major, 0 = black, 255 = white) as a data URL. */
export function greyPngDataUrl(pixels: Uint8Array, width: number, height: number): string {
  if (pixels.length !== width * height) throw new Error(`greyPngDataUrl: ${pixels.length} pixels for a ${width}×${height} image`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grey-scale
  const raw = Buffer.alloc((width + 1) * height); // each row starts with filter type 0 (none)
  for (let r = 0; r < height; r++) raw.set(pixels.subarray(r * width, (r + 1) * width), r * (width + 1) + 1);
  const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * Pictures from the rows of `images` [K, side·side] with values in [0, 1] (ink = 1, drawn dark on
 * white), `columns` per row, each with its caption above it.
 */
export function pictureGrid(images: Tensor, side: number, { title, captions, columns = 10, scale = 2 }: { title: string; captions: readonly string[]; columns?: number; scale?: number }): Record<string, unknown> {
  const [k, n] = images.shape;
  if (images.ndim !== 2 || n !== side * side) throw new Error(`pictureGrid: images must be [K, ${side * side}], got [${images.shape.join(', ')}]`);
  if (captions.length !== k) throw new Error(`pictureGrid: ${captions.length} captions for ${k} images`);
  const values = Array.from({ length: k }, (_, i) => {
    const px = Uint8Array.from(images.data.subarray(i * n, (i + 1) * n), (v) => Math.round(255 * (1 - Math.min(1, Math.max(0, v)))));
    return { index: i, url: greyPngDataUrl(px, side, side) };
  });
  const size = side * scale;
  return {
    title,
    data: { values },
    // The facet value is the picture's index; the header shows its caption instead.
    facet: { field: 'index', type: 'ordinal', title: null, header: { labelExpr: `${JSON.stringify(captions)}[datum.value]`, labelFontSize: 9, labelPadding: 2 } },
    columns,
    spacing: 4,
    spec: {
      width: size,
      height: size,
      mark: { type: 'image', width: size, height: size, aspect: false, smooth: false, aria: false },
      encoding: { url: { field: 'url', type: 'nominal' }, x: { value: size / 2 }, y: { value: size / 2 } },
    },
  };
}
