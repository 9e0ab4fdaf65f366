import type { Distribution, Rng } from '@boltzflow/core';
import type { SamplerTarget } from './recipe.js';
import { addFlag } from './metrics.js';
import type { CoordinateSpec, Draws, SamplerResult } from './types.js';
import { round } from './util.js';

/** The fraction of samples with ξ > threshold and its binomial standard error. */
export interface ModeFraction {
  p: number;
  stderr: number;
  n: number;
}

/** Plain-MCMC samplers: the baselines that flow-based rows are compared with. */
export const BASELINE_SAMPLERS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange'] as const;

/** Unweighted fraction of the draws above the dividing surface (all chains pooled). */
export function modeFraction(d: Draws, spec: CoordinateSpec): ModeFraction {
  const [kept, chains, dim] = d.shape;
  const n = kept * chains;
  let above = 0;
  for (let r = 0; r < n; r++) if (d.data[r * dim + spec.index] > spec.threshold) above++;
  const p = n > 0 ? above / n : 0;
  return { p, stderr: Math.sqrt((p * (1 - p)) / Math.max(1, n)), n };
}

/** The flow's own mode fraction from `n` of its samples (projected like the sampler draws). */
export function flowModeFraction(flow: Distribution, target: SamplerTarget, rng: Rng, n = 2048): ModeFraction {
  const x = flow.sample(n, rng);
  const data = x.dataSync() as Float32Array;
  const draws: Draws = { data: Float32Array.from(data), shape: [n, 1, target.energy.dim] };
  x.dispose();
  return modeFraction(target.project ? target.project(draws) : draws, target.spec);
}

/** P(ξ > threshold) = 1 / (1 + e^ΔF) from ΔF = F(ξ > t) − F(ξ < t), with the delta-method error. */
function fractionFromDeltaF(deltaF: number, stderr: number): { p: number; stderr: number } {
  const p = 1 / (1 + Math.exp(deltaF));
  return { p, stderr: p * (1 - p) * stderr };
}

/**
 * Mode coverage of the flow-based rows: the flow's own mode fraction against the exact one (from the reference ΔF) or,
 * without a reference, against the best plain-MCMC baseline's estimate. A row is flagged `mode-mismatch` when the two
 * differ by more than 3 combined standard errors and the flow puts less than half the reference probability on the
 * minority mode (mode collapse, the reverse-KL pitfall). A flow that over-covers the minority mode is a heavier-tailed
 * proposal, which importance weights and MH corrections absorb, so it is reported but not flagged.
 */
export function checkModeCoverage(flowRows: SamplerResult[], flow: ModeFraction, rows: SamplerResult[], spec: CoordinateSpec): void {
  let ref: { p: number; stderr: number; source: string } | undefined;
  if (spec.referenceDeltaF !== undefined) ref = { ...fractionFromDeltaF(spec.referenceDeltaF, 0), source: 'exact' };
  else {
    const base = rows
      .filter((r) => (BASELINE_SAMPLERS as readonly string[]).includes(r.sampler) && r.deltaF && !r.flags.includes('few-transitions'))
      .sort((a, b) => b.ess - a.ess)[0];
    if (base?.deltaF) ref = { ...fractionFromDeltaF(base.deltaF.estimate, base.deltaF.stderr), source: base.sampler };
  }
  for (const r of flowRows) {
    r.metrics = { ...r.metrics, flowModeFraction: round(flow.p, 6), flowModeFractionStderr: round(flow.stderr, 6) };
    if (!ref) continue;
    r.metrics.referenceModeFraction = round(ref.p, 6);
    const se = Math.hypot(flow.stderr, ref.stderr);
    const minority = ref.p < 0.5 ? ref.p : 1 - ref.p;
    const flowMinority = ref.p < 0.5 ? flow.p : 1 - flow.p;
    const factor = minority > 0 ? flowMinority / minority : 1;
    const tag = `flow P(${spec.name} > ${spec.threshold}) = ${flow.p.toFixed(4)} ± ${flow.stderr.toFixed(4)} vs ${ref.source} ${ref.p.toFixed(4)}`;
    if (Math.abs(flow.p - ref.p) > 3 * se && factor < 0.5) {
      addFlag(r, 'mode-mismatch');
      (r.notes ??= []).push(`Mode mismatch: ${tag} (the flow misses a mode; a high Kish ESS does not show this).`);
    } else (r.notes ??= []).push(`Mode coverage: ${tag}.`);
  }
}
