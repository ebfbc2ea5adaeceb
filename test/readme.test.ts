// The README stays true: its op table is the registry's, and every code block that imports
// 'gibbsgrad' runs as written.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { END, opTable, START } from '../scripts/op-table.js';

const readme = readFileSync('README.md', 'utf8');

// Asynchronous on purpose: a worker blocked in execFileSync for a minute in total cannot answer
// vitest's RPC, which then fails the run with "Timeout calling onTaskUpdate" on a loaded machine.
const run = promisify(execFile);
const tsx = (file: string) => run(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });

describe('README', () => {
  it('shows the op table generated from the registry', () => {
    const inside = readme.split(START)[1]?.split(END)[0]?.trim();
    expect(inside).toBe(opTable());
  });

  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes("from 'gibbsgrad'"));

  it('has runnable examples', () => expect(blocks.length).toBeGreaterThanOrEqual(3));

  it.each(blocks.map((code, i) => [i, code] as const))('code block %i runs', async (_i, code) => {
    // Written inside the repository so that 'gibbsgrad' resolves to this package (self-reference).
    const dir = mkdtempSync(join(process.cwd(), 'test', '.readme-'));
    const file = join(dir, 'block.ts');
    writeFileSync(file, code);
    try {
      await tsx(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the first example prints what the README says', async () => {
    const { stdout: out } = await tsx('examples/readme.ts');
    expect(out).toContain('y = 54');
    expect(out).toContain('[ [ 7, 11 ], [ 9, 13 ] ]');
    expect(readme).toContain(out.split('\n').slice(2, 6).join('\n'));
  });
});
