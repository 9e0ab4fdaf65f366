import { assertPositive, BoltzflowError } from '@boltzflow/core';
import { autocorrelationOf } from './autocorrelation.js';
import { toChains, type ChainsLike } from './input.js';

/** Options of {@link integratedAutocorrTime}. */
export interface IntegratedAutocorrTimeOptions {
  /** Window constant: the window M is the smallest lag with M ≥ c·τ̂(M). Default 5 (emcee, Sokal). */
  c?: number;
  /** The estimate is flagged unreliable when the chain length N < tol·τ̂. Default 50 (emcee). */
  tol?: number;
}

/** Result of {@link integratedAutocorrTime}. */
export interface IntegratedAutocorrTimeResult {
  /** τ̂ = τ̂(window) = 2 Σ_{t≤M} ρ̂_t − 1, in steps. */
  tau: number;
  /** The automatic window M. */
  window: number;
  /** N ≥ tol·τ̂ (emcee's "chain is long enough" check) and a window satisfying M ≥ c·τ̂(M) was found. */
  reliable: boolean;
  /** Draws per chain N. */
  n: number;
  /** Number of chains averaged. */
  chains: number;
}

/**
 * Integrated autocorrelation time with the emcee/Sokal automatic window:
 * τ̂(M) = 2·Σ_{t=0}^{M} ρ̂_t − 1, window M = smallest lag with M ≥ c·τ̂(M) (emcee's `auto_window`).
 * For several chains the normalised autocorrelation functions are averaged over chains first, as emcee does
 * (this assumes the chains sample the same distribution).
 * When no lag satisfies the window condition, window = N − 1 and `reliable` is false.
 */
export function integratedAutocorrTime(series: ChainsLike, options: IntegratedAutocorrTimeOptions = {}): IntegratedAutocorrTimeResult {
  const c = options.c ?? 5;
  const tol = options.tol ?? 50;
  assertPositive(c, 'options.c');
  assertPositive(tol, 'options.tol');
  const chains = toChains(series, 'series', 2);
  const n = chains[0].length;
  const f = new Float64Array(n);
  chains.forEach((ch, i) => {
    const rho = autocorrelationOf(ch, chains.length === 1 ? 'series' : `series[${i}]`);
    for (let t = 0; t < n; t++) f[t] += rho[t];
  });
  let cum = 0;
  let window = -1;
  let tau = NaN;
  for (let m = 0; m < n; m++) {
    cum += f[m] / chains.length;
    const tauM = 2 * cum - 1;
    if (m >= c * tauM) {
      window = m;
      tau = tauM;
      break;
    }
    tau = tauM;
  }
  const found = window >= 0;
  if (!found) window = n - 1;
  if (!Number.isFinite(tau)) throw new BoltzflowError('NOT_CONVERGED', 'Integrated autocorrelation time is not finite', { argument: 'series' });
  return { tau, window, reliable: found && n >= tol * tau, n, chains: chains.length };
}
