// Child process for the SIGKILL test in checkpoint-faults.test.ts (not a test file itself): saves a
// large checkpoint to argv[2] again and again, every weight set to the save's number. Save number
// argv[3] writes half of its temporary file, says so on stdout and waits to be killed, so that the
// SIGKILL lands mid-save every time without depending on timing.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [path, stopAtArg] = process.argv.slice(2);
const stopAt = Number(stopAtArg);
const originalWrite = fs.writeSync as (fd: number, data: Uint8Array | string, ...rest: unknown[]) => number;
const say = (line: string) => originalWrite(1, `${line}\n`); // synchronous, so the parent sees it before the wait
let save = 0;

// Patched before src is imported, and synced into the ESM named exports that src imports.
(fs as { writeSync: unknown }).writeSync = (fd: number, data: Uint8Array | string, offset?: number, length?: number) => {
  if (save !== stopAt || typeof data === 'string') return originalWrite(fd, data, offset, length);
  originalWrite(fd, data, offset, Math.floor(length! / 2));
  say(`stopped in save ${save}`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until the SIGKILL
  throw new Error('checkpoint-save-loop: the parent was expected to kill this process');
};
syncBuiltinESMExports();

const { nn, Rng } = await import('../../src/index.js');
const { saveCheckpoint } = await import('../../src/node.js');
const model = new nn.Sequential(new nn.Linear(2048, 2048, { rng: new Rng(0) })); // 16 MiB of weights
for (save = 1; ; save++) {
  for (const p of model.parameters()) p.data.fill(save);
  saveCheckpoint(model, path, { save });
  say(`saved ${save}`);
}
