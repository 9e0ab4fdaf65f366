import { logSumExp } from '@boltzflow/core';
import { assertSameLength, toFloat64, toLogWeights, type SeriesLike } from './input.js';

/** Result of {@link importanceWeights}; all arrays are float64 and have one entry per sample. */
export interface ImportanceWeights {
  /** log w_i = log p̃(x_i) − log q(x_i) (unnormalised; −Infinity where the target has no mass). */
  logWeights: Float64Array;
  /** log w̄_i = log w_i − LSE(log w); LSE of these is 0. */
  normalizedLogWeights: Float64Array;
  /** w̄_i = exp(log w̄_i), summing to 1. */
  weights: Float64Array;
  /** LSE(log w) = log Σ w_i. */
  logSumWeights: number;
  /** LSE(log w) − log N: the importance-sampling estimate of log(Z_target/Z_proposal). */
  logMeanWeight: number;
}

/**
 * Importance weights of samples x_i ~ q for an unnormalised target p̃ = exp(−u): log w = logTarget − logProposal
 * (for a Boltzmann target pass logTarget = −u(x) in kT). Everything is computed in log space in float64,
 * so weights spanning hundreds of orders of magnitude are handled. Accepts arrays or `[n]` tensors
 * (tensors are read, never disposed). logTarget may be −Infinity; NaN, +Infinity or a −Infinity
 * logProposal (a sample the proposal cannot produce) throw.
 */
export function importanceWeights(logTarget: SeriesLike, logProposal: SeriesLike): ImportanceWeights {
  const lt = toFloat64(logTarget, 'logTarget', { allow: 'logWeights' });
  const lq = toFloat64(logProposal, 'logProposal');
  assertSameLength(lq, lt, 'logProposal', 'logTarget');
  const lw = new Float64Array(lt.length);
  for (let i = 0; i < lw.length; i++) lw[i] = lt[i] - lq[i];
  return fromLogWeights(toLogWeights(lw, 'logTarget'));
}

function fromLogWeights(lw: Float64Array): ImportanceWeights {
  const lse = logSumExp(lw);
  const nlw = new Float64Array(lw.length);
  const w = new Float64Array(lw.length);
  for (let i = 0; i < lw.length; i++) {
    nlw[i] = lw[i] - lse;
    w[i] = Math.exp(nlw[i]);
  }
  return { logWeights: lw, normalizedLogWeights: nlw, weights: w, logSumWeights: lse, logMeanWeight: lse - Math.log(lw.length) };
}

/** log w̄_i = log w_i − LSE(log w): log weights normalised to sum to one in linear space. */
export function normalizeLogWeights(logWeights: SeriesLike): Float64Array {
  return fromLogWeights(toLogWeights(logWeights, 'logWeights')).normalizedLogWeights;
}

/** Self-normalised weights w̄_i = w_i / Σ_j w_j (sum to 1), computed stably from log weights. */
export function normalizedWeights(logWeights: SeriesLike): Float64Array {
  return fromLogWeights(toLogWeights(logWeights, 'logWeights')).weights;
}
