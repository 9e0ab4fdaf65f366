import { MIN_KISH_ESS, MIN_TRANSITIONS } from './metrics.js';
import { BASELINE_SAMPLERS } from './modes.js';
import type { SamplerResult } from './types.js';

/** The comparison's answer on one cost basis: the best trustworthy sampler and its ratio to the best plain-MCMC baseline. */
export interface Verdict {
  basis: 'total' | 'sampling';
  /** Best eligible sampler by ESS per energy evaluation on this basis; null when none is eligible. */
  best: string | null;
  /** Best eligible plain-MCMC baseline (rwm, rwm-scan, mala, replica-exchange, block-mc); null when none ran or none is eligible. */
  baseline: string | null;
  /** ESS/evaluation of `best` over that of `baseline`. */
  ratio: number | null;
  /** A ±2σ interval of the ratio from the ESS errors where both rows have one (`metrics.essStderr`); null otherwise. */
  ratioInterval: [number, number] | null;
  /** Samplers left out and why (`sampler: reason`). */
  excluded: string[];
}

/** Why a row cannot win on `basis`, or null when it can. */
export function ineligibility(r: SamplerResult, basis: Verdict['basis'], referenceDeltaF?: number): string | null {
  if (!(r.ess > 0)) return 'ESS 0';
  if (r.flags.includes('mode-mismatch')) return 'mode mismatch';
  // Their ESS (and so the ratio) rests on a handful of barrier crossings or on a few dominant weights.
  if (r.flags.includes('few-transitions')) return `few transitions (${r.transitions ?? 0} < ${MIN_TRANSITIONS}): ESS unreliable`;
  if (r.flags.includes('degenerate-weights')) return `degenerate weights (Kish ESS ${r.ess.toFixed(1)} < ${MIN_KISH_ESS})`;
  if (basis === 'total' && (r.trainingData === 'exact' || r.trainingData === 'bundled')) return `oracle (trained on ${r.trainingData} data)`;
  const d = r.deltaF;
  if (d && d.reference !== undefined && Math.abs(d.estimate - d.reference) > 3 * d.stderr)
    return `ΔF ${((d.estimate - d.reference) / Math.max(d.stderr, 1e-300)).toFixed(1)} stderr from exact`;
  if (!d && referenceDeltaF !== undefined) return 'ΔF not estimable';
  return null;
}

/**
 * The verdict on each basis ('total': ESS per evaluation including setup; 'sampling': at the equal sampling budget).
 * Nothing wins or serves as the baseline whose ΔF misses the exact value by more than 3 stderr, that is flagged
 * mode-mismatch, few-transitions or degenerate-weights (its ESS is not a number to divide by), or that has ESS 0; rows
 * trained on exact or bundled samples (oracles) never win on total cost.
 */
export function comparisonVerdicts(rows: readonly SamplerResult[], referenceDeltaF?: number): Verdict[] {
  return (['total', 'sampling'] as const).map((basis) => {
    const rate = (r: SamplerResult): number => (basis === 'total' ? r.essPerTotalEnergyEvaluation : r.essPerEnergyEvaluation);
    const excluded: string[] = [];
    const eligible = rows.filter((r) => {
      const why = ineligibility(r, basis, referenceDeltaF);
      if (why) excluded.push(`${r.sampler}: ${why}`);
      return why === null;
    });
    const byRate = [...eligible].sort((a, b) => rate(b) - rate(a));
    const best = byRate[0] ?? null;
    const baseline = byRate.find((r) => (BASELINE_SAMPLERS as readonly string[]).includes(r.sampler)) ?? null;
    const ratio = best && baseline && rate(baseline) > 0 ? rate(best) / rate(baseline) : null;
    let ratioInterval: [number, number] | null = null;
    const sa = best?.metrics?.essStderr;
    const sb = baseline?.metrics?.essStderr;
    if (ratio !== null && best && baseline && typeof sa === 'number' && typeof sb === 'number' && best !== baseline) {
      const rel = Math.hypot(sa / best.ess, sb / baseline.ess);
      ratioInterval = [ratio * Math.exp(-2 * rel), ratio * Math.exp(2 * rel)];
    }
    return { basis, best: best?.sampler ?? null, baseline: baseline?.sampler ?? null, ratio, ratioInterval, excluded };
  });
}

/** One line for the console and the top of the report. */
export function verdictLine(verdicts: readonly Verdict[]): string {
  const part = (v: Verdict): string => {
    const label = v.basis === 'total' ? 'total cost' : 'sampling cost';
    if (!v.best) return `${label}: no sampler qualifies`;
    if (!v.baseline) return `${label}: best ${v.best} (no plain-MCMC baseline qualifies)`;
    if (v.best === v.baseline) return `${label}: best ${v.best} (a plain-MCMC baseline)`;
    const r = v.ratio !== null ? `${fmtRatio(v.ratio)}×` : '?';
    const iv = v.ratioInterval ? ` [${fmtRatio(v.ratioInterval[0])}, ${fmtRatio(v.ratioInterval[1])}]` : '';
    const tie = v.ratioInterval && v.ratioInterval[0] <= 1 ? ' (the interval includes 1: not a clear win)' : '';
    return `${label}: best ${v.best}, ${r}${iv} the ESS per evaluation of ${v.baseline}${tie}`;
  };
  return `verdict — ${verdicts.map(part).join('; ')}`;
}

function fmtRatio(v: number): string {
  return v >= 100 || v < 0.01 ? v.toExponential(1) : v.toPrecision(2);
}
