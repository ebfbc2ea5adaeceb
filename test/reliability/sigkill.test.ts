// Fault injection: a run killed with SIGKILL in the middle of its training (no chance to clean up)
// resumes from its last epoch checkpoint and ends with exactly the numbers of an uninterrupted run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'gg-sigkill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const script = 'test/reliability/kill-run-script.ts';

/** Runs the probe into `out`; with `killAfter`, SIGKILLs it once that many epochs have been reported. */
function runProbe(out: string, killAfter?: number): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIBBSGRAD_THREADS: '1' } });
    const lines: string[] = [];
    let pending = ''; // a chunk can end inside a line (the result's JSON line is long)
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      const parts = (pending + d.toString()).split('\n');
      pending = parts.pop()!;
      for (const line of parts.filter(Boolean)) {
        lines.push(line);
        if (killAfter !== undefined && lines.filter((l) => l.startsWith('epoch')).length === killAfter) child.kill('SIGKILL');
      }
    });
    child.stdout.on('end', () => pending && lines.push(pending));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve({ lines, signal }) : reject(new Error(`probe exited with ${code}: ${stderr}`))));
  });
}

describe('a run killed with SIGKILL', () => {
  it('resumes from its checkpoint to the numbers of an uninterrupted run', async () => {
    const whole = await runProbe(join(root, 'whole'));
    const reference = whole.lines.at(-1)!;

    const out = join(root, 'killed');
    const killed = await runProbe(out, 8); // during the second training run
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'sigkill-probe', 'result.json'))).toBe(false);
    expect(readdirSync(join(out, 'sigkill-probe', '.progress')).length).toBeGreaterThan(0);

    const resumed = await runProbe(out);
    const epochsAfterResume = resumed.lines.filter((l) => l.startsWith('epoch')).length;
    expect(epochsAfterResume).toBeLessThan(12); // it did resume: not every epoch was trained again
    expect(resumed.lines.at(-1)).toBe(reference);
  }, 120_000);
});
