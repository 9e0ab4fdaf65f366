import { logSumExp } from '@boltzflow/core';
import { assertSameLength, toFloat64, toLogWeights, type SeriesLike } from './input.js';

/**
 * Self-normalised importance-sampling estimate μ̂ = Σ w̄_i f_i of E_target[f] with its delta-method standard error
 * se² = Σ w̄_i² (f_i − μ̂)² (w̄ normalised weights; Owen 2013, §9.2). Also returns the Kish ESS.
 * Assumes independent samples (for MCMC draws the stderr is too small by √τ).
 */
export function selfNormalizedEstimate(values: SeriesLike, logWeights: SeriesLike): { estimate: number; stderr: number; ess: number } {
  const f = toFloat64(values, 'values');
  const lw = toLogWeights(logWeights, 'logWeights');
  assertSameLength(lw, f, 'logWeights', 'values');
  const lse = logSumExp(lw);
  const w = lw.map((x) => Math.exp(x - lse));
  let mu = 0;
  for (let i = 0; i < f.length; i++) mu += w[i] * f[i];
  let v = 0;
  let w2 = 0;
  for (let i = 0; i < f.length; i++) {
    v += w[i] * w[i] * (f[i] - mu) ** 2;
    w2 += w[i] * w[i];
  }
  return { estimate: mu, stderr: Math.sqrt(v), ess: 1 / w2 };
}
