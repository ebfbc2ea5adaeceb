// What the CLI does to its output folder (it writes and deletes only what it wrote, and one run
// at a time), and how it treats its arguments and the files it reads back.
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { train } from '../../src/experiments/common.js';
import { findExperiment } from '../../src/experiments/index.js';
import type { Experiment } from '../../src/experiments/types.js';
import { Linear, ReLU, Sequential } from '../../src/layers/layers.js';
import { runExperiment } from '../../src/report/runner.js';
import { randn, Tensor } from '../../src/tensor/tensor.js';

// Asynchronous, like test/readme.test.ts: a worker blocked in execFileSync cannot answer vitest's RPC.
const exec = promisify(execFile);
const repo = process.cwd();
const cli = (args: string[], cwd = repo) =>
  // absolute paths, so that a test can run the CLI from another working directory
  exec(process.execPath, ['--import', pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href, join(repo, 'src/cli.ts'), ...args], { encoding: 'utf8', timeout: 120_000, cwd });

const root = mkdtempSync(join(tmpdir(), 'gg-cli-safety-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (what: string) => join(root, `${what}-${n++}`);

/** Resolves with the child's first stderr line that matches (the run has reached that point). */
function stderrLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: string) => {
      seen += chunk;
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line) resolve(line);
    });
    child.on('exit', () => reject(new Error(`the run ended before printing ${pattern}; stderr:\n${seen}`)));
  });
}

const exited = (child: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

describe('the CLI writes and deletes only what it wrote (item 8)', () => {
  it('refuses an empty --out instead of writing into the current folder', async () => {
    const cwd = freshDir('cwd');
    mkdirSync(cwd);
    await expect(cli(['run', 'diagonal-gibbs', '--tiny', '--out', ''], cwd)).rejects.toMatchObject({ stderr: expect.stringMatching(/--out/) });
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('does not overwrite an index.html it did not write, and names it', async () => {
    const out = freshDir('index');
    mkdirSync(out);
    writeFileSync(join(out, 'index.html'), '<p>my own page</p>');
    await expect(cli(['report', '--out', out])).rejects.toMatchObject({ stderr: expect.stringContaining(join(out, 'index.html')) });
    // and a run refuses before it trains, not after
    await expect(cli(['run', 'diagonal-gibbs', '--tiny', '--out', out])).rejects.toMatchObject({ stderr: expect.stringContaining(join(out, 'index.html')) });
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('<p>my own page</p>');
    expect(existsSync(join(out, 'diagonal-gibbs'))).toBe(false);
    // its own report it rewrites
    rmSync(join(out, 'index.html'));
    await cli(['report', '--out', out]);
    await cli(['report', '--out', out]);
  });

  it('keeps a file of the user inside a pre-existing .progress folder', async () => {
    const out = freshDir('progress');
    const progress = join(out, 'diagonal-gibbs', '.progress');
    mkdirSync(progress, { recursive: true });
    writeFileSync(join(progress, 'notes.txt'), 'mine');
    await cli(['run', 'diagonal-gibbs', '--tiny', '--out', out]);
    expect(readdirSync(progress)).toEqual(['notes.txt']);
    expect(readFileSync(join(progress, 'notes.txt'), 'utf8')).toBe('mine');
    // a folder with only its own files is removed at the end, as before
    const clean = freshDir('progress-clean');
    await cli(['run', 'diagonal-gibbs', '--tiny', '--out', clean]);
    expect(existsSync(join(clean, 'diagonal-gibbs', '.progress'))).toBe(false);
  });

  it('lets one run at a time use a folder: a second run names the first; Ctrl-C removes the lock', async () => {
    const out = freshDir('lock');
    const first = cli(['reproduce', '--tiny', '--out', out]);
    first.catch(() => {}); // it ends by Ctrl-C; checked below
    const child = first.child;
    await stderrLine(child, /epoch/);
    // frozen while it holds the lock, so the second run meets it however fast the machine is
    child.kill('SIGSTOP');
    try {
      const second = cli(['run', 'diagonal-gibbs', '--tiny', '--out', out]);
      await expect(second).rejects.toMatchObject({ stderr: expect.stringMatching(new RegExp(`pid ${child.pid}\\b.*started at \\d{4}-`)) });
      child.kill('SIGINT'); // delivered when it continues: Ctrl-C in the middle of the run
    } finally {
      child.kill('SIGCONT');
    }
    const { code } = await exited(child);
    expect(code).toBe(130);
    expect(existsSync(join(out, '.gibbsgrad.lock'))).toBe(false);
  });

  it('takes over the lock of a run that no longer exists, and removes its lock after an error', async () => {
    const out = freshDir('stale');
    mkdirSync(out);
    const gone = exec(process.execPath, ['-e', '0']);
    const pid = gone.child.pid!;
    await gone;
    writeFileSync(join(out, '.gibbsgrad.lock'), JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00.000Z', command: 'gibbsgrad run capacity' }));
    await cli(['report', '--out', out]);
    expect(existsSync(join(out, '.gibbsgrad.lock'))).toBe(false);
    mkdirSync(join(out, 'energy-min'));
    writeFileSync(join(out, 'energy-min', 'result.json'), '{"claims": 3}');
    await expect(cli(['report', '--out', out])).rejects.toThrow();
    expect(existsSync(join(out, '.gibbsgrad.lock'))).toBe(false);
  });
});

describe('the CLI checks its arguments and what it reads (item 10)', () => {
  it('takes a seed only as a decimal safe integer', async () => {
    for (const bad of ['', '0x10', '1.5', '1e3', ' 7', '9007199254740993', 'seven']) {
      await expect(cli(['run', 'diagonal-gibbs', '--tiny', '--out', freshDir('seed'), `--seed=${bad}`]), `--seed '${bad}'`).rejects.toMatchObject({ stderr: expect.stringContaining(`'${bad}'`) });
    }
    const out = freshDir('seed');
    await cli(['run', 'diagonal-gibbs', '--tiny', '--out', out, '--seed', '-3']);
    expect(JSON.parse(readFileSync(join(out, 'diagonal-gibbs', 'result.json'), 'utf8')).seed).toBe(-3);
  });

  it('says it cannot write to an --out whose parent is a file, naming the path', async () => {
    const file = freshDir('file');
    writeFileSync(file, 'x');
    const out = join(file, 'results');
    await expect(cli(['run', 'diagonal-gibbs', '--tiny', '--out', out])).rejects.toMatchObject({ stderr: expect.stringMatching(new RegExp(`cannot write .*'${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`)) });
  });

  it('names the result.json of the wrong structure and what is wrong; a run reruns it', async () => {
    const out = freshDir('structure');
    const path = join(out, 'diagonal-gibbs', 'result.json');
    mkdirSync(join(out, 'diagonal-gibbs'), { recursive: true });
    const broken = { name: 'diagonal-gibbs', title: 't', paper: 'p', mode: 'tiny', seed: 0, seconds: 1, data: 'd', metrics: {}, claims: {}, figures: [] };
    writeFileSync(path, JSON.stringify(broken));
    await expect(cli(['report', '--out', out])).rejects.toMatchObject({ stderr: expect.stringMatching(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*claims`)) });
    const { result, reused } = await runExperiment(findExperiment('diagonal-gibbs'), { mode: 'tiny', seed: 0, outDir: out });
    expect(reused).toBe(false);
    expect(Array.isArray(result.claims)).toBe(true);
    await cli(['report', '--out', out]);
  });

  describe('seconds after a resume', () => {
    afterEach(() => vi.restoreAllMocks());

    it('counts the interrupted part too', async () => {
      // A clock that moves only when the test moves it: 100 s per epoch, whatever the machine.
      let now = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => now);
      const probe: Experiment = {
        name: 'seconds-probe', title: 'seconds probe', paper: '—',
        run(ctx) {
          const x = randn([32, 4], ctx.rng.fork());
          const y = new Tensor(Float32Array.from({ length: 32 }, (_, i) => i % 2), [32]);
          const net = new Sequential(new Linear(4, 8, { rng: ctx.rng.fork() }), new ReLU(), new Linear(8, 2, { rng: ctx.rng.fork() }));
          train(ctx, 'only', net, { x, y, xTest: x, yTest: y }, { epochs: 4, batchSize: 8 });
          return { data: 'random', metrics: {}, claims: [], figures: [] };
        },
      };
      const out = freshDir('seconds');
      const stop = new Error('interrupted by the test');
      const tick = (e: { kind: string; epoch?: number }, stopAt?: number) => {
        if (e.kind !== 'epoch') return;
        now += 100_000;
        if (e.epoch === stopAt) throw stop;
      };
      await expect(runExperiment(probe, { mode: 'tiny', seed: 0, outDir: out, onEvent: (_n, e) => tick(e, 3) })).rejects.toBe(stop);
      const resumed = await runExperiment(probe, { mode: 'tiny', seed: 0, outDir: out, onEvent: (_n, e) => tick(e) });
      // 300 s passed before the interruption (the runner saw at least 200 of them, up to the last
      // epoch it reported) and 100 s after it; without the first part it would say 100 s
      expect(resumed.result.seconds).toBeGreaterThanOrEqual(300);
      expect(resumed.result.seconds).toBeLessThanOrEqual(400);
      expect(existsSync(join(out, 'seconds-probe', '.progress'))).toBe(false);
    });
  });
});
