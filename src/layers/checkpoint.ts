/**
 * Checkpoints: a module's parameters in one file.
 *
 *   bytes 0..15   magic "GIBBSGRAD-CKPT1\n"
 *   bytes 16..19  header length H (uint32, little-endian)
 *   next H bytes  JSON header: { format, params: [{ name, shape, offset, bytes, fnv1a }], meta }
 *   the rest      raw little-endian float32 values, parameter after parameter
 *
 * Each parameter carries a FNV-1a hash of its bytes, so corruption is reported by parameter and
 * byte range. Decoding only parses JSON and copies numbers; it never evaluates code. This file is
 * the format (bytes in, bytes out, in any host); the files themselves are written atomically by
 * saveCheckpoint in `gibbsgrad/node` (src/node/checkpoint-file.ts).
 */
import { fmt, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

const MAGIC = 'GIBBSGRAD-CKPT1\n';
export const CHECKPOINT_FORMAT = 1;
const PREFIX = MAGIC.length + 4;

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

/** FNV-1a, 32 bits: small and good enough to detect flipped or zeroed bytes. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

const hostIsLittleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function needLittleEndian(op: string): void {
  if (!hostIsLittleEndian) throw new Error(`${op}: checkpoints are little-endian; this host is big-endian`);
}

/** Serialises named tensors (raw float32 bytes, so NaN payloads survive bit for bit). */
export function encodeCheckpoint(state: ReadonlyMap<string, Tensor>, meta?: unknown): Uint8Array {
  needLittleEndian('saveCheckpoint');
  let offset = 0;
  const params: ParamEntry[] = [...state].map(([name, t]) => {
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const entry = { name, shape: [...t.shape], offset, bytes: raw.length, fnv1a: fnv1a(raw) };
    offset += raw.length;
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ format: CHECKPOINT_FORMAT, params, meta } satisfies Header));
  const out = new Uint8Array(PREFIX + header.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, PREFIX);
  let at = PREFIX + header.length;
  for (const t of state.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Parses and verifies a checkpoint; errors name the file, the parameter and the byte range. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { state: Map<string, Tensor>; meta: unknown } {
  needLittleEndian('loadCheckpoint');
  const fail = (what: string) => new Error(`loadCheckpoint: ${source}: ${what}`);
  if (bytes.length < PREFIX || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw fail('not a gibbsgrad checkpoint (bad magic in bytes 0–15)');
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  const payloadStart = PREFIX + headerLength;
  if (payloadStart > bytes.length) throw fail(`truncated inside the header (bytes ${PREFIX}–${payloadStart - 1} declared, file has ${bytes.length} bytes)`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, payloadStart)));
  } catch {
    throw fail(`the header (bytes ${PREFIX}–${payloadStart - 1}) is not valid JSON`);
  }
  if (header?.format !== CHECKPOINT_FORMAT) throw fail(`format version ${JSON.stringify(header?.format)} is not supported (expected ${CHECKPOINT_FORMAT})`);
  if (!Array.isArray(header.params)) throw fail('the header has no parameter list');
  const state = new Map<string, Tensor>();
  // Offsets must tile the payload in order: a header edited by hand (or by a flipped bit) cannot
  // make two parameters share bytes or skip some.
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
 * Copies a decoded checkpoint's tensors into `module`: every parameter must be present with its
 * shape, and nothing else (`source` names the checkpoint in errors).
 */
export function loadState(module: Module, state: ReadonlyMap<string, Tensor>, source = 'checkpoint'): void {
  const own = new Map(module.namedParameters());
  const missing = [...own.keys()].filter((k) => !state.has(k));
  const unexpected = [...state.keys()].filter((k) => !own.has(k));
  if (missing.length || unexpected.length) {
    throw new Error(`loadCheckpoint: ${source} does not match the module: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
  }
  for (const [name, t] of state) {
    const p = own.get(name)!;
    if (!sameShape(p.shape, t.shape)) throw new Error(`loadCheckpoint: ${source}: parameter '${name}' has shape ${fmt(t.shape)} in the file but ${fmt(p.shape)} in the module`);
  }
  for (const [name, t] of state) own.get(name)!.data.set(t.data);
}
