import { logSumExp } from '@boltzflow/core';

/**
 * Importance-sampling summary of log-weights log w = −u(x) − log q(x) for x ~ q: Kish ESS = (Σw)²/Σw² (computed as
 * exp(2·LSE(log w) − LSE(2·log w))), its fraction of the sample size, and the estimate log Z ≈ LSE(log w) − log N.
 * Non-finite weights (NaN) give ess = 0. A high ESS fraction does not prove that q covers every mode of the target.
 */
export function importanceSummary(logWeights: ArrayLike<number>): { ess: number; essFraction: number; logZ: number } {
  const n = logWeights.length;
  if (n === 0) return { ess: 0, essFraction: 0, logZ: -Infinity };
  const lw = Float64Array.from(logWeights as ArrayLike<number>);
  for (let i = 0; i < n; i++) if (Number.isNaN(lw[i])) return { ess: 0, essFraction: 0, logZ: NaN };
  const lw2 = lw.map((v) => 2 * v);
  const lse = logSumExp(lw);
  const ess = Math.exp(2 * lse - logSumExp(lw2));
  return { ess: Number.isFinite(ess) ? ess : 0, essFraction: Number.isFinite(ess) ? ess / n : 0, logZ: lse - Math.log(n) };
}
