/**
 * `npm run bench [-- suite…]`: runs the benchmark suites (all by default), prints markdown tables
 * and writes JSON under bench/results/. Timings are never asserted anywhere; the docs quote ratios
 * measured in one run on one machine.
 */
import { referenceCases } from './reference.js';
import { runSuite, table, type BenchCase } from './suite.js';

const suites: Record<string, { cases: () => BenchCase[] | Promise<BenchCase[]>; baseline?: string }> = {
  reference: { cases: referenceCases },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length) {
  console.error(`bench: unknown suite ${unknown.join(', ')} (available: ${Object.keys(suites).join(', ')})`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(suites)) {
  const { cases, baseline } = suites[name];
  const rows = await runSuite(name, await cases());
  console.log(`\n## ${name} (${new Date().toISOString().slice(0, 10)}, Node ${process.version})\n\n${table(rows, baseline)}\n`);
}
