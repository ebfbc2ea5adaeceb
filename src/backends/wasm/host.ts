/**
 * What the host offers the wasm backend — environment variables, the number of cores, shared
 * memory, threads — found at run time without importing a Node built-in, so that the engine's
 * entry point loads unchanged in Node, in a bundler and in a browser.
 *
 * Node's built-ins come from `process.getBuiltinModule` (Node ≥ 20.16 and 22.3), which bundlers do
 * not see; a browser's from its globals (`navigator`, `Worker`, `Blob`, `crossOriginIsolated`).
 */

interface NodeProcess {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}
interface NodeWorker { unref(): void; terminate(): Promise<number> }
interface NodeWorkerThreads { Worker: new (source: string, options: Record<string, unknown>) => NodeWorker }
interface BrowserWorker { postMessage(data: unknown): void; terminate(): void }
interface BrowserGlobals {
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  Worker?: new (url: string) => BrowserWorker;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL: { createObjectURL?: (blob: unknown) => string; revokeObjectURL?: (url: string) => void };
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const browser = globalThis as unknown as BrowserGlobals;

/** True in Node (and runtimes that present themselves as Node). */
export const isNode = typeof nodeProcess?.versions?.node === 'string';

function nodeBuiltin<T>(id: string): T | null {
  return (nodeProcess?.getBuiltinModule?.(id) as T | undefined) ?? null;
}

/** An environment variable in Node; undefined elsewhere. */
export function envVar(name: string): string | undefined {
  return nodeProcess?.env?.[name];
}

/** Logical cores: os.availableParallelism() in Node, navigator.hardwareConcurrency in a browser, else 1. */
export function hardwareThreads(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
  const n = os ? (os.availableParallelism?.() ?? os.cpus().length) : browser.navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n! > 0 ? n! : 1;
}

/**
 * Whether a shared WebAssembly.Memory can be made: always in Node; in a browser only on a
 * crossOriginIsolated page (served with COOP: same-origin and COEP: require-corp).
 */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  return browser.crossOriginIsolated !== false;
}

/**
 * Whether this thread may block in Atomics.wait: yes in Node and in workers, no on a browser's
 * main thread (there the caller spins on Atomics.load instead). The spec checks this before it
 * compares the value, so a wait that would return at once tells.
 */
export function canBlock(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether threads can be started here at all, and when: on first use (Node) or only in `ready()` (a browser). */
export type ThreadStart = 'on-first-use' | 'in-ready' | 'never';
export function threadStart(): ThreadStart {
  if (!sharedMemoryAvailable()) return 'never';
  if (isNode) return nodeBuiltin('node:worker_threads') ? 'on-first-use' : 'never';
  // A browser starts a worker's script only when the page's event loop runs, so a synchronous
  // kernel call cannot wait for one: the pool starts in ready(), which yields until it is up.
  return typeof browser.Worker === 'function' && typeof browser.Blob === 'function' ? 'in-ready' : 'never';
}

export interface WorkerHandle { terminate(): Promise<void> }

/**
 * Starts a worker running `loop(data)`, where `loop` is the source of a plain-JavaScript function
 * expression (no imports), so that no separate file has to be located, served or bundled.
 */
export function spawnWorker(loop: string, data: Record<string, unknown>): WorkerHandle {
  if (isNode) {
    const threads = nodeBuiltin<NodeWorkerThreads>('node:worker_threads');
    if (!threads) throw new Error('spawnWorker: this Node has no process.getBuiltinModule (Node ≥ 20.16 needed for threads)');
    const source = `(${loop})((typeof require === 'function' ? require : process.getBuiltinModule)('node:worker_threads').workerData);`;
    // eval: plain JavaScript, with no loader and no --input-type=module inherited from the parent
    const worker = new threads.Worker(source, { eval: true, execArgv: [], workerData: data });
    worker.unref(); // never keeps a script or the test runner alive
    return { terminate: async () => { await worker.terminate(); } };
  }
  const url = browser.URL.createObjectURL!(new browser.Blob!([`self.onmessage = (e) => (${loop})(e.data);`], { type: 'text/javascript' }));
  const worker = new browser.Worker!(url);
  worker.postMessage(data);
  return { terminate: async () => { worker.terminate(); browser.URL.revokeObjectURL?.(url); } };
}
