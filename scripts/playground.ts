// npm run playground: bundles playground/ (the engine, vega and vega-lite included) with esbuild
// into playground/dist/ (index.html + app.js, a classic script so that the folder also opens from
// disk through file://), then serves that folder on 127.0.0.1 and prints the address.
//   npm run playground -- --build-only     build, print the path, exit (the tests use this)
//   npm run playground -- --port 5180      serve on another port (default 5175; 0 = any free one)
import { createServer } from 'node:http';
import { readFileSync, mkdirSync, writeFileSync, statSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const playgroundSource = join(root, 'playground');
export const playgroundDist = join(root, 'playground', 'dist');

/** Builds playground/dist/{index.html, app.js}; returns the folder, the bundle's size and the build time. */
export async function buildPlayground({ minify = true, outDir = playgroundDist } = {}): Promise<{ dir: string; index: string; bytes: number; ms: number }> {
  const t0 = performance.now();
  const result = await build({
    entryPoints: [join(playgroundSource, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const js = result.outputFiles[0].text;
  const css = readFileSync(join(playgroundSource, 'style.css'), 'utf8');
  const html = readFileSync(join(playgroundSource, 'index.html'), 'utf8').replace('/*STYLE*/', () => css);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'app.js'), js);
  writeFileSync(join(outDir, 'index.html'), html);
  return { dir: outDir, index: join(outDir, 'index.html'), bytes: js.length, ms: performance.now() - t0 };
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };

function serve(dir: string, port: number): void {
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, ''));
    const file = resolve(dir, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' }).end(readFileSync(file));
  });
  server.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE' && port !== 0) {
      console.log(`port ${port} is busy; using a free one`);
      serve(dir, 0);
    } else throw e;
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(`gibbsgrad playground: http://127.0.0.1:${(server.address() as AddressInfo).port}/  (Ctrl-C stops; the folder also opens offline: ${pathToFileURL(join(dir, 'index.html')).href})`);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 5175;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port takes a port number, got ${args[portAt + 1]}`);
  const { dir, index, bytes, ms } = await buildPlayground();
  console.log(`built ${index} (app.js ${(bytes / 1024).toFixed(0)} kB) in ${ms.toFixed(0)} ms`);
  if (!args.includes('--build-only')) serve(dir, port);
}
