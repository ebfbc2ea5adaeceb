/**
 * Prints the registry as a markdown table (op, derivative) — the README's op table is this output,
 * and a test fails when the two drift apart. `npm run ops:table -- --write` updates the README.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { registry } from '../src/index.js';

export function opTable(): string {
  const rows = [...registry.values()].map((op) => `| \`${op.name}\` | ${op.derivative.replace(/\|/g, '\\|')} |`);
  return ['| op | derivative (vector-Jacobian product) |', '|---|---|', ...rows].join('\n');
}

export const START = '<!-- ops:start -->';
export const END = '<!-- ops:end -->';

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = opTable();
  if (process.argv.includes('--write')) {
    const readme = readFileSync('README.md', 'utf8');
    const [head, rest] = readme.split(START);
    const tail = rest.split(END)[1];
    writeFileSync('README.md', `${head}${START}\n${table}\n${END}${tail}`);
  } else {
    console.log(table);
  }
}
