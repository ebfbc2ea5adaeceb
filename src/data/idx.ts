/**
 * The IDX format of MNIST-style files (optionally gzipped): a big-endian header
 * [0, 0, type, rank] then rank 32-bit dimensions, then the data. Only unsigned bytes (type 0x08),
 * the type of every MNIST-format image and label file, are read.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Tensor } from '../tensor/tensor.js';

export function parseIdx(bytes: Uint8Array, source = 'IDX data'): { shape: number[]; data: Uint8Array } {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`readIdx: ${source} is not an IDX file (bad magic)`);
  const type = bytes[2];
  const rank = bytes[3];
  if (type !== 0x08) throw new Error(`readIdx: ${source} has element type 0x${type.toString(16)}; only unsigned bytes (0x08) are supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new Error(`readIdx: ${source} is truncated inside its header (${bytes.length} bytes)`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((p, d) => p * d, 1);
  if (bytes.length !== header + size) {
    throw new Error(`readIdx: ${source} should hold ${header + size} bytes for shape [${shape.join(', ')}], has ${bytes.length}`);
  }
  return { shape, data: bytes.subarray(header) };
}

/** Reads an IDX file into a float32 tensor, dividing by `scale` (255 maps pixels to [0, 1]). */
export function readIdx(path: string, scale = 1): Tensor {
  const { shape, data } = parseIdx(readFileSync(path), path);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / scale;
  return new Tensor(out, shape);
}
