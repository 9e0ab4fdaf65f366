import { BoltzflowError, assertOneOf } from '@boltzflow/core';
import { autocovarianceOf } from './autocorrelation.js';
import { meanOf, toChains, type ChainsLike } from './input.js';
import { splitChains, zScale } from './rankNormalize.js';

/** Which ArviZ ESS flavour {@link effectiveSampleSize} computes. */
export type EssMethod = 'bulk' | 'tail' | 'mean' | 'basic';

/** Options of {@link effectiveSampleSize}. */
export interface EffectiveSampleSizeOptions {
  /**
   * 'bulk' (default, ArviZ/Stan default): split chains, rank-normalise, then the multi-chain ESS.
   * 'tail': min of the ESS of the indicators I(x ≤ q₀.₀₅) and I(x ≤ q₀.₉₅) on split chains.
   * 'mean': split chains, no rank normalisation (ESS for the mean of x).
   * 'basic': the multi-chain formula on the chains as given (no split, no ranks).
   */
  method?: EssMethod;
}

/**
 * Stan's multi-chain autocorrelation of validated chains as a function of the lag: per-chain FFT autocovariance γ̂_c(t),
 * W = mean_c γ̂_c(0)·N/(N−1), var⁺ = (N−1)/N·W + Var(chain means), ρ̂_t = 1 − (W − mean_c γ̂_c(t))/var⁺.
 */
function combinedAutocorrelation(chains: readonly Float64Array[]): (t: number) => number {
  const m = chains.length;
  const n = chains[0].length;
  const meanAcov = new Float64Array(n);
  const chainMeans = new Float64Array(m);
  chains.forEach((ch, c) => {
    const acov = autocovarianceOf(ch);
    for (let t = 0; t < n; t++) meanAcov[t] += acov[t] / m;
    chainMeans[c] = meanOf(ch);
  });
  const meanVar = (meanAcov[0] * n) / (n - 1);
  let varPlus = (meanVar * (n - 1)) / n;
  if (m > 1) {
    const mu = meanOf(chainMeans);
    let b = 0;
    for (let c = 0; c < m; c++) b += (chainMeans[c] - mu) ** 2;
    varPlus += b / (m - 1);
  }
  return (t) => 1 - (meanVar - meanAcov[t]) / varPlus;
}

/** Throws for chains without variance (their autocorrelation and ESS are undefined). */
function checkNotConstant(chains: readonly Float64Array[], argument: string): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const ch of chains)
    for (let i = 0; i < ch.length; i++) {
      if (ch[i] < lo) lo = ch[i];
      if (ch[i] > hi) hi = ch[i];
    }
  if (hi - lo < 1e-15) {
    throw new BoltzflowError('INVALID_VALUE', 'Chains are constant; their effective sample size is undefined', {
      argument,
      expected: 'non-zero variance',
      received: `all draws equal ${lo}`,
    });
  }
}

/**
 * The multi-chain autocorrelation ρ̂_t, t = 0..N−1, that {@link effectiveSampleSize} ('basic') sums: unlike one chain's
 * autocorrelation it does not decay when chains sit in different states (the between-chain variance stays in var⁺).
 * Same input as effectiveSampleSize (≥ 4 draws per chain); throws for constant chains.
 */
export function multiChainAutocorrelation(chains: ChainsLike): Float64Array {
  const c = toChains(chains, 'chains', 4);
  checkNotConstant(c, 'chains');
  const rhoAt = combinedAutocorrelation(c);
  return Float64Array.from({ length: c[0].length }, (_, t) => rhoAt(t));
}

/**
 * Stan/ArviZ multi-chain ESS of validated chains (ArviZ `_ess`): per-chain FFT autocovariance γ̂_c(t) (1/N),
 * W = mean_c γ̂_c(0)·N/(N−1), var⁺ = (N−1)/N·W + Var(chain means, ddof 1) (with ≥ 2 chains),
 * ρ̂_t = 1 − (W − mean_c γ̂_c(t))/var⁺, Geyer's initial positive sequence on pair sums made monotone,
 * τ̂ = −1 + 2Σρ̂_t (+ next even term if positive), floored at 1/log10(MN); ESS = MN/τ̂.
 */
export function essOfChains(chains: readonly Float64Array[], argument: string): number {
  const m = chains.length;
  const n = chains[0].length;
  checkNotConstant(chains, argument);
  const rhoAt = combinedAutocorrelation(chains);
  const rho = new Float64Array(n);
  let rhoEven = 1;
  rho[0] = rhoEven;
  let rhoOdd = rhoAt(1);
  rho[1] = rhoOdd;
  let t = 1;
  while (t < n - 3 && rhoEven + rhoOdd > 0) {
    rhoEven = rhoAt(t + 1);
    rhoOdd = rhoAt(t + 2);
    if (rhoEven + rhoOdd >= 0) {
      rho[t + 1] = rhoEven;
      rho[t + 2] = rhoOdd;
    }
    t += 2;
  }
  const maxT = t - 2;
  if (rhoEven > 0) rho[maxT + 1] = rhoEven;
  // Geyer's initial monotone sequence
  for (t = 1; t <= maxT - 2; t += 2) {
    if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]) {
      rho[t + 1] = (rho[t - 1] + rho[t]) / 2;
      rho[t + 2] = rho[t + 1];
    }
  }
  const total = m * n;
  let sum = 0;
  for (let k = 0; k <= maxT; k++) sum += rho[k];
  let tau = -1 + 2 * sum + (maxT + 1 < n ? rho[maxT + 1] : 0);
  tau = Math.max(tau, 1 / Math.log10(total));
  const ess = total / tau;
  if (!Number.isFinite(ess)) {
    throw new BoltzflowError('NOT_CONVERGED', 'Effective sample size is not finite', { argument });
  }
  return ess;
}

/**
 * Quantile with linear interpolation between order statistics (numpy's default, type 7; ArviZ's `_quantile`).
 * simple-statistics' `quantileSorted` uses a different convention, which would shift the tail indicator by one draw.
 */
function quantileLinear(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Effective sample size in the Stan/ArviZ manner (Vehtari et al. 2021), default 'bulk':
 * split each chain in halves, rank-normalise all draws jointly, then the multi-chain Geyer estimator
 * (formula in the package README). Accepts one chain (`number[]`, typed array,
 * `[draws]` tensor) or several equal-length chains (array of chains or `[chains, draws]` tensor); ≥ 4 draws each.
 * Returns the ESS for all draws together (compare with M·N). Throws for constant chains.
 */
export function effectiveSampleSize(chains: ChainsLike, options: EffectiveSampleSizeOptions = {}): number {
  const method = options.method ?? 'bulk';
  assertOneOf(method, ['bulk', 'tail', 'mean', 'basic'], 'options.method', { code: 'INVALID_CONFIG', message: 'Unknown ESS method' });
  const c = toChains(chains, 'chains', 4);
  switch (method) {
    case 'basic':
      return essOfChains(c, 'chains');
    case 'mean':
      return essOfChains(splitChains(c), 'chains');
    case 'bulk':
      return essOfChains(zScale(splitChains(c)), 'chains');
    case 'tail': {
      const sorted = new Float64Array(c.length * c[0].length);
      c.forEach((ch, k) => sorted.set(ch, k * ch.length));
      sorted.sort();
      const split = splitChains(c);
      const essAt = (p: number): number => {
        const q = quantileLinear(sorted, p);
        return essOfChains(
          split.map((ch) => ch.map((x) => (x <= q ? 1 : 0))),
          'chains',
        );
      };
      return Math.min(essAt(0.05), essAt(0.95));
    }
  }
}
