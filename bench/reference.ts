/** Reference-kernel throughput: matmul at 64/256/512 and the elementwise ops of a training step. */
import { Rng, randn, setBackend } from '../src/index.js';
import type { BenchCase } from './suite.js';

export function referenceCases(): BenchCase[] {
  setBackend('reference');
  const rng = new Rng(0);
  const cases: BenchCase[] = [];
  for (const n of [64, 256, 512]) {
    const a = randn([n, n], rng);
    const b = randn([n, n], rng);
    cases.push({ name: `matmul ${n}`, task: `matmul ${n}×${n}×${n}`, impl: 'gibbsgrad/reference', work: 2 * n ** 3, unit: 'GFLOP/s', fn: () => a.matmul(b) });
  }
  const n = 1 << 20;
  const x = randn([n], rng);
  const y = randn([n], rng);
  const row = randn([1024], rng);
  const xm = x.reshape([1024, 1024]);
  cases.push(
    { name: 'add', task: 'add 1M', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => x.add(y) },
    { name: 'add row-broadcast', task: 'add [1024,1024]+[1024]', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => xm.add(row) },
    { name: 'mul', task: 'mul 1M', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => x.mul(y) },
    { name: 'exp', task: 'exp 1M', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => x.exp() },
    { name: 'sigmoid', task: 'sigmoid 1M', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => x.sigmoid() },
    { name: 'relu', task: 'relu 1M', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => x.relu() },
    { name: 'sum', task: 'sum 1M', impl: 'gibbsgrad/reference', work: n, unit: 'Melem/s', fn: () => x.sum() },
  );
  return cases;
}
