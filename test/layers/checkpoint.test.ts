import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nn, Rng } from '../../src/index.js';
import { loadCheckpoint, readCheckpoint, saveCheckpoint } from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
/** Re-encodes a checkpoint after `edit` changed its JSON header (the payload is kept as is). */
function withHeader(bytes: Uint8Array, edit: (header: { format: number; params: Record<string, unknown>[] }) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(16, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(20 + json.length + bytes.length - 20 - length);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(16, json.length, true);
  out.set(json, 20);
  out.set(bytes.subarray(20 + length), 20 + json.length);
  return out;
}

const net = (seed: number, hidden = 5) => new nn.Sequential(new nn.Conv2d(2, 3, 3, { rng: new Rng(seed) }), new nn.Flatten(), new nn.Linear(3 * 4, hidden, { rng: new Rng(seed + 1) }));

describe('checkpoints', () => {
  it('round trip is bit-exact (NaN payloads and −0 included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const a = net(seed);
        a.parameters()[0].data[0] = -0;
        new Uint32Array(a.parameters()[1].data.buffer)[0] = 0x7fc00123; // a NaN with a payload
        const path = join(dir, `a-${seed}.ckpt`);
        saveCheckpoint(a, path, { epoch: 3 });
        const b = net(seed + 7);
        expect(loadCheckpoint(b, path)).toEqual({ epoch: 3 });
        a.parameters().forEach((p, i) => {
          const q = b.parameters()[i];
          expect(new Uint32Array(q.data.buffer, q.data.byteOffset, q.size)).toEqual(new Uint32Array(p.data.buffer, p.data.byteOffset, p.size));
        });
      }),
      { numRuns: 10 },
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temporary left behind
  });

  const saved = () => {
    const path = join(dir, 'base.ckpt');
    saveCheckpoint(net(1), path);
    return { path, bytes: readFileSync(path) };
  };

  it('names the byte range of a truncated file', () => {
    const { bytes } = saved();
    const path = join(dir, 'truncated.ckpt');
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/truncated: parameter '2\.bias' needs bytes \d+–\d+, the file ends at byte \d+/);
    writeFileSync(path, bytes.subarray(0, 30));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/truncated inside the header/);
  });

  it('names the parameter whose bytes are corrupted', () => {
    const { bytes } = saved();
    const { state } = readCheckpoint(join(dir, 'base.ckpt'));
    const corrupted = Uint8Array.from(bytes);
    corrupted[corrupted.length - 4 * state.get('2.bias')!.size - 3] ^= 0x40; // inside 2.weight's last value
    const path = join(dir, 'corrupted.ckpt');
    writeFileSync(path, corrupted);
    expect(() => loadCheckpoint(net(1), path)).toThrow(/parameter '2\.weight' \(bytes \d+–\d+\) is corrupted/);
  });

  it('rejects foreign files and mismatched modules', () => {
    const path = join(dir, 'foreign.bin');
    writeFileSync(path, 'PK\u0003\u0004 not a checkpoint at all');
    expect(() => loadCheckpoint(net(1), path)).toThrow(/not a gibbsgrad checkpoint \(bad magic/);
    const { path: good } = saved();
    expect(() => loadCheckpoint(net(1, 6), good)).toThrow(/parameter '2\.weight' has shape \[5, 12\] in the file but \[6, 12\] in the module/);
    const other = new nn.Sequential(new nn.Linear(2, 2, { rng: new Rng(0) }));
    expect(() => loadCheckpoint(other, good)).toThrow(/does not match the module: missing \[\], unexpected \[0\.bias, 2\.weight, 2\.bias\]|missing \[0\.weight|unexpected/);
  });

  it('names the parameters a module lacks or does not expect', () => {
    const { path } = saved();
    const renamed = new nn.Sequential(new nn.Conv2d(2, 3, 3, { rng: new Rng(1) }), new nn.Flatten(), new nn.ReLU(), new nn.Linear(3 * 4, 5, { rng: new Rng(2) }));
    expect(() => loadCheckpoint(renamed, path)).toThrow(`loadCheckpoint: ${path} does not match the module: missing [3.weight, 3.bias], unexpected [2.weight, 2.bias]`);
  });

  it('rejects a header whose offsets do not tile the payload, or that repeats a name', () => {
    const { bytes } = saved();
    const path = join(dir, 'offsets.ckpt');
    writeFileSync(path, withHeader(bytes, (h) => void (h.params[1].offset = 0)));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/parameter '0\.bias' declares payload offset 0, expected 216/);
    writeFileSync(path, withHeader(bytes, (h) => void (h.params[1].name = '0.weight')));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/parameter '0\.weight' appears twice in the header/);
    writeFileSync(path, withHeader(bytes, (h) => void (h.params[0].shape = [3, 2, 3, 4])));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/the header entry \{"name":"0\.weight","shape":\[3,2,3,4\].* is malformed/);
    writeFileSync(path, withHeader(bytes, (h) => void (h.format = 99)));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/format version 99 is not supported \(expected 1\)/);
    writeFileSync(path, Buffer.concat([bytes, Buffer.from([1, 2, 3])]));
    expect(() => loadCheckpoint(net(1), path)).toThrow(new RegExp(`3 unexpected trailing bytes \\(bytes ${bytes.length}–${bytes.length + 2}\\)`));
  });

  it('a failed save leaves the previous checkpoint intact and no temporary file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'ckpt-atomic-'));
    const path = join(folder, 'model.ckpt');
    saveCheckpoint(net(1), path);
    const before = readFileSync(path);
    // meta that JSON cannot encode fails after the model is serialised but before any byte is written
    expect(() => saveCheckpoint(net(2), path, { step: 10n })).toThrow(/BigInt/);
    // a folder in the way makes the final rename fail, after the temporary file was written and synced
    mkdirSync(join(folder, 'occupied'));
    expect(() => saveCheckpoint(net(2), join(folder, 'occupied'))).toThrow();
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(folder).sort()).toEqual(['model.ckpt', 'occupied']);
  });

  it('never evaluates the header: it is JSON, and bad JSON is an error', () => {
    const { bytes } = saved();
    const broken = Uint8Array.from(bytes);
    broken[20] = '('.charCodeAt(0);
    const path = join(dir, 'badjson.ckpt');
    writeFileSync(path, broken);
    expect(() => loadCheckpoint(net(1), path)).toThrow(/the header \(bytes 20–\d+\) is not valid JSON/);
  });
});
