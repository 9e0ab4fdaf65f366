import { BoltzflowError } from '@boltzflow/core';
import { effectiveSampleSize, type EffectiveSampleSizeOptions } from './effectiveSampleSize.js';
import { toChains, toLogWeights } from './input.js';
import { kishESS } from './kishESS.js';

/**
 * Delete-one jackknife: se = √((k−1)/k · Σ (θ₍₋ᵢ₎ − θ̄)²) over the k leave-one-out estimates. Each estimate is on the
 * full sample's scale already (the callers rescale ESS by the fraction of draws kept).
 */
function jackknifeStderr(leaveOneOut: readonly number[]): number {
  const k = leaveOneOut.length;
  const mean = leaveOneOut.reduce((a, v) => a + v, 0) / k;
  const ss = leaveOneOut.reduce((a, v) => a + (v - mean) ** 2, 0);
  return Math.sqrt(((k - 1) / k) * ss);
}

/**
 * Standard error of the multi-chain {@link effectiveSampleSize} by the jackknife over chains: the ESS is recomputed
 * with each chain left out, rescaled by M/(M−1), and the spread of those M values gives the error. Leaving out a
 * chain stuck in its own basin moves the between-chain variance a lot, so chains that disagree give a large error,
 * which a formula from one autocorrelation estimate would miss. Needs ≥ 2 chains of ≥ 4 draws (throws otherwise).
 */
export function effectiveSampleSizeStderr(
  chains: readonly (readonly number[] | Float64Array | Float32Array)[],
  options: EffectiveSampleSizeOptions = {},
): number {
  const c = toChains(chains, 'chains', 4);
  const m = c.length;
  if (m < 2)
    throw new BoltzflowError('INVALID_SHAPE', 'The jackknife over chains needs at least 2 chains', {
      argument: 'chains',
      expected: '≥ 2 chains',
      received: `${m}`,
    });
  const loo = c.map(
    (_, i) =>
      (effectiveSampleSize(
        c.filter((_, j) => j !== i),
        options,
      ) *
        m) /
      (m - 1),
  );
  return jackknifeStderr(loo);
}

/**
 * Standard error of the Kish ESS ({@link kishESS}) of independent weighted samples, by the delete-one-block jackknife
 * over `blocks` contiguous blocks (default 20): each block left out in turn, the Kish ESS rescaled by N/(N − n_b).
 * Heavy-tailed weights, where one sample dominates, give a large error. Needs ≥ 2 samples per block.
 */
export function kishESSStderr(logWeights: readonly number[] | Float64Array | Float32Array, options: { blocks?: number } = {}): number {
  const lw = toLogWeights(logWeights, 'logWeights');
  const blocks = options.blocks ?? 20;
  if (!Number.isInteger(blocks) || blocks < 2)
    throw new BoltzflowError('INVALID_VALUE', 'blocks must be an integer ≥ 2', { argument: 'blocks', expected: 'integer ≥ 2', received: `${blocks}` });
  const n = lw.length;
  if (n < 2 * blocks)
    throw new BoltzflowError('INVALID_SHAPE', 'Too few samples for the block jackknife', {
      argument: 'logWeights',
      expected: `≥ ${2 * blocks} samples (2 per block)`,
      received: `${n}`,
    });
  const loo: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const lo = Math.floor((b * n) / blocks);
    const hi = Math.floor(((b + 1) * n) / blocks);
    const kept = new Float64Array(n - (hi - lo));
    kept.set(lw.subarray(0, lo), 0);
    kept.set(lw.subarray(hi), lo);
    loo.push((kishESS(kept).ess * n) / kept.length);
  }
  return jackknifeStderr(loo);
}
