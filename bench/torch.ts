/**
 * The PyTorch peer of `npm run bench peers`: Debian's python3-torch, run as a subprocess.
 *
 * Each case runs in its own `/usr/bin/python3 bench/torch_peer.py spec.json` process (started,
 * like the other peers' `prepare`, just before the case, and not timed): the case's inputs go to
 * raw float32 files in a temporary directory, written from the very arrays gibbsgrad and the other
 * peers use, and PyTorch times the case itself with `torch.set_num_threads(2)` and the suite's
 * rules (bench/suite.ts), then reports the mean seconds per call as JSON. A network is sent as a
 * description of our `nn.Sequential` (describeLayers) plus its initial parameters, so PyTorch
 * trains the network our constructor built, from the same weights.
 *
 * Where `python3 -c 'import torch'` fails, every PyTorch cell of the table says "not installed".
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nn, type Tensor } from '../src/index.js';
import { NOT_INSTALLED, type ExternalTiming, type TimingOptions } from './suite.js';

const run = promisify(execFile);

export const torchImpl = 'pytorch-cpu';
/** PyTorch's intra-op threads: the 2 cores of the machine the README's table was measured on, as many as our wasm backend uses there. */
export const TORCH_THREADS = 2;
/** The interpreter with python3-torch (GIBBSGRAD_BENCH_PYTHON overrides it). */
export const defaultPython = process.env.GIBBSGRAD_BENCH_PYTHON ?? '/usr/bin/python3';
const script = fileURLToPath(new URL('./torch_peer.py', import.meta.url));

export type LayerSpec =
  | { kind: 'conv'; in: number; out: number; kernel: number[]; stride: number | number[]; padding: number | number[]; bias: boolean }
  | { kind: 'linear'; in: number; out: number; bias: boolean }
  | { kind: 'maxpool'; kernel: number | number[]; stride: number | number[]; padding: number | number[] }
  | { kind: 'relu' }
  | { kind: 'flatten'; startDim: number; endDim: number };

/** What PyTorch needs to rebuild `net` (layer by layer; anything else is refused rather than guessed). */
export function describeLayers(net: nn.Sequential): LayerSpec[] {
  const list = (v: number | readonly number[]) => (typeof v === 'number' ? v : [...v]);
  return net.layers.map((layer): LayerSpec => {
    if (layer instanceof nn.Conv2d) {
      const [, , kh, kw] = layer.weight.shape;
      return { kind: 'conv', in: layer.inChannels, out: layer.outChannels, kernel: [kh, kw], stride: list(layer.stride ?? 1), padding: list(layer.padding ?? 0), bias: layer.bias !== null };
    }
    if (layer instanceof nn.Linear) return { kind: 'linear', in: layer.inFeatures, out: layer.outFeatures, bias: layer.bias !== null };
    if (layer instanceof nn.MaxPool2d) {
      const { kernelSize, stride, padding } = layer.opts;
      return { kind: 'maxpool', kernel: list(kernelSize), stride: list(stride ?? kernelSize), padding: list(padding ?? 0) };
    }
    if (layer instanceof nn.ReLU) return { kind: 'relu' };
    if (layer instanceof nn.Flatten) return { kind: 'flatten', startDim: layer.startDim, endDim: layer.endDim };
    throw new Error(`describeLayers: no PyTorch counterpart written for ${layer.constructor.name}`);
  });
}

type Arrays = Record<string, Pick<Tensor, 'data' | 'shape'>>;

/** One PyTorch case: its kind (see torch_peer.py's make_case) and the arrays it starts from. */
export type TorchCase =
  | { kind: 'matmul' | 'conv' | 'conv-grad' | 'maxpool' | 'maxpool-grad'; inputs: Arrays }
  | { kind: 'train-step'; inputs: { x: Tensor; y: Tensor }; net: nn.Sequential; optimizer: { name: 'sgd' | 'adam'; lr: number } };

export interface TorchInfo {
  available: boolean;
  version?: string;
}

const probes = new Map<string, Promise<TorchInfo>>();

/** Whether `python -c 'import torch'` works, and torch's version (asked once per interpreter). */
export function torchInfo(python = defaultPython): Promise<TorchInfo> {
  let probe = probes.get(python);
  if (!probe) {
    probe = run(python, ['-c', 'import torch; print(torch.__version__)']).then(
      ({ stdout }) => ({ available: true, version: stdout.trim() }),
      () => ({ available: false }),
    );
    probes.set(python, probe);
  }
  return probe;
}

/** Times `c` in PyTorch with the suite's options (resolved); throws NOT_INSTALLED without torch. */
export async function timeTorch(c: TorchCase, timing: TimingOptions, python = defaultPython): Promise<ExternalTiming> {
  const { timing: t } = await runTorch(c, { mode: 'time', timing }, python);
  return { seconds: t.seconds, margin: t.margin ?? NaN, samples: t.samples, method: t.method };
}

/** Runs `c` `calls` times in PyTorch and returns what each call returned, flattened (losses, outputs). */
export async function checkTorch(c: TorchCase, calls: number, python = defaultPython): Promise<number[][]> {
  return (await runTorch(c, { mode: 'check', calls }, python)).values;
}

interface TorchOutput {
  torch: string;
  threads: number;
  timing: { seconds: number; margin: number | null; samples: number; method: 'once' | 'loop' | 'batches' };
  values: number[][];
}

async function runTorch(c: TorchCase, mode: { mode: 'time'; timing: object } | { mode: 'check'; calls: number }, python: string): Promise<TorchOutput> {
  if (!(await torchInfo(python)).available) throw new Error(NOT_INSTALLED);
  const dir = mkdtempSync(join(tmpdir(), 'gibbsgrad-torch-'));
  try {
    const file = (name: string, t: Pick<Tensor, 'data' | 'shape'>) => {
      const path = join(dir, `${name}.f32`);
      writeFileSync(path, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      return { file: path, shape: [...t.shape] };
    };
    const inputs = Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, file(name, t)]));
    const net = c.kind === 'train-step' ? { layers: describeLayers(c.net), params: c.net.parameters().map((p, i) => file(`param${i}`, p)), optimizer: c.optimizer } : {};
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify({ kind: c.kind, inputs, ...net, threads: TORCH_THREADS, ...mode }));
    try {
      const { stdout } = await run(python, [script, specPath], { maxBuffer: 256 * 2 ** 20 });
      return JSON.parse(stdout) as TorchOutput;
    } catch (e) {
      // The Python exception's own line, not "Command failed: …".
      const stderr = String((e as { stderr?: string }).stderr ?? '').trim().split('\n');
      throw new Error(`torch_peer.py: ${stderr.at(-1) || (e as Error).message}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
