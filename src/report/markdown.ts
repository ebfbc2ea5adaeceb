/**
 * The claims table as Markdown, for the README: one row per claim, the paper's value beside the
 * measured mean ± SE, the number of seeds, our training/test sizes beside the paper's, the verdict;
 * and the tally of verdicts per experiment that opens it.
 */
import { countVerdicts, formatValues, VERDICTS } from '../experiments/claims.js';
import type { Claim, ExperimentResult } from '../experiments/types.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function claimsMarkdown(results: readonly ExperimentResult[]): string {
  const header = '| experiment | claim | paper | measured (mean ± SE) | seeds | train / test (paper) | verdict |\n|---|---|---|---|---|---|---|';
  const rows = results.flatMap((r) =>
    r.claims.map((c) => {
      const scale = r.scale ? `${r.scale.ours} (${r.scale.paper})` : '';
      const verdict = c.verdict === 'holds' || c.verdict === 'does not hold' ? `${c.verdict}${c.seKnown ? '' : ' (direction; no SE)'}` : c.verdict;
      return `| ${cell(r.name)} | ${cell(c.claim)} | ${cell(c.paperValue)} | ${cell(formatValues(c) || c.measured)} | ${c.seeds} | ${cell(scale)} | ${verdict} |`;
    }),
  );
  return [header, ...rows].join('\n');
}

/** How many claims of each experiment got each verdict, and the totals: the table at a glance. Verdicts no claim got are left out. */
export function verdictTallyMarkdown(results: readonly ExperimentResult[]): string {
  const all = results.flatMap((r) => r.claims);
  const totals = countVerdicts(all);
  const columns = VERDICTS.filter((v) => totals[v] > 0);
  const line = (name: string, claims: readonly Claim[]) => {
    const counts = countVerdicts(claims);
    return `| ${name} | ${columns.map((v) => counts[v]).join(' | ')} | ${claims.length} |`;
  };
  return [
    `| experiment | ${columns.join(' | ')} | claims |`,
    `|---|${columns.map(() => '---:|').join('')}---:|`,
    ...results.map((r) => line(cell(r.name), r.claims)),
    line('**all**', all),
  ].join('\n');
}
