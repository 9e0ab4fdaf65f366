import type { Results } from '../results.js';
import { escapeHtml, fmt } from './html.js';

/** `v ± s` for table cells. */
function pm(v: unknown, s: unknown): string {
  return typeof v === 'number' ? `${fmt(v)}${typeof s === 'number' ? ` ± ${fmt(s, 2)}` : ''}` : '–';
}

/** Density estimation (two-moons): held-out NLL per model with its standard error, size and speed. */
function densityTable(results: Results): string {
  const models = results.artifacts.extra?.models;
  if (!Array.isArray(models) || models.length === 0) return '';
  const rows = (models as Record<string, unknown>[]).map(
    (m) =>
      `<tr><th scope="row">${escapeHtml(String(m.model))}</th><td>${pm(m.heldOutNLL, m.heldOutNLLStderr)}</td><td>${fmt(m.parameters as number)}</td><td>${fmt(m.steps as number)}</td><td>${fmt(m.secondsPerEpoch as number, 3)}</td><td>${fmt(m.wallSeconds as number, 3)}</td></tr>`,
  );
  return `<h2>Density estimation</h2><p class="meta">Held-out negative log-likelihood (nats per point, lower is better) ± its standard error over ${fmt(results.artifacts.extra?.heldOutSamples as number)} held-out points.</p><table class="comparison headline" id="density-table"><thead><tr><th scope="col">model</th><th scope="col">held-out NLL</th><th scope="col">parameters</th><th scope="col">steps</th><th scope="col">s / epoch</th><th scope="col">training s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** log Z against the exact value (many-well-32): the estimate, its error, and the deviation in standard errors. */
function logZTable(results: Results): string {
  const exact = results.reference?.logZ;
  const rows = results.samplers.filter((s) => typeof s.metrics?.logZ === 'number');
  if (exact === undefined || rows.length === 0) return '';
  const body = rows.map((s) => {
    const z = s.metrics!.logZ as number;
    const se = s.metrics!.logZStderr;
    const dev = typeof se === 'number' && se > 0 ? ` (${((z - exact) / se).toFixed(1)}σ)` : '';
    return `<tr><th scope="row">${escapeHtml(s.sampler)}</th><td>${pm(z, se)}</td><td>${fmt(z - exact)}${dev}</td></tr>`;
  });
  return `<h2>log Z</h2><table class="comparison headline" id="logz-table"><thead><tr><th scope="col">sampler</th><th scope="col">log Z estimate</th><th scope="col">error vs exact</th></tr></thead><tbody>${body.join('')}<tr class="reference"><th scope="row">exact (${escapeHtml(results.reference!.method)})</th><td>${fmt(exact)}</td><td></td></tr></tbody></table>`;
}

/** Mixture targets (gmm-40): the modes each row found and how close their populations are to the exact weights. */
function modesTable(results: Results): string {
  const rows = results.samplers.filter((s) => typeof s.metrics?.modesFound === 'number');
  const total = (results.artifacts.extra?.componentPopulations as Record<string, number[]> | undefined)?.[rows[0]?.sampler ?? ''];
  if (rows.length === 0) return '';
  const of = total ? ` of ${total.length}` : '';
  const body = rows.map(
    (s) =>
      `<tr><th scope="row">${escapeHtml(s.sampler)}</th><td>${fmt(s.metrics!.modesFound as number)}${of}</td><td>${fmt(s.metrics!.modesWithin30Percent as number)}${of}</td><td>${fmt(s.metrics!.modeWeightMaxRelativeError as number)}</td></tr>`,
  );
  return `<h2>Modes</h2><p class="meta">Each sample is assigned to the component of largest responsibility (weighted rows by their self-normalised weights). Found: population at least a tenth of the exact weight.</p><table class="comparison headline" id="modes-table"><thead><tr><th scope="col">sampler</th><th scope="col">modes found</th><th scope="col">population within ±30 %</th><th scope="col">largest relative error</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** Particle systems (dw4, lj13): the flow's test NLL against the published value, entropy, KL and Kish ESS. */
function particleTable(results: Results): string {
  const x = results.artifacts.extra;
  if (!x || typeof x.testNLL !== 'number') return '';
  const pub = x.published as { nll?: number; normalisedNLL?: number; source?: string } | undefined;
  const is = results.samplers.find((s) => s.sampler === 'flow-is');
  const rows: [string, string][] = [
    ['test NLL (ours)', pm(x.testNLL, x.testNLLStderr)],
    ...(pub
      ? ([
          [`published NLL (${escapeHtml(pub.source ?? '')}), their scale`, fmt(pub.nll)],
          ['published NLL on our scale', fmt(pub.normalisedNLL)],
        ] as [string, string][])
      : []),
    ['entropy estimate of the flow', fmt(x.entropyEstimate as number)],
    ['KL(p‖q) estimate', fmt(x.klDataToFlowEstimate as number)],
    ...(is ? ([[`Kish ESS of flow-is (of ${fmt(is.energyEvaluations)})`, fmt(is.ess)]] as [string, string][]) : []),
  ];
  return `<h2>Headline results</h2><table class="comparison headline" id="headline-table"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>${typeof x.nllConvention === 'string' ? `<p class="meta">NLL: ${escapeHtml(x.nllConvention)}</p>` : ''}`;
}

/** The experiment's headline numbers, above the sampler table: density estimation, log Z, mixture modes, particle-flow results. */
export function headlineTables(results: Results): string {
  return [densityTable(results), logZTable(results), modesTable(results), particleTable(results)].join('');
}
