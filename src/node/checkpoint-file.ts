/**
 * Checkpoint files (the format is src/layers/checkpoint.ts). Writes go to a temporary file in the
 * same folder, are fsynced, then renamed over the target: a crash mid-write leaves the previous
 * checkpoint intact, and the temporary file it leaves behind is removed by the next save to the
 * same path. File-system errors are rethrown naming the path and the problem.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { decodeCheckpoint, encodeCheckpoint, loadState } from '../layers/checkpoint.js';
import type { Module } from '../layers/module.js';
import { processIsAlive } from './processes.js';
import type { Tensor } from '../tensor/tensor.js';

/** Writes `module`'s parameters and buffers (namedState) to `path` atomically. */
export function saveCheckpoint(module: Module, path: string, meta?: unknown): void {
  writeFileAtomically('saveCheckpoint', path, encodeCheckpoint(new Map(module.namedState()), meta, path));
}

/**
 * Writes `bytes` to `path` so that `path` always holds either its old content or all of the new:
 * temporary file in the same folder (rename is atomic only within a file system), fsync, rename,
 * then fsync of the folder so that the rename itself survives a power cut.
 */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  writeFileAtomically('writeAtomic', path, bytes);
}

/**
 * Who writes a temporary file: the process id, and the thread for a worker thread (threads of one
 * process share the pid, and one thread cannot tell whether another is still saving).
 */
const writerTag = threadId === 0 ? `${process.pid}` : `${process.pid}t${threadId}`;
const TEMP_SUFFIX = /^(\d+)(t\d+)?\.\d+\.tmp$/;

function writeFileAtomically(op: string, path: string, bytes: Uint8Array): void {
  const folder = dirname(path);
  removeOrphanedTemporaries(folder, basename(path));
  const tmp = join(folder, `.${basename(path)}.${writerTag}.${Date.now()}.tmp`);
  let stage: 'create' | 'write' | 'rename' = 'create';
  try {
    const fd = openSync(tmp, 'wx');
    stage = 'write';
    try {
      // writeSync may write less than asked (e.g. a full disk returns early without throwing)
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    stage = 'rename';
    renameSync(tmp, path);
  } catch (e) {
    if (stage !== 'create') removeQuietly(tmp);
    throw new Error(`${op}: cannot write ${path}: ${writeProblem(e, stage, path)}`, { cause: e });
  }
  syncFolder(folder);
}

/**
 * Removes the temporary files that saves to `folder/base` killed midway (SIGKILL, power cut) left
 * behind: those of processes that are gone, and this thread's own (its saves are synchronous, so
 * none of them is in progress now). Those of live processes and of other threads may be saves in
 * progress and are kept (so is, rarely, an orphan whose pid a new process has taken: it goes once
 * that process ends). Best effort: a folder that cannot be listed is reported by the save itself.
 */
function removeOrphanedTemporaries(folder: string, base: string): void {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? TEMP_SUFFIX.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const writer = `${m[1]}${m[2] ?? ''}`;
    const orphaned = Number(m[1]) === process.pid ? writer === writerTag : !processIsAlive(Number(m[1]));
    if (orphaned) removeQuietly(join(folder, name));
  }
}

/** Cleanup must not hide the error that made it necessary (rmSync's force ignores ENOENT only). */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing more to do: the next save retries
  }
}

/** The first existing ancestor of `folder` that is not a folder, if any (it makes the path unusable). */
function fileInTheWay(folder: string): string | null {
  for (let at = folder; ; at = dirname(at)) {
    try {
      return statSync(at).isDirectory() ? null : at;
    } catch {
      if (dirname(at) === at) return null;
    }
  }
}

function writeProblem(e: unknown, stage: 'create' | 'write' | 'rename', path: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const folder = dirname(path);
  if (stage === 'create' && (code === 'ENOTDIR' || code === 'ENOENT')) {
    const file = fileInTheWay(folder);
    if (file) return `${file} is a file, not a folder`;
    if (code === 'ENOENT') return `the folder ${folder} does not exist`;
  }
  if (stage === 'rename' && (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM')) {
    let isFolder = false;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      // not there (any more): report the original error below
    }
    if (isFolder) return 'it is a folder';
  }
  if (code === 'EACCES' || code === 'EPERM') return `permission denied in ${folder}`;
  if (code === 'ENOSPC') return `no space left on the device of ${folder}`;
  if (code === 'EROFS') return `${folder} is on a read-only file system`;
  return (e as Error)?.message ?? String(e);
}

function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, 'r');
  } catch {
    return; // some platforms (Windows) cannot open a folder; the rename is still atomic there
  }
  try {
    fsyncSync(fd);
  } catch {
    // fsync on a folder is unsupported on some file systems; the data itself is already synced
  } finally {
    closeSync(fd);
  }
}

function readProblem(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EISDIR') return `${path} is a folder, not a checkpoint file`;
  if (code === 'ENOENT') {
    const file = fileInTheWay(dirname(path));
    return file ? `cannot read ${path}: ${file} is a file, not a folder` : `${path} does not exist`;
  }
  if (code === 'ENOTDIR') return `cannot read ${path}: ${fileInTheWay(dirname(path)) ?? 'a parent'} is a file, not a folder`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${path}: permission denied`;
  return `cannot read ${path}: ${(e as Error)?.message ?? String(e)}`;
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`loadCheckpoint: ${readProblem(e, path)}`, { cause: e });
  }
}

/** Reads and verifies `path` (every byte is checksummed): its tensors by name, and its meta data. */
export function readCheckpoint(path: string): { state: Map<string, Tensor>; meta: unknown } {
  return decodeCheckpoint(readBytes(path), path);
}

/**
 * Loads `path` into `module`: every parameter must be present with its shape, and nothing else.
 * Returns the checkpoint's meta data.
 */
export function loadCheckpoint(module: Module, path: string): unknown {
  const { state, meta } = readCheckpoint(path);
  loadState(module, state, path);
  return meta;
}
