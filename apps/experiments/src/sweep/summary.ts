import path from 'node:path';
import { createRng } from '@boltzflow/core';
import { escapeHtml, fmt } from '../report/html.js';
import { writeFileAtomic } from '../results.js';
import type { RunSummary } from './execute.js';

/** The plain-MCMC baselines a flow sampler has to beat; the ratio is taken to the best of those present in a run. */
export const BASELINE_SAMPLERS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange'] as const;

export const BOOTSTRAP_RESAMPLES = 4000;
/** Fixed, so that the same runs always give the same intervals. */
export const BOOTSTRAP_SEED = 18;

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  /** Seeds with a finite value (ESS 0 gives an infinite cost and is left out, counted in `excluded`). */
  n: number;
  excluded: number;
}

export interface SamplerSummary {
  sampler: string;
  evalsPerEss: Interval | null;
  secondsPerEss: Interval | null;
  /** Sampling + setup energy evaluations. */
  totalCost: Interval | null;
  /** |ΔF estimate − exact ΔF| in kT. */
  deltaFError: Interval | null;
  /** evals/ESS divided by the best plain-MCMC baseline's in the same run (< 1: better than every baseline). */
  ratioToBestBaseline: Interval | null;
}

export interface GroupSummary {
  group: string;
  experiment: string;
  seeds: number[];
  samplers: SamplerSummary[];
  verdict: string;
}

export interface FailedRun {
  id: string;
  group: string;
  seed: number;
  error: string;
  attempts?: number;
}

export interface SweepSummary {
  sweep: string;
  createdAt: string;
  runs: { total: number; completed: number; failed: number };
  bootstrap: { resamples: number; seed: number; level: 0.95; over: 'seeds' };
  groups: GroupSummary[];
  failed: FailedRun[];
}

function percentile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

/** Mean and percentile-bootstrap 95 % interval of the mean (resampling the seeds), seeded. */
export function bootstrapMean(values: (number | null)[], resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED): Interval | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return null;
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const excluded = values.length - n;
  if (n === 1) return { mean, lo: mean, hi: mean, n, excluded };
  const rng = createRng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.nextInt(0, n - 1)];
    means[b] = s / n;
  }
  means.sort();
  return { mean, lo: percentile(means, 0.025), hi: percentile(means, 0.975), n, excluded };
}

export interface SummaryInput {
  id: string;
  group: string;
  results: RunSummary;
}

function perRun(r: RunSummary) {
  const refDeltaF = r.reference?.deltaF;
  const rows = r.samplers.map((s) => {
    const ref = s.deltaF?.reference ?? refDeltaF;
    return {
      sampler: s.sampler,
      evalsPerEss: s.ess > 0 ? s.energyEvaluations / s.ess : null,
      secondsPerEss: s.ess > 0 ? s.wallSeconds / s.ess : null,
      totalCost: s.energyEvaluations + (s.setupEnergyEvaluations ?? 0),
      deltaFError: s.deltaF && ref !== undefined ? Math.abs(s.deltaF.estimate - ref) : null,
    };
  });
  const base = rows.filter((x) => (BASELINE_SAMPLERS as readonly string[]).includes(x.sampler) && x.evalsPerEss !== null).map((x) => x.evalsPerEss!);
  const best = base.length ? Math.min(...base) : null;
  return rows.map((x) => ({ ...x, ratio: best !== null && x.evalsPerEss !== null ? x.evalsPerEss / best : null }));
}

function intervalText(i: Interval | null, digits = 3): string {
  if (!i) return '–';
  return i.n > 1 ? `${fmt(i.mean, digits)} [${fmt(i.lo, digits)}, ${fmt(i.hi, digits)}]` : fmt(i.mean, digits);
}

function verdictFor(group: string, samplers: SamplerSummary[]): string {
  const challengers = samplers.filter((s) => !(BASELINE_SAMPLERS as readonly string[]).includes(s.sampler) && s.ratioToBestBaseline);
  if (!samplers.some((s) => (BASELINE_SAMPLERS as readonly string[]).includes(s.sampler) && s.evalsPerEss))
    return `${group}: no plain-MCMC baseline with a finite ESS ran; no verdict.`;
  if (challengers.length === 0) return `${group}: only plain-MCMC samplers ran; no verdict.`;
  const best = challengers.reduce((a, b) => (b.ratioToBestBaseline!.mean < a.ratioToBestBaseline!.mean ? b : a));
  const r = best.ratioToBestBaseline!;
  const call =
    r.hi < 1
      ? 'beats the best plain-MCMC baseline'
      : r.lo > 1
        ? 'loses to the best plain-MCMC baseline'
        : 'is not distinguishable from the best plain-MCMC baseline';
  return `${group}: ${best.sampler} ${call}: it needs ${fmt(r.mean, 3)}× the energy evaluations per ESS (95 % interval ${fmt(r.lo, 3)}–${fmt(r.hi, 3)}, ${r.n} seed${r.n === 1 ? '' : 's'}; < 1 is better).`;
}

/** Per group (experiment + grid point) and sampler: means with bootstrap intervals over seeds, and a verdict. */
export function summarize(sweep: string, runs: SummaryInput[], failed: FailedRun[], total: number): SweepSummary {
  const groups = new Map<string, SummaryInput[]>();
  for (const r of runs) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const out: GroupSummary[] = [];
  for (const [group, members] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    members.sort((a, b) => a.results.seed - b.results.seed);
    const rows = members.map((m) => perRun(m.results));
    const names = [...new Set(rows.flatMap((r) => r.map((x) => x.sampler)))];
    const samplers = names.map((sampler): SamplerSummary => {
      const vals = rows.map((r) => r.find((x) => x.sampler === sampler));
      const pick = (f: (x: NonNullable<(typeof vals)[number]>) => number | null) => bootstrapMean(vals.map((v) => (v ? f(v) : null)));
      return {
        sampler,
        evalsPerEss: pick((v) => v.evalsPerEss),
        secondsPerEss: pick((v) => v.secondsPerEss),
        totalCost: pick((v) => v.totalCost),
        deltaFError: pick((v) => v.deltaFError),
        ratioToBestBaseline: pick((v) => v.ratio),
      };
    });
    out.push({ group, experiment: members[0].results.experiment, seeds: members.map((m) => m.results.seed), samplers, verdict: verdictFor(group, samplers) });
  }
  return {
    sweep,
    createdAt: new Date().toISOString(),
    runs: { total, completed: runs.length, failed: failed.length },
    bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED, level: 0.95, over: 'seeds' },
    groups: out,
    failed,
  };
}

/** Self-contained HTML (no scripts, no external resources), like the run reports. */
export function summaryHtml(s: SweepSummary): string {
  const groups = s.groups
    .map((g) => {
      const rows = g.samplers
        .map(
          (x) =>
            `<tr><th scope="row">${escapeHtml(x.sampler)}</th><td>${intervalText(x.evalsPerEss)}</td><td>${intervalText(x.secondsPerEss)}</td><td>${intervalText(x.totalCost)}</td><td>${intervalText(x.deltaFError)}</td><td>${intervalText(x.ratioToBestBaseline)}</td></tr>`,
        )
        .join('\n');
      return `<section><h2>${escapeHtml(g.group)}</h2><p>Seeds: ${escapeHtml(g.seeds.join(', '))}</p>
<table><thead><tr><th>sampler</th><th>evals / ESS</th><th>seconds / ESS</th><th>total cost (evals)</th><th>|ΔF error| (kT)</th><th>ratio to best baseline</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="verdict">${escapeHtml(g.verdict)}</p></section>`;
    })
    .join('\n');
  const failed = s.failed.length
    ? `<section><h2>Failed runs (${s.failed.length})</h2><table><thead><tr><th>run</th><th>group</th><th>seed</th><th>attempts</th><th>error</th></tr></thead><tbody>
${s.failed.map((f) => `<tr><td>${escapeHtml(f.id)}</td><td>${escapeHtml(f.group)}</td><td>${f.seed}</td><td>${f.attempts ?? 1}</td><td>${escapeHtml(f.error)}</td></tr>`).join('\n')}
</tbody></table></section>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>boltzflow sweep ${escapeHtml(s.sweep)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}th[scope=row],thead th{text-align:left}.verdict{font-weight:600}</style></head>
<body><h1>Sweep ${escapeHtml(s.sweep)}</h1>
<p>${s.runs.completed} of ${s.runs.total} runs completed, ${s.runs.failed} failed. Each cell: mean over seeds [95 % percentile-bootstrap interval of the mean, ${s.bootstrap.resamples} resamples, seed ${s.bootstrap.seed}]. Baselines: ${BASELINE_SAMPLERS.join(', ')}; the ratio divides a sampler's evaluations per ESS by the best baseline's in the same run.</p>
${groups}
${failed}
</body></html>
`;
}

export async function writeSummary(dir: string, s: SweepSummary): Promise<{ json: string; html: string }> {
  const json = path.join(dir, 'sweep-summary.json');
  const html = path.join(dir, 'sweep-report.html');
  await writeFileAtomic(json, `${JSON.stringify(s, null, 1)}\n`);
  await writeFileAtomic(html, summaryHtml(s));
  return { json, html };
}
