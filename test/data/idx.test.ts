import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIdx, readIdx } from '../../src/data/idx.js';
import { fashionMnistAvailable, loadFashionMnist } from '../../src/data/fashion-mnist.js';

function idx(shape: number[], data: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  header.set([0, 0, 8, shape.length]);
  const view = new DataView(header.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return Uint8Array.from([...header, ...data]);
}

describe('IDX reader', () => {
  it('reads plain and gzipped files', () => {
    const bytes = idx([2, 3], [0, 1, 2, 253, 254, 255]);
    expect(parseIdx(bytes).shape).toEqual([2, 3]);
    const dir = mkdtempSync(join(tmpdir(), 'idx-'));
    writeFileSync(join(dir, 'a.gz'), gzipSync(bytes));
    const t = readIdx(join(dir, 'a.gz'), 255);
    expect(t.shape).toEqual([2, 3]);
    expect(t.data[5]).toBe(1);
  });

  it('names the problem for foreign, truncated and unsupported files', () => {
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4]), 'f')).toThrow(/f is not an IDX file/);
    expect(() => parseIdx(idx([2, 3], [1, 2, 3]), 'f')).toThrow(/should hold 18 bytes for shape \[2, 3\], has 15/);
    const float = idx([1], [0, 0, 0, 0]);
    float[2] = 0x0d;
    expect(() => parseIdx(float, 'f')).toThrow(/element type 0xd/);
  });

  it('Fashion-MNIST: a clear message naming the Debian package when absent', () => {
    expect(() => loadFashionMnist(mkdtempSync(join(tmpdir(), 'none-')))).toThrow(/dataset-fashion-mnist/);
  });

  it.runIf(fashionMnistAvailable())('Fashion-MNIST: loads 60,000 + 10,000 images in [0, 1]', () => {
    const d = loadFashionMnist();
    expect(d.xTrain.shape).toEqual([60000, 1, 28, 28]);
    expect(d.yTest.shape).toEqual([10000]);
    expect(Math.max(...d.xTest.data.subarray(0, 784))).toBeLessThanOrEqual(1);
  });
});
