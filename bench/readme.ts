/**
 * The benchmark table lives in README.md between two markers; `npm run bench peers -- --write-readme`
 * replaces what lies between them with the block the run printed, so regenerating it is one command.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

/** Wraps `body` in the markers (the exact text to paste into the README). */
export function benchBlock(body: string): string {
  return `${START}\n${body.trim()}\n${END}`;
}

/** `readme` with the text between the markers (inclusive) replaced by `block`. */
export function replaceBenchBlock(readme: string, block: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`replaceBenchBlock: README has no ${START} … ${END} pair to replace; add the two markers where the table belongs`);
  if (readme.indexOf(START, start + 1) >= 0) throw new Error(`replaceBenchBlock: README has more than one ${START} marker`);
  return readme.slice(0, start) + block + readme.slice(end + END.length);
}

export function writeReadmeBlock(block: string, path = 'README.md'): void {
  writeFileSync(path, replaceBenchBlock(readFileSync(path, 'utf8'), block));
}
