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
export const BASELINE_SAMPLERS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange', 'block-mc'] as const;

/** Unweighted fraction of the draws above the dividing surface (all chains pooled). */
export function modeFraction(d: Draws, spec: CoordinateSpec): ModeFraction {
  const [kept, chains, dim] = d.shape;
  const n = kept * chains;
  let above = 0;
  for (let r = 0; r < n; r++) if (d.data[r * dim + spec.index] > spec.threshold) above++;
  const p = n > 0 ? above / n : 0;
  return { p, stderr: Math.sqrt((p * (1 - p)) / Math.max(1, n)), n };
}

/** The flow's own mode fraction from `n` of its samples (projected like the sampler draws); one asynchronous read. */
export async function flowModeFraction(flow: Distribution, target: SamplerTarget, rng: Rng, n = 2048): Promise<ModeFraction> {
  const x = flow.sample(n, rng);
  let data: Float32Array;
  try {
    data = (await x.data()) as Float32Array;
  } finally {
    x.dispose();
  }
  const draws: Draws = { data: Float32Array.from(data), shape: [n, 1, target.energy.dim] };
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

/** What {@link reverseKLWarnings} reads about a trained flow. */
export interface FlowTrainingCheck {
  /** Weights of the reverse-KL and maximum-likelihood terms of the training objective. */
  klWeight: number;
  mlWeight: number;
  /** Number of basins (metastable states) of the target, where known (e.g. 2 for a double well with both wells populated). */
  basins?: number;
  /** The flow's Kish ESS fraction against the target (0–1), if measured. */
  essFraction?: number | null;
  /** The flow's own fraction P(ξ > threshold) and the best estimate of the target's (exact, or the best baseline). */
  flowModeFraction?: number;
  referenceModeFraction?: number;
  /** Flow samples behind flowModeFraction (for its binomial standard error); default 4096. */
  samples?: number;
}

/** Kish ESS fractions at or above this are "high": the regime where a missing mode goes unnoticed. */
export const HIGH_ESS_FRACTION = 0.5;

/**
 * The reverse-KL multi-basin warnings (issue #15). Reverse KL is mode-seeking: on a target with more than one basin a
 * flow trained by it alone collapses onto one basin while its Kish ESS, computed from its own samples, stays high.
 * Returns (possibly empty) warnings: (1) reverse-KL-only training was chosen on a target with more than one basin;
 * (2) the flow puts less than half the reference probability on the minority mode, beyond 3 binomial standard errors —
 * worded as "ESS high but a mode missing" when the ESS fraction is at least {@link HIGH_ESS_FRACTION}.
 */
export function reverseKLWarnings(c: FlowTrainingCheck): string[] {
  const out: string[] = [];
  if (c.klWeight > 0 && c.mlWeight === 0 && (c.basins ?? 1) > 1)
    out.push(
      `reverse-KL-only training on a target with ${c.basins} basins: reverse KL is mode-seeking and tends to drop basins; use FAB (fab-is, fab-imh) or the adaptive loop (flowmc, bg-loop) from the energy alone.`,
    );
  if (c.flowModeFraction !== undefined && c.referenceModeFraction !== undefined) {
    const ref = c.referenceModeFraction;
    const minority = Math.min(ref, 1 - ref);
    const flowMinority = ref < 0.5 ? c.flowModeFraction : 1 - c.flowModeFraction;
    const n = c.samples ?? 4096;
    const se = Math.sqrt(Math.max(ref * (1 - ref), 1 / n) / n);
    if (minority > 0 && flowMinority < 0.5 * minority && Math.abs(c.flowModeFraction - ref) > 3 * se) {
      const high = c.essFraction !== undefined && c.essFraction !== null && c.essFraction >= HIGH_ESS_FRACTION;
      out.push(
        `${high ? `ESS high (${c.essFraction!.toFixed(3)}) but a mode is missing` : 'a mode is missing'}: the flow's mode fraction ${c.flowModeFraction.toFixed(4)} against ${ref.toFixed(4)} (minority mode under-covered ${(flowMinority / minority).toFixed(3)}×).`,
      );
    }
  }
  return out;
}
