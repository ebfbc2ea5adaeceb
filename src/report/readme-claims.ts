/** The README's table of the committed full runs (docs/results), and where it sits in the README. */
import { experiments } from '../experiments/index.js';
import { claimsMarkdown, verdictTallyMarkdown } from './markdown.js';
import { mergedResults } from './runner.js';

export const CLAIMS_START = '<!-- claims:start -->';
export const CLAIMS_END = '<!-- claims:end -->';

/** The verdicts counted per experiment, the table of every claim of the full-mode runs under `dir`, their wall times, and a line naming experiments without one. */
export function readmeClaimsBlock(dir: string): string {
  const results = mergedResults(dir, experiments).filter((r) => r.mode === 'full');
  const missing = experiments.filter((e) => !results.some((r) => r.name === e.name)).map((e) => `\`${e.name}\``);
  const hours = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(1)} min`);
  const times = results.map((r) => `${r.name} ${hours(r.seconds)} (${r.runs?.length ?? 1} run${(r.runs?.length ?? 1) > 1 ? 's' : ''})`).join(', ');
  return [
    verdictTallyMarkdown(results),
    '',
    claimsMarkdown(results),
    '',
    `Wall time of the full runs (sum over runs): ${times || 'none yet'}.`,
    missing.length ? `No full-mode result committed yet: ${missing.join(', ')}.` : 'Every experiment has a committed full-mode result.',
  ].join('\n');
}

/** `readme` with the text between the markers replaced by `block` (the markers must be there, once). */
export function replaceClaimsBlock(readme: string, block: string): string {
  const start = readme.indexOf(CLAIMS_START);
  const end = readme.indexOf(CLAIMS_END);
  if (start < 0 || end < start || readme.indexOf(CLAIMS_START, start + 1) >= 0) throw new Error(`README: expected one ${CLAIMS_START} … ${CLAIMS_END} block`);
  return `${readme.slice(0, start + CLAIMS_START.length)}\n${block}\n${readme.slice(end)}`;
}
