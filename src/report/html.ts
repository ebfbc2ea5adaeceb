/**
 * results/index.html: the claims first (a bar per experiment split by verdict, then the table:
 * paper claim, paper value, measured value, verdict), then each experiment's numbers and figures.
 * SVGs are inlined, so the page works offline and from a copied folder. The page carries a marker,
 * so that a rebuild replaces only a report gibbsgrad wrote, never a user's own index.html.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../node/checkpoint-file.js';
import { countVerdicts, formatValues, VERDICTS } from '../experiments/claims.js';
import type { Claim, Experiment, ExperimentResult, Verdict } from '../experiments/types.js';
import { MODE_PREFERENCE } from './merge.js';
import { loadResult, loadRuns } from './runner.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.yes{color:#176f2c;font-weight:600}.no{color:#b3261e;font-weight:600}.unclear{color:#8a5a00;font-weight:600}.na{color:#777}
figure{display:inline-block;margin:.5em 1em 1em 0;vertical-align:top}figcaption{font-size:13px;color:#555;max-width:420px}
section{border-top:2px solid #eee;margin-top:2em}code{background:#f4f4f4;padding:0 .2em}.meta{color:#666;font-size:13px}
.glance td{border:0;padding:.15em .5em;vertical-align:middle}.glance td:first-child{width:11em}.bar{display:flex;height:1.4em;border-radius:3px;overflow:hidden}
.bar span{color:#fff;font-size:12px;line-height:1.4em;text-align:center;overflow:hidden}.chip{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin:0 .3em 0 1em;vertical-align:-.1em}
.bg-yes{background:#2e8b47}.bg-no{background:#c0392b}.bg-unclear{background:#d4a017}.bg-na{background:#a9a9a9}`;

const VERDICT_CLASS: Record<Verdict, string> = { holds: 'yes', 'does not hold': 'no', inconclusive: 'unclear', 'not tested at this scale': 'na', reported: 'na' };

/**
 * One bar per experiment, split by verdict (lengths ∝ claim counts, the longest experiment full width),
 * each name linking to its section: the claims table at a glance. Plain HTML and CSS, no script.
 */
function verdictBars(results: readonly ExperimentResult[]): string {
  const most = Math.max(1, ...results.map((r) => r.claims.length));
  const row = (r: ExperimentResult) => {
    const counts = countVerdicts(r.claims);
    const parts = VERDICTS.filter((v) => counts[v] > 0).map((v) => `<span class="bg-${VERDICT_CLASS[v]}" style="flex:${counts[v]}" title="${counts[v]} ${esc(v)}">${counts[v]}</span>`);
    const width = ((100 * r.claims.length) / most).toFixed(1);
    return `<tr><td><a href="#${esc(r.name)}">${esc(r.name)}</a></td><td><div class="bar" style="width:${width}%">${parts.join('')}</div></td><td class="meta">${r.claims.length} claims</td></tr>`;
  };
  const total = countVerdicts(results.flatMap((r) => r.claims));
  const legend = VERDICTS.filter((v) => total[v] > 0).map((v) => `<span class="chip bg-${VERDICT_CLASS[v]}"></span>${esc(v)} ${total[v]}`);
  return `<table class="glance"><tbody>${results.map(row).join('')}</tbody></table>\n<p class="meta">${legend.join('')}</p>`;
}

function verdict(c: Claim): string {
  const why = c.verdict === 'holds' || c.verdict === 'does not hold' ? (c.seKnown ? ' (beyond 2 SE)' : ' (direction only: no SE)') : '';
  return `<span class="${VERDICT_CLASS[c.verdict]}">${esc(c.verdict)}</span>${why ? `<span class="meta">${why}</span>` : ''}`;
}

/** In every report's <head>: what assertReportReplaceable looks for. */
const MARKER = '<meta name="generator" content="gibbsgrad report">';
/** The first line of the reports written before the marker existed (they are replaceable too). */
const LEGACY_SIGNATURE = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>gibbsgrad: the papers' experiments</title>";

/** Throws, naming the file, when <outDir>/index.html exists and is not a report gibbsgrad wrote. */
export function assertReportReplaceable(outDir: string): void {
  const path = join(outDir, 'index.html');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`buildReport: cannot read ${path} to check that it is a gibbsgrad report: ${(e as Error).message}`, { cause: e });
  }
  if (!text.includes(MARKER) && !text.startsWith(LEGACY_SIGNATURE)) {
    throw new Error(`buildReport: ${path} exists and is not a report gibbsgrad wrote (it lacks ${MARKER}); it is left as it is: move it away or choose another results folder`);
  }
}

/**
 * Writes <outDir>/index.html from the results there. Throws, naming the file, when a result.json
 * cannot be read or has the wrong structure, and when index.html is not a gibbsgrad report.
 */
export function buildReport(outDir: string, registry: readonly Experiment[]): { path: string; results: ExperimentResult[] } {
  assertReportReplaceable(outDir);
  const results = registry.map((e) => loadResult(outDir, e.name)).filter((r): r is ExperimentResult => r !== null);
  const scale = (r: ExperimentResult) => (r.scale ? `${esc(r.scale.ours)}<br><span class="meta">paper ${esc(r.scale.paper)}</span>` : '');
  const measured = (c: Claim) => {
    const values = formatValues(c);
    return values ? `${esc(values)}<br><span class="meta">${esc(c.measured)}</span>` : esc(c.measured);
  };
  const rows = results.flatMap((r) => r.claims.map((c) => `<tr><td>${esc(r.name)}</td><td>${esc(c.claim)}${c.note ? `<br><span class="meta">${esc(c.note)}</span>` : ''}</td><td>${esc(c.paperValue)}</td><td>${measured(c)}</td><td>${c.seeds}</td><td>${scale(r)}</td><td>${verdict(c)}</td></tr>`));
  const missing = registry.filter((e) => !results.some((r) => r.name === e.name));
  // an experiment split into units shows how far its runs got before it has a result
  const progressOf = (e: Experiment) => {
    const runs = loadRuns(outDir, e.name);
    if (!e.units || runs.length === 0) return esc(e.name);
    const mode = MODE_PREFERENCE.find((m) => runs.some((r) => r.mode === m))!;
    const seed = Math.min(...runs.filter((r) => r.mode === mode).map((r) => r.seed));
    const done = runs.filter((r) => r.mode === mode && r.seed === seed).length;
    return `${esc(e.name)} (${mode}, seed ${seed}: ${done} of ${e.units(mode).length} units)`;
  };
  const sections = results.map((r) => {
    const figs = r.figures
      .map((f) => {
        const svgPath = join(outDir, r.name, `${f.name}.svg`);
        const svg = existsSync(svgPath) ? readFileSync(svgPath, 'utf8') : '<p class="no">figure missing</p>';
        return `<figure data-figure="${esc(f.name)}">${svg}<figcaption>${esc(f.title)}</figcaption></figure>`;
      })
      .join('\n');
    return `<section id="${esc(r.name)}"><h2>${esc(r.title)}</h2>
<p class="meta"><code>${esc(r.name)}</code> · ${esc(r.paper)} · mode ${r.mode} · ${r.runs && r.runs.length > 1 ? `seeds ${esc([...new Set(r.runs.map((x) => x.seed))].join(', '))} · ${r.runs.length} runs` : `seed ${r.seed}`} · ${r.seconds.toFixed(1)} s${r.provenance ? ` · ${esc(r.provenance.commit.slice(0, 12))}${r.provenance.dirty ? ' (modified)' : ''} · ${esc(r.provenance.cpu)}, ${r.provenance.cores} cores, ${esc(r.provenance.backend)} × ${r.provenance.threads}, load ${r.provenance.loadAtStart}` : ''}</p>
<p>${esc(r.data)}</p>${figs}
<details><summary>numbers (result.json)</summary><pre>${esc(JSON.stringify(r.metrics, null, 1).slice(0, 20000))}</pre></details></section>`;
  });
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">${MARKER}<title>gibbsgrad: the papers' experiments</title><style>${STYLE}</style></head><body>
<h1>gibbsgrad: the papers' experiments</h1>
<p class="meta">Generated ${new Date().toISOString()} · ${results.length} of ${registry.length} experiments${missing.length ? ` (not run: ${missing.map(progressOf).join(', ')})` : ''}</p>
<h2>Claims</h2>
<p class="meta">A claim holds (or does not) when the difference it asserts is beyond 2 standard errors: binomial SEs of error rates on the test set for one seed; across seeds, the SE of the per-seed differences combined with the seeds' own SE (they share one test set); inconclusive otherwise. Values are mean ± SE over the seeds.</p>
${verdictBars(results)}
<table><thead><tr><th>experiment</th><th>paper's claim</th><th>paper value</th><th>measured (mean ± SE)</th><th>seeds</th><th>train / test</th><th>verdict</th></tr></thead><tbody>
${rows.join('\n')}</tbody></table>
${sections.join('\n')}
</body></html>`;
  const path = join(outDir, 'index.html');
  writeAtomic(path, new TextEncoder().encode(html));
  return { path, results };
}
