/**
 * One gibbsgrad run per results folder: <out>/.gibbsgrad.lock, created atomically, names the
 * process that holds the folder; the lock of a process that no longer exists is taken over.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processIsAlive } from './processes.js';

/** Who holds a results folder: written to <out>/.gibbsgrad.lock by lockResultsFolder. */
interface LockHolder {
  pid: number;
  host?: string;
  startedAt?: string;
  command?: string;
}

export const LOCK_FILE = '.gibbsgrad.lock';

function readLockHolder(path: string): LockHolder | null | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // released meanwhile
    return 'unreadable';
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isSafeInteger(h?.pid) && h.pid > 0 ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether the process holding a lock may still run (a lock of another host cannot be checked, so it counts as live). */
function holderIsAlive(h: LockHolder): boolean {
  if (h.host !== undefined && h.host !== hostname()) return true;
  return processIsAlive(h.pid);
}

/**
 * Removes the stale lock whose holder we read, and only that one: it is first renamed to a name of
 * our own (atomic), so that of two runs taking over at once only one gets it, and a fresh lock that
 * another run created in between is put back instead of deleted.
 */
function takeOverStaleLock(path: string, stale: LockHolder): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else took it over
    throw e;
  }
  const moved = readLockHolder(aside);
  if (moved !== null && moved !== 'unreadable' && moved.pid === stale.pid && moved.startedAt === stale.startedAt) rmSync(aside, { force: true });
  else {
    try {
      writeFileSync(path, readFileSync(aside), { flag: 'wx' }); // not the stale lock: put it back
    } finally {
      rmSync(aside, { force: true });
    }
  }
}

/**
 * Takes <outDir>/.gibbsgrad.lock for this process, so that two runs never write into one results
 * folder at once; throws, naming the holder (pid, start, command), when another live run has it.
 * The lock of a process that no longer exists is taken over. Returns the function that releases it
 * (it removes the lock only while the lock is still this process's).
 */
export function lockResultsFolder(outDir: string, command: string): () => void {
  const path = join(outDir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, mine, { flag: 'wx' }); // wx: fails if the file exists, atomically
      return () => releaseLock(path, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLockHolder(path);
    if (holder === null) continue;
    if (holder === 'unreadable') throw new Error(`lockResultsFolder: the results folder ${outDir} is locked by ${path}, which cannot be read; if no gibbsgrad run is using the folder, delete that file`);
    if (holderIsAlive(holder)) throw new Error(`lockResultsFolder: the results folder ${outDir} is in use by another gibbsgrad run (pid ${holder.pid}, started at ${holder.startedAt ?? 'an unknown time'}${holder.command ? `: ${holder.command}` : ''}); wait for it to end or choose another --out. If that process is not gibbsgrad, delete ${path}`);
    takeOverStaleLock(path, holder);
  }
  throw new Error(`lockResultsFolder: could not take ${path}: other runs keep taking it`);
}

function releaseLock(path: string, mine: string): void {
  try {
    if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true });
  } catch {
    // already gone: nothing to release
  }
}
