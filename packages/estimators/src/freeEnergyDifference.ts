import { BoltzflowError, logSumExp, assertOneOf } from '@boltzflow/core';
import { logPartition } from './logPartition.js';
import { toFloat64, type SeriesLike } from './input.js';

/** Options of {@link freeEnergyDifference}. */
export interface FreeEnergyDifferenceOptions {
  /**
   * 'forward' (default): `work` holds forward works W_F of A → B, ΔF = −log mean exp(−W_F).
   * 'reverse': `work` holds reverse works W_R of B → A, ΔF = +log mean exp(−W_R).
   */
  direction?: 'forward' | 'reverse';
}

/**
 * Zwanzig / exponential-averaging (Jarzynski) estimate of ΔF = F_B − F_A in kT from work values in kT,
 * with the delta-method stderr std(e^{−W})/(√N·mean e^{−W}). Biased for finite N when the work
 * dissipation is large (dominated by rare low-work samples); prefer {@link bennettAcceptanceRatio}
 * when both directions are available.
 */
export function freeEnergyDifference(work: SeriesLike, options: FreeEnergyDifferenceOptions = {}): { deltaF: number; stderr: number } {
  const direction = options.direction ?? 'forward';
  assertOneOf(direction, ['forward', 'reverse'], 'options.direction', { code: 'INVALID_CONFIG', message: 'Unknown direction' });
  const w = toFloat64(work, 'work');
  const { logZ, stderr } = logPartition(w.map((x) => -x));
  return { deltaF: direction === 'forward' ? -logZ : logZ, stderr };
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Options of {@link bennettAcceptanceRatio}. */
export interface BennettAcceptanceRatioOptions {
  /** Absolute tolerance on ΔF (kT). Default 1e-10. */
  tolerance?: number;
  /** Maximum bisection steps. Default 200. */
  maxIterations?: number;
}

/**
 * Bennett acceptance ratio estimate of ΔF = F_B − F_A in kT from forward works W_F (A → B, in kT) and reverse
 * works W_R (B → A). Solves Σ_F f(M + W_F − ΔF) = Σ_R f(−M + W_R + ΔF) with f(x) = 1/(1 + eˣ), M = ln(N_F/N_R)
 * (Bennett 1976; Shirts et al. 2003), in log space, by bracketing and bisection in float64 (the left side minus
 * the right side is monotone in ΔF, so this always converges). Asymptotic stderr (pymbar's 'BAR' method):
 * Var = (⟨f²⟩_F/⟨f⟩_F² − 1)/N_F + (⟨f²⟩_R/⟨f⟩_R² − 1)/N_R at the solution.
 */
export function bennettAcceptanceRatio(
  forwardWork: SeriesLike,
  reverseWork: SeriesLike,
  options: BennettAcceptanceRatioOptions = {},
): { deltaF: number; stderr: number; iterations: number } {
  const wf = toFloat64(forwardWork, 'forwardWork');
  const wr = toFloat64(reverseWork, 'reverseWork');
  const tol = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 200;
  const nf = wf.length;
  const nr = wr.length;
  const m = Math.log(nf / nr);
  const logF = new Float64Array(nf);
  const logR = new Float64Array(nr);
  const fill = (df: number): void => {
    for (let i = 0; i < nf; i++) logF[i] = -softplus(m + wf[i] - df);
    for (let i = 0; i < nr; i++) logR[i] = -softplus(-m + wr[i] + df);
  };
  // increasing in ΔF: the forward sum grows, the reverse sum shrinks
  const g = (df: number): number => {
    fill(df);
    return logSumExp(logF) - logSumExp(logR);
  };
  // start from the mean of the two exponential-averaging estimates, then widen until the root is bracketed
  const start = 0.5 * (-(logSumExp(wf.map((x) => -x)) - Math.log(nf)) + (logSumExp(wr.map((x) => -x)) - Math.log(nr)));
  let step = 1;
  let lo = start - step;
  let hi = start + step;
  let glo = g(lo);
  let ghi = g(hi);
  let iterations = 0;
  while (!(glo <= 0 && ghi >= 0)) {
    if (++iterations > maxIterations) {
      throw new BoltzflowError('NOT_CONVERGED', 'BAR: could not bracket the root', { argument: 'forwardWork', received: `interval [${lo}, ${hi}]` });
    }
    step *= 2;
    if (glo > 0) {
      lo -= step;
      glo = g(lo);
    }
    if (ghi < 0) {
      hi += step;
      ghi = g(hi);
    }
  }
  let mid = 0.5 * (lo + hi);
  while (hi - lo > tol) {
    if (++iterations > maxIterations) {
      throw new BoltzflowError('NOT_CONVERGED', 'BAR: bisection did not converge', { argument: 'options.maxIterations', received: String(maxIterations) });
    }
    mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (g(mid) < 0) lo = mid;
    else hi = mid;
  }
  const deltaF = 0.5 * (lo + hi);
  fill(deltaF);
  const ratio = (lf: Float64Array): number => Math.exp(logSumExp(lf.map((x) => 2 * x)) - 2 * logSumExp(lf) + Math.log(lf.length));
  const variance = (ratio(logF) - 1) / nf + (ratio(logR) - 1) / nr;
  return { deltaF, stderr: Math.sqrt(Math.max(variance, 0)), iterations };
}
