// The package as a user gets it: `npm pack`, install the tarball into an empty project (its
// dependencies come from the registry), then — with plain `node`, no TypeScript loader — import the
// engine and train, run the `gibbsgrad` command, and type-check a consumer with `tsc --strict`
// without skipLibCheck and without @types/node. `npm test` builds dist/ first (pretest).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experiments } from '../../src/experiments/index.js';
// @ts-expect-error plain JavaScript without declarations, shared with the browser test
import { trainProgram } from './train-program.mjs';

const exec = promisify(execFile);
const repo = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'gibbsgrad-consumer-'));
const app = join(work, 'app');
let packed: { filename: string; size: number; files: { path: string }[] };

beforeAll(async () => {
  // --ignore-scripts: dist/ is already built, and a rebuild would rewrite it under the other tests
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repo });
  packed = JSON.parse(stdout)[0];
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await exec('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed.filename)], { cwd: app, timeout: 240_000 });
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('ships dist/, README, LICENSE and the paper list, and nothing of test/, bench/, .ci/ or src/', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/experiments.js', 'dist/cli.js', 'README.md', 'LICENSE', 'docs/papers.md', 'package.json']) expect(paths).toContain(needed);
    expect(paths.filter((p) => /^(test|bench|\.ci|src|scripts|examples)\//.test(p))).toEqual([]);
  });

  it('trains in plain Node to the same numbers as this repository', async () => {
    copyFileSync('test/package/train-program.mjs', join(app, 'train-program.mjs'));
    writeFileSync(join(app, 'run.mjs'), "import { trainProgram } from './train-program.mjs';\nconsole.log(JSON.stringify(await trainProgram()));\n");
    const { stdout } = await exec(process.execPath, ['run.mjs'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    const there = JSON.parse(stdout);
    const here = await trainProgram();
    expect(there).toEqual(here);
    expect(there.wasm.losses[4]).toBeLessThan(there.wasm.losses[0]); // it does learn
  });

  it('runs `npx gibbsgrad list`, and names the package a figure needs when it is absent', async () => {
    const { stdout } = await exec('npx', ['gibbsgrad', 'list'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    // one line per experiment, and an indented line of units under those split into units
    const names = stdout.trim().split('\n').filter((l) => !/^\s/.test(l));
    expect(names.map((l) => l.split(/\s+/)[0])).toEqual(experiments.map((e) => e.name));
    expect(stdout).toMatch(/^\s+units in full mode: foe, none, dropout/m);
    const run = exec('npx', ['gibbsgrad', 'run', 'diagonal-gibbs', '--tiny', '--out', join(work, 'results')], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/rendering a figure: the npm package 'vega' is not installed \(npm install vega\)/) });
  }, 150_000);

  // ES2022 alone (no host at all), and with the DOM library as a browser project has it.
  it.each([[['ES2022']], [['ES2022', 'DOM']]])('type-checks a strict consumer with lib %j, without skipLibCheck and without @types/node', async (lib) => {
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: [], lib, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext' },
      files: ['consumer.ts'],
    }));
    writeFileSync(join(app, 'consumer.ts'), [
      "import { F, nn, optim, prob, Rng, randn, tensor, explain, gradcheck, backendInfo, type Tensor, type BackendInfo } from 'gibbsgrad';",
      'const rng = new Rng(0);',
      'const net = new nn.Sequential(new nn.Linear(3, 2, { rng }));',
      'const opt = new optim.SGD(net.parameters(), { lr: 0.1 });',
      'const loss: Tensor = F.crossEntropy(net.forward(randn([4, 3], rng)), tensor([0, 1, 0, 1]));',
      'loss.backward();',
      'opt.step();',
      'const info: BackendInfo = backendInfo();',
      'const p: Tensor = prob.layerGibbs(tensor([1, 0.5])).probs;',
      'const ok: boolean = gradcheck((t) => t.tanh().sum(), [tensor([0.5], { requiresGrad: true })]).ok;',
      'declare const console: { log(...values: unknown[]): void };',
      'console.log(explain(loss), info.threads, p.shape, ok);',
      '// @ts-expect-error a tensor is not a number',
      'const n: number = tensor([1]);',
      'console.log(n);',
      '',
    ].join('\n'));
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' }).catch((e) => e);
    expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).toBe('');
  }, 60_000);
});

// The README's command block, run line by line exactly as printed, in the consumer project once
// the optional packages the experiments need are installed (as the README tells a user to).
const readme = readFileSync('README.md', 'utf8');
const cliBlock = readme.split('<!-- cli:start -->')[1]?.split('<!-- cli:end -->')[0] ?? '';
const cliLines = cliBlock.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l.startsWith('npx gibbsgrad') || l.startsWith('npm install'));

describe("the README's commands, from the installed tarball", () => {
  it('lists them between cli markers', () => {
    expect(cliLines.filter((l) => l.startsWith('npx gibbsgrad')).length).toBeGreaterThanOrEqual(4);
  });

  it('runs every line as printed', async () => {
    for (const line of cliLines) {
      const [cmd, ...args] = line.split(/\s+/);
      const { stdout } = await exec(cmd, args, { cwd: app, encoding: 'utf8', timeout: 300_000 }).catch((e) => {
        throw new Error(`'${line}' failed: ${e.stderr || e.message}`);
      });
      if (line === 'npx gibbsgrad list') expect(stdout.split('\n').filter((l) => l !== '' && !/^\s/.test(l)).length).toBe(experiments.length);
    }
    expect(existsSync(join(app, 'results', 'index.html'))).toBe(true);
    for (const e of experiments) expect(existsSync(join(app, 'results', e.name, 'result.json'))).toBe(true);
  }, 400_000);
});
