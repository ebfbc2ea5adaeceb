/**
 * Rewrites the README's claims table (between <!-- claims:start --> and <!-- claims:end -->) from
 * the committed runs in docs/results, the same merge `gibbsgrad report --from docs/results` does.
 * test/report/readme-claims.test.ts fails when the README and docs/results disagree.
 *
 *   npm run readme:claims
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeClaimsBlock, replaceClaimsBlock } from '../src/report/readme-claims.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const readme = join(root, 'README.md');
const text = readFileSync(readme, 'utf8');
const next = replaceClaimsBlock(text, readmeClaimsBlock(join(root, 'docs', 'results')));
if (next !== text) writeFileSync(readme, next);
console.log(next === text ? 'README claims table already up to date' : 'README claims table rewritten from docs/results');
