import { logSumExp } from '@boltzflow/core';
import { toLogWeights, type SeriesLike } from './input.js';

/**
 * Kish effective sample size of importance weights, ESS = (Σw)²/Σw² computed as exp(2·LSE(log w) − LSE(2·log w)),
 * and fraction = ESS/N ∈ (0, 1]. A high fraction does not prove that the proposal covers every mode of the target.
 */
export function kishESS(logWeights: SeriesLike): { ess: number; fraction: number } {
  const lw = toLogWeights(logWeights, 'logWeights');
  const lw2 = lw.map((x) => 2 * x);
  const ess = Math.exp(2 * logSumExp(lw) - logSumExp(lw2));
  return { ess, fraction: ess / lw.length };
}
