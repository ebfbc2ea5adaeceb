/**
 * Checkpoint files (the format is src/layers/checkpoint.ts). Writes go to a temporary file in the
 * same folder, are fsynced, then renamed over the target: a crash mid-write leaves the previous
 * checkpoint intact.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, loadState } from '../layers/checkpoint.js';
import type { Module } from '../layers/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** Writes `module`'s parameters to `path` atomically. */
export function saveCheckpoint(module: Module, path: string, meta?: unknown): void {
  writeAtomic(path, encodeCheckpoint(new Map(module.namedParameters()), meta));
}

/**
 * Writes `bytes` to `path` so that `path` always holds either its old content or all of the new:
 * temporary file in the same folder (rename is atomic only within a file system), fsync, rename,
 * then fsync of the folder so that the rename itself survives a power cut.
 */
export function writeAtomic(path: string, bytes: Uint8Array): void {
  const folder = dirname(path);
  const tmp = join(folder, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      // writeSync may write less than asked (e.g. a full disk returns early without throwing)
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncFolder(folder);
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

export function readCheckpoint(path: string): { state: Map<string, Tensor>; meta: unknown } {
  return decodeCheckpoint(readFileSync(path), path);
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
