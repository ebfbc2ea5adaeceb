import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nn, Rng } from '../../src/index.js';
import { loadCheckpoint, readCheckpoint, saveCheckpoint } from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
/** FNV-1a over byte arrays, as the format's checksums. */
function fnv1a(...parts: Uint8Array[]): number {
  let h = 0x811c9dc5;
  for (const bytes of parts) for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}
/**
 * Replaces a checkpoint's JSON header by `json` (the payload is kept as is) with a valid header
 * checksum, as code writing inconsistent headers would: the decoder's structural checks must hold.
 */
function withRawHeader(bytes: Uint8Array, json: Uint8Array): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(16, true);
  const out = new Uint8Array(24 + json.length + bytes.length - 24 - length);
  const view = new DataView(out.buffer);
  out.set(bytes.subarray(0, 16));
  view.setUint32(16, json.length, true);
  out.set(json, 24);
  view.setUint32(20, fnv1a(out.subarray(0, 20), json), true);
  out.set(bytes.subarray(24 + length), 24 + json.length);
  return out;
}
/** Re-encodes a checkpoint after `edit` changed its JSON header. */
function withHeader(bytes: Uint8Array, edit: (header: { format: number; params: Record<string, unknown>[] }) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(16, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + length)));
  edit(header);
  return withRawHeader(bytes, new TextEncoder().encode(JSON.stringify(header)));
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
    expect(() => loadCheckpoint(net(1), path)).toThrow(/truncated or corrupted: the header length in bytes 16–19 says the header ends at byte \d+, the file has 30 bytes/);
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
    expect(() => loadCheckpoint(net(1), path)).toThrow(/format version 99 is not supported \(expected 2\)/);
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
    // with a valid checksum, as if written by other code: parsed as JSON, never run
    const path = join(dir, 'badjson.ckpt');
    writeFileSync(path, withRawHeader(bytes, new TextEncoder().encode('(() => { throw new Error("evaluated") })()')));
    expect(() => loadCheckpoint(net(1), path)).toThrow(/the header \(bytes 24–\d+, parameter list and meta data\) is not valid JSON/);
  });
});
