/**
 * The machine the WebAssembly kernels run on: one WebAssembly.Memory, a bump arena in it, and a
 * pool of workers (worker_threads in Node, Web Workers in a browser) that instantiate the same
 * modules on the same shared memory.
 *
 * A parallel call writes each worker's function index and arguments into a small shared Int32Array
 * (the control block), bumps the generation counter and notifies; the calling thread runs its own
 * share, then waits until every worker has stored the new generation in its "done" slot (blocking
 * in Atomics.wait where the thread may block, spinning on Atomics.load on a browser's main thread).
 * So a kernel call stays synchronous. In Node the workers start on the first parallel call and are
 * unref()'d, so they never keep the process or the test runner alive; in a browser they start in
 * `start()` (the backend's `ready()`), and until then every call runs on the calling thread. Work
 * is split over outputs only, so the number of threads never changes a result.
 */
import { canBlock, envVar, hardwareThreads, spawnWorker, threadStart, type WorkerHandle } from './host.js';
import { webAssembly, type WasmExports, type WasmMemory, type WasmModule } from './wasm-api.js';

const PAGE = 65536;
/** 1 GiB of address space at most; calls that would need more fall back to the reference kernels. */
export const MAX_PAGES = 16384;
/**
 * GIBBSGRAD_POISON=1 fills every fresh arena block with NaN, so that a kernel reading memory it
 * did not write (even multiplied by a zero pad: 0 · NaN = NaN) shows as NaN instead of as a
 * plausible number. A debugging aid: the kernel tests pass with it.
 */
const POISON = envVar('GIBBSGRAD_POISON') === '1';
const ARENA_BASE = 1024; // the first KiB stays unused so that a stray 0 pointer never aliases data

/** Control block: [0] generation; per worker a slot of SLOT ints: done generation, status, fn, argc, args…, alive. */
const SLOT = 32;
const MAX_ARGS = SLOT - 5;
const ALIVE = SLOT - 1;
/** How long a caller waits for a worker that has not even started before it reports an error. */
const STARTUP_TIMEOUT_MS = 60_000;

/**
 * The worker loop, a plain function expression that host.ts wraps for worker_threads or a Web
 * Worker, so that no separate file (or TypeScript loader, or bundler rule) is needed.
 */
const WORKER_LOOP = `({ modules, memory, control, slot, functions, generation }) => {
  const ctrl = new Int32Array(control);
  const base = ${SLOT} * (slot + 1);
  let fns = null; // stays null if instantiation fails: every round then reports status 2 instead of hanging the caller
  try {
    const instances = {};
    for (const name of Object.keys(modules)) instances[name] = new WebAssembly.Instance(modules[name], { env: { memory } }).exports;
    fns = functions.map(([mod, fn]) => instances[mod][fn]);
  } catch (e) {}
  Atomics.store(ctrl, base + ${ALIVE}, 1);
  Atomics.notify(ctrl, base + ${ALIVE});
  let seen = generation; // rounds before this worker existed are not its business
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    let status = 0;
    const fn = ctrl[base + 2];
    if (fn >= 0 && !fns) status = 2;
    else if (fn >= 0) {
      try { fns[fn](...ctrl.subarray(base + 4, base + 4 + ctrl[base + 3])); } catch (e) { status = 1; }
    }
    Atomics.store(ctrl, base + 1, status);
    Atomics.store(ctrl, base, seen);
    Atomics.notify(ctrl, base);
  }
}`;

/** GIBBSGRAD_THREADS, or every core (at most 8). */
export function defaultThreads(): number {
  const env = envVar('GIBBSGRAD_THREADS');
  if (env !== undefined && env !== '') {
    const t = Number(env);
    if (!Number.isInteger(t) || t < 1) throw new Error(`gibbsgrad: GIBBSGRAD_THREADS must be an integer ≥ 1, got '${env}'`);
    return t;
  }
  return Math.max(1, Math.min(8, hardwareThreads()));
}

/** One call of an exported function: [module, export name, arguments]. */
export type Task = readonly [module: string, fn: string, args: readonly number[]];

export class WasmRuntime {
  readonly memory: WasmMemory;
  readonly threads: number;
  private readonly modules: Record<string, WasmModule>;
  private readonly exports: Record<string, WasmExports> = {};
  private f32: Float32Array;
  private i32: Int32Array;
  private top = ARENA_BASE;
  private workers: WorkerHandle[] = [];
  private broken = false;
  /** Set once every worker has instantiated the modules (checked before a round in a browser). */
  private poolUp = false;
  private readonly control: Int32Array;
  private readonly blocking = canBlock();
  private readonly start = threadStart();
  private readonly functionIndex = new Map<string, number>();
  private readonly functions: [string, string][] = [];

  /**
   * `shared`: whether the memory is a shared one (the modules must import it so); an unshared
   * memory, for a browser page without cross-origin isolation, allows one thread only.
   */
  constructor(modules: Record<string, WasmModule>, threads: number, shared = true) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 8) throw new Error(`WasmRuntime: threads must be an integer in 1..8, got ${threads}`);
    if (!shared && threads > 1) throw new Error(`WasmRuntime: ${threads} threads need a shared memory`);
    this.threads = threads;
    this.modules = modules;
    const wa = webAssembly();
    this.memory = new wa.Memory({ initial: 64, maximum: MAX_PAGES, shared });
    this.control = new Int32Array(shared ? new SharedArrayBuffer(4 * SLOT * 9) : new ArrayBuffer(4 * SLOT * 9));
    for (const [name, mod] of Object.entries(modules)) {
      this.exports[name] = new wa.Instance(mod, { env: { memory: this.memory } }).exports;
      for (const e of wa.Module.exports(mod)) {
        if (e.kind !== 'function') continue;
        this.functionIndex.set(`${name}.${e.name}`, this.functions.length);
        this.functions.push([name, e.name]);
      }
    }
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Calls an export on the main thread. */
  call(module: string, fn: string, ...args: number[]): number {
    return (this.exports[module][fn] as (...a: number[]) => number)(...args);
  }

  /** Empties the arena; every kernel call starts with this. */
  reset(): void {
    this.top = ARENA_BASE;
  }

  /**
   * Reserves `bytes` (64-byte aligned) and grows the memory when needed. Returns -1 when the call
   * would exceed MAX_PAGES, so that the caller can fall back to the reference kernel.
   */
  alloc(bytes: number): number {
    const at = this.top;
    const end = at + Math.ceil(bytes / 64) * 64;
    if (end > this.memory.buffer.byteLength) {
      const pages = Math.ceil(end / PAGE);
      if (pages > MAX_PAGES) return -1;
      this.memory.grow(pages - this.memory.buffer.byteLength / PAGE);
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    this.top = end;
    if (POISON) this.f32.fill(NaN, at >> 2, end >> 2);
    return at;
  }

  /** Whether `bytes` more would still fit in the arena. */
  fits(bytes: number): boolean {
    return this.top + bytes + 64 <= MAX_PAGES * PAGE;
  }

  /** Copies a Float32Array (or Int32Array) into the arena and returns its address. */
  put(src: Float32Array | Int32Array, length = src.length): number {
    const at = this.alloc(4 * length);
    if (at < 0) return -1;
    const view = src instanceof Float32Array ? this.f32 : this.i32;
    view.set(length === src.length ? src : src.subarray(0, length), at >> 2);
    return at;
  }

  /** Copies `dst.length` values starting at byte address `at` into dst. */
  get(at: number, dst: Float32Array | Int32Array): void {
    const view = dst instanceof Float32Array ? this.f32 : this.i32;
    dst.set(view.subarray(at >> 2, (at >> 2) + dst.length));
  }

  /**
   * Runs tasks[0] on the main thread and tasks[1..] on the workers, and returns when all are done.
   * With fewer tasks than threads the remaining workers idle through the round.
   */
  run(tasks: readonly Task[]): void {
    if (tasks.length === 0) return;
    if (tasks.length > this.threads) throw new Error(`WasmRuntime.run: ${tasks.length} tasks for ${this.threads} threads`);
    if (tasks.length === 1 || !this.workersUsable()) {
      if (tasks.length > 1) for (const [mod, fn, args] of tasks.slice(1)) this.call(mod, fn, ...args);
      const [mod, fn, args] = tasks[0];
      this.call(mod, fn, ...args);
      return;
    }
    const ctrl = this.control;
    for (let w = 0; w < this.workers.length; w++) {
      const base = SLOT * (w + 1);
      const task = tasks[w + 1];
      if (!task) { ctrl[base + 2] = -1; continue; }
      const index = this.functionIndex.get(`${task[0]}.${task[1]}`);
      if (index === undefined) throw new Error(`WasmRuntime.run: no export ${task[0]}.${task[1]}`);
      if (task[2].length > MAX_ARGS) throw new Error(`WasmRuntime.run: ${task[2].length} arguments (at most ${MAX_ARGS})`);
      ctrl[base + 2] = index;
      ctrl[base + 3] = task[2].length;
      ctrl.set(task[2], base + 4);
    }
    const generation = (Atomics.load(ctrl, 0) + 1) | 0 || 1;
    Atomics.store(ctrl, 0, generation);
    Atomics.notify(ctrl, 0);
    let failure: unknown = null;
    try {
      const [mod, fn, args] = tasks[0];
      this.call(mod, fn, ...args);
    } catch (e) {
      failure = e;
    }
    for (let w = 0; w < this.workers.length; w++) {
      const base = SLOT * (w + 1);
      for (let seen = Atomics.load(ctrl, base); seen !== generation; seen = Atomics.load(ctrl, base)) {
        if (!this.blocking) {
          continue; // a browser's main thread may not block: spin (the pool is known to be up)
        } else if (Atomics.load(ctrl, base + ALIVE) === 1) {
          Atomics.wait(ctrl, base, seen);
        } else if (Atomics.wait(ctrl, base, seen, STARTUP_TIMEOUT_MS) === 'timed-out' && Atomics.load(ctrl, base + ALIVE) === 0) {
          // A worker that never started would otherwise block this thread forever.
          this.broken = true;
          void this.dispose();
          throw new Error(`WasmRuntime.run: worker ${w + 1} did not start within ${STARTUP_TIMEOUT_MS / 1000} s; kernels run on one thread from now on`);
        }
      }
      const status = ctrl[base + 1];
      if (status !== 0 && !failure) {
        const what = `${tasks[w + 1]?.[0]}.${tasks[w + 1]?.[1]}`;
        failure = new Error(status === 2 ? `WasmRuntime.run: worker ${w + 1} could not instantiate the kernels (${what})` : `WasmRuntime.run: ${what} trapped in worker ${w + 1}`);
      }
    }
    if (failure) throw failure;
  }

  /** Threads a round uses now: all of them once the pool is up or where it starts on first use (Node), else 1. */
  get activeThreads(): number {
    if (this.threads === 1 || this.broken) return 1;
    return this.poolUp || this.start === 'on-first-use' ? this.threads : 1;
  }

  /** Whether a round can go to the workers; starts them where the host allows that on first use. */
  private workersUsable(): boolean {
    if (this.activeThreads === 1) return false;
    // Node: run() waits for the workers to come up (with a timeout), blocking as Node allows.
    if (!this.poolUp) this.startWorkers();
    return true;
  }

  /**
   * Starts the pool and resolves once every worker has instantiated the modules, yielding to the
   * event loop meanwhile (a browser starts a worker only then). Resolves to the threads in use.
   */
  async startPool(timeoutMs = STARTUP_TIMEOUT_MS): Promise<number> {
    if (this.threads === 1 || this.broken || this.start === 'never') return this.activeThreads;
    this.startWorkers();
    const deadline = Date.now() + timeoutMs;
    const alive = () => this.workers.every((_, w) => Atomics.load(this.control, SLOT * (w + 1) + ALIVE) === 1);
    while (!alive()) {
      if (Date.now() > deadline) {
        this.broken = true;
        void this.dispose();
        throw new Error(`WasmRuntime.startPool: the workers did not start within ${timeoutMs / 1000} s; kernels run on one thread`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.poolUp = true;
    return this.activeThreads;
  }

  private startWorkers(): void {
    if (this.workers.length > 0) return;
    for (let slot = 0; slot < this.threads - 1; slot++) {
      Atomics.store(this.control, SLOT * (slot + 1) + ALIVE, 0);
      this.workers.push(spawnWorker(WORKER_LOOP, {
        modules: this.modules, memory: this.memory, control: this.control.buffer, slot, functions: this.functions, generation: Atomics.load(this.control, 0),
      }));
    }
  }

  /** Stops the workers (they are unref()'d anyway; tests that build their own runtimes call this). */
  async dispose(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
