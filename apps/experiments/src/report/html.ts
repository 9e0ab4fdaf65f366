import { BASELINE_SAMPLERS } from '@boltzflow/samplers';
import type { Results, SamplerResult } from '../results.js';
import type { RenderedFigure } from './render.js';
import { headlineTables } from './headline.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Number formatting for the table: 4 significant digits, exponent for very small/large values. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v == null || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(digits - 1);
  if (Number.isInteger(v) || a >= 10 ** digits) return String(Math.round(v));
  return v.toPrecision(digits);
}

/** ΔF ± stderr and its distance from the reference in standard errors (both errors combined when the reference has one). */
function deltaFCell(s: SamplerResult, referenceStderr = 0): string {
  if (!s.deltaF) return '–';
  const { estimate, stderr, reference } = s.deltaF;
  let out = `${fmt(estimate)} ± ${fmt(stderr, 2)}`;
  const combined = Math.hypot(stderr, referenceStderr);
  if (reference !== undefined && combined > 0) {
    const z = (estimate - reference) / combined;
    const title = referenceStderr > 0 ? '(estimate − reference) / √(stderr² + reference stderr²)' : '(estimate − exact) / stderr';
    out += ` <span class="z" title="${title}">(${z >= 0 ? '+' : ''}${z.toFixed(1)}σ)</span>`;
  }
  return out;
}

function flagsCell(s: SamplerResult): string {
  const flags = [...(s.flags ?? [])];
  if (s.transitions !== null && flags.includes('few-transitions')) flags[flags.indexOf('few-transitions')] = `unreliable: ${s.transitions} transitions`;
  return flags.length > 0 ? `<span class="flags">${flags.map((f) => escapeHtml(f)).join(', ')}</span>` : '';
}

export function comparisonTable(results: Results): string {
  if (results.samplers.length === 0) return '';
  const header = [
    'sampler',
    'sampling evals',
    'setup evals',
    'total evals',
    'wall s total',
    'acceptance',
    'transitions',
    'IACT (evals)',
    'ESS',
    'ESS / eval',
    'ESS / total eval',
    'ESS / total s',
    'training data',
    'ΔF (kT)',
  ];
  const rows = results.samplers.map((s) => {
    const oracle = s.trainingData === 'exact' || s.trainingData === 'bundled';
    const cells = [
      fmt(s.energyEvaluations),
      fmt(s.setupEnergyEvaluations ?? 0),
      `${fmt(s.totalEnergyEvaluations)}${oracle ? '*' : ''}`,
      fmt(s.totalWallSeconds ?? s.wallSeconds, 3),
      fmt(s.acceptanceRate, 3),
      fmt(s.transitions),
      fmt(s.iact),
      fmt(s.ess),
      fmt(s.essPerEnergyEvaluation),
      fmt(s.essPerTotalEnergyEvaluation),
      fmt(s.essPerTotalSecond),
      escapeHtml(oracle ? `${s.trainingData} (oracle)` : (s.trainingData ?? '–')),
      deltaFCell(s, results.reference?.deltaFStderr),
    ];
    return `<tr data-sampler="${escapeHtml(s.sampler)}"${s.flags && s.flags.length > 0 ? ' class="flagged"' : ''}><th scope="row" title="${escapeHtml(s.description ?? '')}">${escapeHtml(s.sampler)}${flagsCell(s) ? `<br>${flagsCell(s)}` : ''}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const ref = results.reference?.deltaF;
  // One cell across the table for the label, so that long method names (e.g. "quadrature (2D grid, 801²)") never wrap a column.
  const refRow =
    ref !== undefined
      ? results.reference!.deltaFStderr !== undefined
        ? `<tr class="reference"><th scope="row" colspan="${header.length - 1}">reference estimate (${escapeHtml(results.reference!.method)})</th><td>${fmt(ref)} ± ${fmt(results.reference!.deltaFStderr, 2)}</td></tr>`
        : `<tr class="reference"><th scope="row" colspan="${header.length - 1}">exact (${escapeHtml(results.reference!.method)})</th><td>${fmt(ref)}</td></tr>`
      : '';
  const note =
    '<p class="meta">Sampling evals: the equal budget. Setup: step-size warm-up, burn-in, pilot scans, and for flow-based rows the flow\'s training and its training data. Total = setup + sampling; ESS / total eval and ESS / total s count everything. * oracle rows: the flow was trained on exact or bundled samples whose generation is not counted; they never win on total cost. ΔF: estimate ± standard error (the larger of the autocorrelation and the between-chain estimate), with (estimate − exact)/stderr, or against a reference estimate (e.g. MD) (estimate − reference)/√(stderr² + reference stderr²).</p>';
  return `${note}<div class="table-wrap"><table class="comparison"><thead><tr>${header.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}${refRow}</tbody></table></div>`;
}

/** The verdict on total and sampling cost, as one block at the top of the report. */
export function verdictBlock(results: Results): string {
  if (!results.verdict || results.verdict.length === 0) return '';
  const items = results.verdict.map((v) => {
    const label = v.basis === 'total' ? 'Total cost (setup included)' : 'Sampling cost (equal budget)';
    let text: string;
    if (!v.best) text = 'no sampler qualifies';
    else if (!v.baseline) text = `best <b>${escapeHtml(v.best)}</b>; no plain-MCMC baseline qualifies`;
    else if (v.best === v.baseline) text = `best <b>${escapeHtml(v.best)}</b>, a plain-MCMC baseline: no flow-assisted sampler beats it`;
    else
      text = `best <b>${escapeHtml(v.best)}</b>: <span class="ratio">${fmt(v.ratio, 3)}×</span>${v.ratioInterval ? ` [${fmt(v.ratioInterval[0], 2)}, ${fmt(v.ratioInterval[1], 2)}]` : ''} the ESS per energy evaluation of ${escapeHtml(v.baseline)}${v.ratioInterval && v.ratioInterval[0] <= 1 ? ' (the interval includes 1: not a clear win)' : ''}`;
    const excluded = v.excluded.length > 0 ? `<br><span class="meta">not eligible: ${v.excluded.map((e) => escapeHtml(e)).join('; ')}</span>` : '';
    return `<li data-basis="${v.basis}"><b>${label}:</b> ${text}${excluded}</li>`;
  });
  return `<div class="verdict" id="verdict"><h2>Verdict</h2><ul>${items.join('')}</ul><p class="meta">Eligible (to win and to serve as the baseline): ESS &gt; 0, ΔF within 3 stderr of the exact value, no mode mismatch, at least 20 transitions for chains, Kish ESS at least 50 for weighted samples; baselines are ${BASELINE_SAMPLERS.join(', ')}. The interval is ±2σ of the ratio from jackknife errors of both ESS values.</p></div>`;
}

/** The banner of quick runs: their budgets are too small for conclusions. */
export function quickBanner(results: Results): string {
  return results.quick ? '<div class="quick-banner" id="quick-banner">Quick run: small budgets, not for conclusions.</div>' : '';
}

function settingsList(results: Results): string {
  const items = results.samplers
    .filter((s) => s.settings || s.notes || s.description)
    .map((s) => {
      const settings = s.settings
        ? Object.entries(s.settings)
            .map(([k, v]) => `${escapeHtml(k)} = ${escapeHtml(typeof v === 'number' ? fmt(v) : String(v))}`)
            .join(', ')
        : '';
      const notes = (s.notes ?? []).map((n) => escapeHtml(n)).join(' ');
      return `<li><b>${escapeHtml(s.sampler)}</b>${s.description ? ` — ${escapeHtml(s.description)}` : ''}${settings ? `. <span class="settings">${settings}</span>` : ''}${notes ? `. ${notes}` : ''}</li>`;
    });
  return items.length > 0 ? `<ul class="samplers">${items.join('')}</ul>` : '';
}

/** The self-contained report page: no scripts, no external resources, figures inlined as SVG. */
export function reportHtml(results: Results, figures: RenderedFigure[]): string {
  const b = results.backend;
  const skipped =
    results.skipped.length > 0
      ? `<div class="skipped"><b>Not run:</b><ul>${results.skipped.map((s) => `<li>${escapeHtml(s.sampler)}: ${escapeHtml(s.reason)}</li>`).join('')}</ul></div>`
      : '';
  const t = results.training;
  const training = t
    ? `<p class="training">Flow training: ${fmt(t.steps)} steps, ${fmt(t.energyEvaluations)} energy evaluations, ${fmt(t.wallSeconds, 3)} s; final loss ${fmt(t.finalLoss)}, Kish ESS fraction ${fmt(t.essFraction, 3)}${
        t.modeFractions
          ? `; mode fractions ${Object.entries(t.modeFractions)
              .map(([k, v]) => `${escapeHtml(k)}: ${fmt(v, 3)}`)
              .join(', ')}`
          : ''
      }.</p>`
    : '';
  const refDef = results.reference?.definition ? `<p>${escapeHtml(results.reference.definition)}</p>` : '';
  const figs = figures
    .map(
      (f) =>
        `<figure class="plot" id="fig-${escapeHtml(f.figure.id)}" data-figure-id="${escapeHtml(f.figure.id)}"><h2>${escapeHtml(f.figure.title)}</h2><div class="svg">${stripXmlProlog(f.svg)}</div>${f.figure.caption ? `<figcaption>${escapeHtml(f.figure.caption)}</figcaption>` : ''}</figure>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>boltzflow — ${escapeHtml(results.experiment)}</title>
<style>
body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.1em;margin:.2em 0}
table.comparison{border-collapse:collapse;font-size:.78em;margin:1em 0}
table.comparison th,table.comparison td{border-bottom:1px solid #ddd;padding:.25em .35em;text-align:right}
table.comparison th[scope=row]{text-align:left}
tr.reference{font-style:italic;background:#f6f6f6}tr.reference th[scope=row]{max-width:none;text-align:right}
.meta{color:#555;font-size:.85em}.z{color:#777;font-size:.9em}
.skipped{background:#fff7e0;border-left:3px solid #e0a800;padding:.4em 1em;font-size:.85em}
.verdict{background:#eef5ff;border-left:4px solid #4c78a8;padding:.3em 1em;margin:1em 0}.verdict ul{margin:.3em 0}
.quick-banner{background:#ffe9a8;border:2px solid #e0a800;padding:.5em 1em;font-weight:bold;margin:1em 0}
.table-wrap{overflow-x:auto}.flags{color:#b00;font-size:.8em;font-weight:normal;white-space:normal}table.comparison td{white-space:nowrap}table.comparison td:last-child{white-space:normal;min-width:7em}table.comparison th[scope=row]{max-width:11em}
table.comparison th[scope=col]{white-space:normal;vertical-align:bottom}
figure.plot{margin:1.5em 0;border-top:1px solid #eee;padding-top:.5em}
figcaption{color:#555;font-size:.85em;max-width:800px}
</style></head>
<body>
<h1>boltzflow report: ${escapeHtml(results.experiment)}</h1>
${results.description ? `<p>${escapeHtml(results.description)}</p>` : ''}
<p class="meta">seed ${results.seed}${results.quick ? ' (quick run)' : ''} · backend ${escapeHtml(b.active)}${b.adapter ? ` (${escapeHtml(b.adapter)})` : ''}${b.fallback ? ` (fallback from ${escapeHtml(b.requested)}: ${escapeHtml(b.reason ?? '')})` : ''} · tfjs ${escapeHtml(b.tfjsVersion)} · boltzflow ${escapeHtml(results.libraryVersion)} · ${fmt(results.wallSeconds, 3)} s wall · started ${escapeHtml(results.startedAt)}</p>
${quickBanner(results)}
${verdictBlock(results)}
${headlineTables(results)}
${refDef}
${comparisonTable(results)}
${settingsList(results)}
${training}
${skipped}
${figs}
</body></html>
`;
}

function stripXmlProlog(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}
