import { logSumExp } from '@boltzflow/core';
import { toLogWeights, type SeriesLike } from './input.js';

/**
 * log Z estimate from importance log weights log w = −u(x) − log q(x), x ~ q (q normalised):
 * logZ = LSE(log w) − log N, with delta-method standard error std(w)/(√N · mean(w)) (sample std, ddof 1),
 * computed on w·exp(−max log w) so it never overflows. The free energy is F = −logZ in kT.
 * The stderr is itself noisy when the weights are heavy-tailed; check {@link kishESS} too.
 */
export function logPartition(logWeights: SeriesLike): { logZ: number; stderr: number } {
  const lw = toLogWeights(logWeights, 'logWeights');
  const n = lw.length;
  const lse = logSumExp(lw);
  const logZ = lse - Math.log(n);
  if (n < 2) return { logZ, stderr: Infinity };
  // relative weights w_i / mean(w): std of these is std(w)/mean(w)
  let s = 0;
  for (let i = 0; i < n; i++) s += (Math.exp(lw[i] - logZ) - 1) ** 2;
  const stderr = Math.sqrt(s / (n - 1)) / Math.sqrt(n);
  return { logZ, stderr };
}
