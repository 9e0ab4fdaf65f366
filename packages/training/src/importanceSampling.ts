import { kishESS, logPartition } from '@boltzflow/estimators';

/**
 * Importance-sampling summary of log-weights log w = −u(x) − log q(x) for x ~ q: Kish ESS (estimators' kishESS), its
 * fraction of the sample size, and the estimate log Z ≈ LSE(log w) − log N (estimators' logPartition). Unusable weights (NaN, all −Inf) give
 * ess = 0 instead of throwing, so that the training loop can report a skipped step. A high ESS fraction does not prove
 * that q covers every mode of the target.
 */
export function importanceSummary(logWeights: ArrayLike<number>): { ess: number; essFraction: number; logZ: number } {
  const n = logWeights.length;
  if (n === 0) return { ess: 0, essFraction: 0, logZ: -Infinity };
  const lw = Float64Array.from(logWeights as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (Number.isNaN(lw[i]) || lw[i] === Infinity) return { ess: 0, essFraction: 0, logZ: NaN };
  try {
    const { ess, fraction } = kishESS(lw);
    return { ess, essFraction: fraction, logZ: logPartition(lw).logZ };
  } catch {
    return { ess: 0, essFraction: 0, logZ: -Infinity };
  }
}
