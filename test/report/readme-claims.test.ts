// The README's claims table is generated from the committed full runs (docs/results): a new or
// changed result without `npm run readme:claims` (or a hand edit of the table) fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../../src/experiments/types.js';
import { verdictTallyMarkdown } from '../../src/report/markdown.js';
import { CLAIMS_END, CLAIMS_START, readmeClaimsBlock, replaceClaimsBlock } from '../../src/report/readme-claims.js';

const root = join(__dirname, '..', '..');

describe('README claims table', () => {
  it('equals the table generated from docs/results', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(replaceClaimsBlock(readme, readmeClaimsBlock(join(root, 'docs', 'results')))).toBe(readme);
  });

  it('replaceClaimsBlock needs exactly one block', () => {
    expect(replaceClaimsBlock(`a\n${CLAIMS_START}\nold\n${CLAIMS_END}\nb`, 'new')).toBe(`a\n${CLAIMS_START}\nnew\n${CLAIMS_END}\nb`);
    expect(() => replaceClaimsBlock('no block', 'x')).toThrow(/expected one/);
  });

  it("the tally counts each experiment's verdicts, totals them, and leaves out verdicts no claim got", () => {
    const result = (name: string, verdicts: string[]) => ({ name, claims: verdicts.map((verdict) => ({ verdict })) }) as unknown as ExperimentResult;
    const tally = verdictTallyMarkdown([result('a', ['holds', 'holds', 'inconclusive']), result('b|c', ['does not hold', 'holds'])]);
    expect(tally.split('\n')).toEqual([
      '| experiment | holds | does not hold | inconclusive | claims |',
      '|---|---:|---:|---:|---:|',
      '| a | 2 | 0 | 1 | 3 |',
      '| b\\|c | 1 | 1 | 0 | 2 |',
      '| **all** | 3 | 1 | 1 | 5 |',
    ]);
  });
});
