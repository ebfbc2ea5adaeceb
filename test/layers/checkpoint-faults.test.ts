// Checkpoint faults: every byte of a file is covered by a checksum (a flipped digit of the meta data
// must not load silently), file-system errors name the path, and a save killed midway leaves the
// previous checkpoint and an orphaned temporary that the next save removes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, nn, Rng } from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small = () => new nn.Sequential(new nn.Linear(3, 2, { rng: new Rng(4) }));
/** Meta shaped like a progress checkpoint's: an energy, an Rng state, an optimiser's step count. */
const meta = { energy: -3.516, rng: new Rng(9).getState(), optimizer: { stepCount: 12, lr: 0.002 }, note: 'epoch 3' };
const encoded = () => encodeCheckpoint(new Map(small().namedParameters()), meta);

// Format 2: magic (0–15), header length H (16–19), header checksum (20–23), header (24…), payload.
const headerLength = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(16, true);
const payloadStart = (b: Uint8Array) => 24 + headerLength(b);
/** Index of the first byte of `text` in the file (the header is ASCII here). */
const indexOf = (b: Uint8Array, text: string) => Buffer.from(b).indexOf(text);
const flipped = (b: Uint8Array, at: number, mask = 0x01) => {
  const out = Uint8Array.from(b);
  out[at] ^= mask;
  return out;
};
const fileWith = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('checkpoint checksums', () => {
  it('every single-bit flip anywhere in the file is an error (magic, lengths, checksums, header, meta, weights)', () => {
    const bytes = encoded();
    expect(decodeCheckpoint(bytes).meta).toEqual(meta);
    const silent: string[] = [];
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        try {
          decodeCheckpoint(flipped(bytes, at, 1 << bit));
          silent.push(`byte ${at} bit ${bit}`);
        } catch (e) {
          expect((e as Error).message).toMatch(/^loadCheckpoint: checkpoint: /);
        }
      }
    }
    expect(silent).toEqual([]);
  });

  it('any byte replaced by any other value is an error (property)', () => {
    const bytes = encoded();
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        expect(() => decodeCheckpoint(flipped(bytes, at, mask))).toThrow(/^loadCheckpoint: /);
      }),
      { numRuns: 300 },
    );
  });

  it('meta data that JSON holds survives a round trip (property)', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const value = JSON.parse(text);
        expect(decodeCheckpoint(encodeCheckpoint(new Map(), value)).meta).toEqual(value);
      }),
      { numRuns: 100 },
    );
  });

  const bytes = encoded();
  const digitOf = (text: string) => indexOf(bytes, text) + text.length; // the byte right after `text`
  it.each([
    ['the magic', 0, /bad magic in bytes 0–15/],
    ['the low byte of the header length', 16, /header length in bytes 16–19/],
    ['the high byte of the header length', 19, /header length in bytes 16–19/],
    ['the header checksum', 21, /the header \(bytes 24–\d+, parameter list and meta data\) is corrupted: checksum [0-9a-f]{8} ≠ [0-9a-f]{8} stored in bytes 20–23/],
    ['a digit of a parameter shape', digitOf('"shape":['), /the header \(bytes 24–\d+, parameter list and meta data\) is corrupted/],
    ['a digit of the recorded energy in the meta data', digitOf('"energy":-'), /the header \(bytes 24–\d+, parameter list and meta data\) is corrupted/],
    ['a digit of the Rng state in the meta data', digitOf('"generator":[') + 1, /the header \(bytes 24–\d+, parameter list and meta data\) is corrupted/],
    ['a weight', payloadStart(bytes) + 5, /parameter '0\.weight' \(bytes \d+–\d+\) is corrupted/],
    ['the last bias byte', bytes.length - 1, /parameter '0\.bias' \(bytes \d+–\d+\) is corrupted/],
  ] as const)('a flipped byte in %s is an error naming the file and the byte range', (_what, at, message) => {
    const path = fileWith(`flip-${at}.ckpt`, flipped(bytes, at));
    expect(() => loadCheckpoint(small(), path)).toThrow(message);
    expect(() => loadCheckpoint(small(), path)).toThrow(`loadCheckpoint: ${path}: `);
  });

  it('a format-1 file (no header checksum) is refused with a message saying the format is old', () => {
    const header = new TextEncoder().encode(JSON.stringify({ format: 1, params: [], meta: { epoch: 1 } }));
    const v1 = new Uint8Array(20 + header.length);
    v1.set(new TextEncoder().encode('GIBBSGRAD-CKPT1\n'));
    new DataView(v1.buffer).setUint32(16, header.length, true);
    v1.set(header, 20);
    const path = fileWith('format1.ckpt', v1);
    expect(() => loadCheckpoint(new nn.Sequential(), path)).toThrow(`loadCheckpoint: ${path}: format 1, written by an older gibbsgrad`);
  });
});

describe('checkpoint file errors name the path and the problem', () => {
  it('loading a folder or a missing file', () => {
    const folder = join(dir, 'a-folder.ckpt');
    mkdirSync(folder);
    expect(() => loadCheckpoint(small(), folder)).toThrow(`loadCheckpoint: ${folder} is a folder, not a checkpoint file`);
    const missing = join(dir, 'missing.ckpt');
    expect(() => loadCheckpoint(small(), missing)).toThrow(`loadCheckpoint: ${missing} does not exist`);
  });

  it('saving where the parent is a file, or onto a folder', () => {
    const file = fileWith('plain-file', new Uint8Array([1]));
    const below = join(file, 'model.ckpt');
    expect(() => saveCheckpoint(small(), below)).toThrow(`saveCheckpoint: cannot write ${below}: ${file} is a file, not a folder`);
    const deeper = join(file, 'sub', 'model.ckpt');
    expect(() => saveCheckpoint(small(), deeper)).toThrow(`saveCheckpoint: cannot write ${deeper}: ${file} is a file, not a folder`);
    const absent = join(dir, 'no-such-folder', 'model.ckpt');
    expect(() => saveCheckpoint(small(), absent)).toThrow(`saveCheckpoint: cannot write ${absent}: the folder ${join(dir, 'no-such-folder')} does not exist`);
    const folder = join(dir, 'occupied.ckpt');
    mkdirSync(folder);
    expect(() => saveCheckpoint(small(), folder)).toThrow(`saveCheckpoint: cannot write ${folder}: it is a folder`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('meta that is circular or holds a BigInt is a TypeError naming the file and the key', () => {
    const path = join(dir, 'bad-meta.ckpt');
    const circular: Record<string, unknown> = { a: { b: 1 } };
    (circular.a as Record<string, unknown>).self = circular.a;
    expect(() => saveCheckpoint(small(), path, circular)).toThrow(TypeError);
    expect(() => saveCheckpoint(small(), path, circular)).toThrow(`saveCheckpoint: ${path}: meta.a.self refers back to meta.a (a circular structure); meta must be JSON data`);
    expect(() => saveCheckpoint(small(), path, { runs: [{ step: 10n }] })).toThrow(`saveCheckpoint: ${path}: meta.runs[0].step is a BigInt (10n); meta must be JSON data`);
    expect(() => saveCheckpoint(small(), path, { 'odd key': [1n] })).toThrow(`meta["odd key"][0] is a BigInt`);
    expect(existsSync(path)).toBe(false);
  });
});

describe('orphaned temporary files', () => {
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
  const ownTag = threadId === 0 ? `${process.pid}` : `${process.pid}t${threadId}`;

  it('the next save to a path removes its temporaries of dead processes and of this thread, and keeps the rest', () => {
    const folder = mkdtempSync(join(dir, 'orphans-'));
    const path = join(folder, 'model.ckpt');
    saveCheckpoint(small(), path);
    const dead = deadPid();
    const orphans = [`.model.ckpt.${dead}.1700000000000.tmp`, `.model.ckpt.${ownTag}.1700000000001.tmp`];
    const kept = [
      `.model.ckpt.${process.ppid}.1700000000002.tmp`, // a live process may be saving right now
      `.model.ckpt.${process.pid}t${threadId + 1000}.1700000000003.tmp`, // another thread of this process
      `.other.ckpt.${dead}.1700000000004.tmp`, // another checkpoint's
      `.model.ckpt.notes.tmp`, // not a temporary name of ours
    ];
    for (const name of [...orphans, ...kept]) writeFileSync(join(folder, name), 'partial');
    saveCheckpoint(small(), path);
    expect(readdirSync(folder).sort()).toEqual(['model.ckpt', ...kept].sort());
  });

  it('a save killed with SIGKILL leaves the previous checkpoint, and the next save removes the orphaned temporary', async () => {
    const folder = mkdtempSync(join(dir, 'sigkill-'));
    const path = join(folder, 'big.ckpt');
    const script = fileURLToPath(new URL('./checkpoint-save-loop.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, '3'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('stopped in save 3')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`the child exited (${code}) before save 3: ${out}${err}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(out).toBe('saved 1\nsaved 2\nstopped in save 3\n');

    const orphan = readdirSync(folder).filter((f) => f.endsWith('.tmp'));
    expect(orphan).toEqual([expect.stringMatching(new RegExp(`^\\.big\\.ckpt\\.${child.pid}\\.\\d+\\.tmp$`))]);
    expect(statSync(join(folder, orphan[0])).size).toBeGreaterThan(0);
    const model = new nn.Sequential(new nn.Linear(2048, 2048, { rng: new Rng(1) }));
    expect(loadCheckpoint(model, path)).toEqual({ save: 2 });
    for (const p of model.parameters()) expect(p.data.every((v) => v === 2)).toBe(true);

    saveCheckpoint(small(), path);
    expect(readdirSync(folder)).toEqual(['big.ckpt']);
  });
});
