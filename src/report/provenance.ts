/**
 * Where a result came from: the commit of the code (when it runs from a git checkout) and the
 * machine, so that a committed result.json can be traced and its wall time read against the load.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, arch, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provenance } from '../experiments/types.js';
import { backendInfo } from '../tensor/kernels.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The package's version, from the package.json two folders up (src/report or dist/report). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** HEAD and whether tracked files differ from it; an installed package (no .git) says so. */
function gitState(): { commit: string; dirty: boolean } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return { commit, dirty };
  } catch {
    return { commit: `gibbsgrad ${packageVersion()} (not a git checkout)`, dirty: false };
  }
}

export function provenance(): Provenance {
  const { commit, dirty } = gitState();
  const info = backendInfo();
  const cpu = cpus();
  return {
    commit,
    dirty,
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAtStart: Math.round(loadavg()[0] * 100) / 100,
    backend: info.name,
    threads: info.threads,
    fusedMultiplyAdd: info.fusedMultiplyAdd,
    startedAt: new Date().toISOString(),
  };
}
