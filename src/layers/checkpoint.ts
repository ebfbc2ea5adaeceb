/**
 * Checkpoints: a module's parameters in one file, every byte of it under a checksum.
 *
 *   bytes 0..15   magic "GIBBSGRAD-CKPT2\n" (the digit is the format version)
 *   bytes 16..19  header length H (uint32, little-endian)
 *   bytes 20..23  FNV-1a of bytes 0..19 and of the header (uint32, little-endian)
 *   next H bytes  JSON header: { format, params: [{ name, shape, offset, bytes, fnv1a }], meta }
 *   the rest      raw little-endian float32 values, parameter after parameter
 *
 * The header checksum covers the meta data (an experiment's optimiser and Rng state, its recorded
 * numbers), the names, shapes and offsets, and each parameter's FNV-1a; those cover the payload.
 * A single changed byte anywhere is always detected (FNV-1a multiplies by an odd constant, a
 * bijection, so one differing input byte always gives a different hash). Corruption is reported by
 * part and byte range. Decoding only parses JSON and copies numbers; it never evaluates code. This
 * file is the format (bytes in, bytes out, in any host); the files themselves are written
 * atomically by saveCheckpoint in `gibbsgrad/node` (src/node/checkpoint-file.ts).
 */
import { fmt, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

export const CHECKPOINT_FORMAT = 2;
const MAGIC_STEM = 'GIBBSGRAD-CKPT';
const MAGIC = `${MAGIC_STEM}${CHECKPOINT_FORMAT}\n`;
const LENGTH_AT = MAGIC.length;
const CHECKSUM_AT = LENGTH_AT + 4;
const PREFIX = CHECKSUM_AT + 4;

interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  bytes: number;
  fnv1a: string;
}

interface Header {
  format: number;
  params: ParamEntry[];
  meta?: unknown;
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a, 32 bits: small and good enough to detect flipped or zeroed bytes. */
function fnv1aUpdate(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

const hex = (h: number) => (h >>> 0).toString(16).padStart(8, '0');
const fnv1a = (bytes: Uint8Array) => hex(fnv1aUpdate(FNV_OFFSET, bytes));

/** The header checksum: the magic and length (bytes 0..19), then the header itself. */
function headerChecksum(bytes: Uint8Array, headerLength: number): number {
  return fnv1aUpdate(fnv1aUpdate(FNV_OFFSET, bytes.subarray(0, CHECKSUM_AT)), bytes.subarray(PREFIX, PREFIX + headerLength)) >>> 0;
}

const hostIsLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function needLittleEndian(op: string): void {
  if (!hostIsLittleEndian) throw new Error(`${op}: checkpoints are little-endian; this host is big-endian`);
}

/** `meta.a[0]["odd key"]`: where in the meta data a value sits, for error messages. */
function keyPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The first value of `value` that JSON.stringify rejects (a BigInt, or an object inside itself),
 * walked the way JSON.stringify walks (toJSON first); null if none is found.
 */
function unencodable(value: unknown, path: string, key: string, ancestors: { value: object; path: string }[]): string | null {
  let v = value;
  if (v && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(k: string): unknown }).toJSON(key);
  if (typeof v === 'bigint') return `${path} is a BigInt (${v}n)`;
  if (!v || typeof v !== 'object') return null;
  const loop = ancestors.find((a) => a.value === v);
  if (loop) return `${path} refers back to ${loop.path} (a circular structure)`;
  const inner = [...ancestors, { value: v, path }];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) {
    const found = unencodable(x, keyPath(path, k), String(k), inner);
    if (found) return found;
  }
  return null;
}

/** unencodable() from the top; a toJSON that throws leaves the original error to describe it. */
function findUnencodable(meta: unknown): string | null {
  try {
    return unencodable(meta, 'meta', 'meta', []);
  } catch {
    return null;
  }
}

function encodeHeader(header: Header, target: string): Uint8Array {
  let json: string;
  try {
    json = JSON.stringify(header);
  } catch (e) {
    const problem = findUnencodable(header.meta) ?? `meta cannot be encoded (${(e as Error).message})`;
    throw new TypeError(`saveCheckpoint: ${target}: ${problem}; meta must be JSON data`, { cause: e });
  }
  return new TextEncoder().encode(json);
}

/**
 * Serialises named tensors (raw float32 bytes, so NaN payloads survive bit for bit) and `meta`
 * (JSON data); `target` names the file in errors.
 */
export function encodeCheckpoint(state: ReadonlyMap<string, Tensor>, meta?: unknown, target = 'checkpoint'): Uint8Array {
  needLittleEndian('saveCheckpoint');
  let offset = 0;
  const params: ParamEntry[] = [...state].map(([name, t]) => {
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const entry = { name, shape: [...t.shape], offset, bytes: raw.length, fnv1a: fnv1a(raw) };
    offset += raw.length;
    return entry;
  });
  const header = encodeHeader({ format: CHECKPOINT_FORMAT, params, meta }, target);
  const out = new Uint8Array(PREFIX + header.length + offset);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(LENGTH_AT, header.length, true);
  out.set(header, PREFIX);
  view.setUint32(CHECKSUM_AT, headerChecksum(out, header.length), true);
  let at = PREFIX + header.length;
  for (const t of state.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Checks the magic; format 1 files (no header checksum) are refused rather than trusted. */
function checkMagic(bytes: Uint8Array, fail: (what: string) => Error): void {
  const magic = bytes.length >= MAGIC.length ? new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) : '';
  if (magic === MAGIC) return;
  const version = magic.startsWith(MAGIC_STEM) && magic.endsWith('\n') ? magic.slice(MAGIC_STEM.length, -1) : '';
  if (version === '1') {
    throw fail('format 1, written by an older gibbsgrad: its header and meta data carry no checksum, so this version does not load it (load it with the older version and save it again with this one)');
  }
  if (/^[0-9]$/.test(version)) throw fail(`format version ${version} is not supported (expected ${CHECKPOINT_FORMAT})`);
  throw fail('not a gibbsgrad checkpoint (bad magic in bytes 0–15)');
}

/** Verifies the prefix and the header checksum, then parses the header. */
function readHeader(bytes: Uint8Array, fail: (what: string) => Error): { header: Header; payloadStart: number } {
  checkMagic(bytes, fail);
  if (bytes.length < PREFIX) throw fail(`truncated inside the prefix (bytes 0–${PREFIX - 1}), the file has ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(LENGTH_AT, true);
  const payloadStart = PREFIX + headerLength;
  const range = `bytes ${PREFIX}–${payloadStart - 1}, parameter list and meta data`;
  if (payloadStart > bytes.length) {
    throw fail(`truncated or corrupted: the header length in bytes ${LENGTH_AT}–${CHECKSUM_AT - 1} says the header ends at byte ${payloadStart - 1}, the file has ${bytes.length} bytes`);
  }
  const stored = view.getUint32(CHECKSUM_AT, true);
  const actual = headerChecksum(bytes, headerLength);
  if (actual !== stored) {
    throw fail(`the header (${range}) is corrupted: checksum ${hex(actual)} ≠ ${hex(stored)} stored in bytes ${CHECKSUM_AT}–${PREFIX - 1} (or the header length in bytes ${LENGTH_AT}–${CHECKSUM_AT - 1} is)`);
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, payloadStart)));
  } catch {
    throw fail(`the header (${range}) is not valid JSON`);
  }
  if (header?.format !== CHECKPOINT_FORMAT) throw fail(`format version ${JSON.stringify(header?.format)} is not supported (expected ${CHECKPOINT_FORMAT})`);
  if (!Array.isArray(header.params)) throw fail('the header has no parameter list');
  return { header, payloadStart };
}

/** Parses and verifies a checkpoint; errors name the file, the part and the byte range. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { state: Map<string, Tensor>; meta: unknown } {
  needLittleEndian('loadCheckpoint');
  const fail = (what: string) => new Error(`loadCheckpoint: ${source}: ${what}`);
  const { header, payloadStart } = readHeader(bytes, fail);
  const state = new Map<string, Tensor>();
  // Offsets must tile the payload in order: a header written by other code cannot make two
  // parameters share bytes or skip some.
  let expectedOffset = 0;
  for (const p of header.params) {
    const valid = typeof p?.name === 'string' && Array.isArray(p.shape) && p.shape.every((d) => Number.isInteger(d) && d >= 0)
      && Number.isInteger(p.offset) && p.offset >= 0 && p.bytes === 4 * sizeOf(p.shape) && typeof p.fnv1a === 'string';
    if (!valid) throw fail(`the header entry ${JSON.stringify(p)} is malformed`);
    if (state.has(p.name)) throw fail(`parameter '${p.name}' appears twice in the header`);
    if (p.offset !== expectedOffset) throw fail(`parameter '${p.name}' declares payload offset ${p.offset}, expected ${expectedOffset} (right after the previous parameter)`);
    expectedOffset += p.bytes;
    const start = payloadStart + p.offset;
    const end = start + p.bytes;
    if (end > bytes.length) throw fail(`truncated: parameter '${p.name}' needs bytes ${start}–${end - 1}, the file ends at byte ${bytes.length - 1}`);
    // A fresh, 4-byte-aligned copy (a Node Buffer's slice() would be a view into a shared pool).
    const raw = new Uint8Array(end - start);
    raw.set(bytes.subarray(start, end));
    if (fnv1a(raw) !== p.fnv1a) throw fail(`parameter '${p.name}' (bytes ${start}–${end - 1}) is corrupted: checksum ${fnv1a(raw)} ≠ ${p.fnv1a}`);
    state.set(p.name, new Tensor(new Float32Array(raw.buffer), p.shape));
  }
  const last = payloadStart + expectedOffset;
  if (last !== bytes.length) throw fail(`${bytes.length - last} unexpected trailing bytes (bytes ${last}–${bytes.length - 1})`);
  return { state, meta: header.meta };
}

/**
 * Copies a decoded checkpoint's tensors into `module`: every parameter and buffer (a BatchNorm's
 * running statistics) must be present with its shape, and nothing else (`source` names the checkpoint in errors).
 */
export function loadState(module: Module, state: ReadonlyMap<string, Tensor>, source = 'checkpoint'): void {
  const own = new Map(module.namedState());
  const missing = [...own.keys()].filter((k) => !state.has(k));
  const unexpected = [...state.keys()].filter((k) => !own.has(k));
  if (missing.length || unexpected.length) {
    throw new Error(`loadCheckpoint: ${source} does not match the module: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
  }
  for (const [name, t] of state) {
    const p = own.get(name)!;
    if (!sameShape(p.shape, t.shape)) throw new Error(`loadCheckpoint: ${source}: parameter '${name}' has shape ${fmt(t.shape)} in the file but ${fmt(p.shape)} in the module`);
  }
  for (const [name, t] of state) {
    const p = own.get(name)!;
    p.data.set(t.data);
    p.version++;
  }
}
