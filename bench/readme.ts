/**
 * The benchmark tables live in README.md between markers, one pair per Node major version
 * (`<!-- bench:start node20 -->` … `<!-- bench:end node20 -->`), since the engines differ (Node 24
 * has relaxed SIMD, so the fused GEMM); `npm run bench -- peers --write-readme` replaces the block
 * of the Node that runs it, so regenerating a table is one command per Node.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** The marker pair of one Node major version (default: the running one). */
export function benchMarkers(nodeMajor = Number(process.versions.node.split('.')[0])): { start: string; end: string } {
  return { start: `<!-- bench:start node${nodeMajor} -->`, end: `<!-- bench:end node${nodeMajor} -->` };
}

/** Wraps `body` in the markers (the exact text to paste into the README). */
export function benchBlock(body: string, nodeMajor?: number): string {
  const { start, end } = benchMarkers(nodeMajor);
  return `${start}\n${body.trim()}\n${end}`;
}

/** `readme` with the text between the markers of `block`'s Node (inclusive) replaced by `block`. */
export function replaceBenchBlock(readme: string, block: string): string {
  const major = /^<!-- bench:start node(\d+) -->/.exec(block)?.[1];
  if (!major) throw new Error('replaceBenchBlock: the block does not start with a bench:start nodeN marker');
  const { start: START, end: END } = benchMarkers(Number(major));
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`replaceBenchBlock: README has no ${START} … ${END} pair to replace; add the two markers where the table belongs`);
  if (readme.indexOf(START, start + 1) >= 0) throw new Error(`replaceBenchBlock: README has more than one ${START} marker`);
  return readme.slice(0, start) + block + readme.slice(end + END.length);
}

export function writeReadmeBlock(block: string, path = 'README.md'): void {
  writeFileSync(path, replaceBenchBlock(readFileSync(path, 'utf8'), block));
}
