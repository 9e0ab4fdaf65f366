import { normalizedWeights } from '@boltzflow/estimators';
import type { Draws } from '@boltzflow/samplers';

/** An isotropic Gaussian mixture's components, as the gmm-40 energy describes them. */
export interface MixtureComponents {
  means: number[][];
  scales: number[];
  /** Unnormalised component weights. */
  weights: number[];
}

/** Each component's estimated population against its exact weight. */
export interface ComponentPopulations {
  /** Estimated population of each component (self-normalised weights, or draw fractions for chains). */
  p: number[];
  /** Exact normalised weights. */
  exact: number[];
  /** Components holding at least a tenth of their exact weight (a mode visited by a stray sample is not found). */
  found: number;
  /** Components whose population is within ±30 % of the exact weight (issue #15's gmm-40 target). */
  within30Percent: number;
  /** Largest |p̂ₖ / wₖ − 1| over the components. */
  maxRelativeError: number;
}

/**
 * Populations of a Gaussian mixture's components from samples: each sample goes to the component of largest
 * responsibility (for gmm-40's well-separated modes, to the mode it sits in), weighted by its self-normalised importance
 * weight where `logWeights` is given (equal weights for MCMC draws, all chains pooled).
 */
export function componentPopulations(d: Draws, mixture: MixtureComponents, logWeights?: ArrayLike<number>): ComponentPopulations {
  const [a, b, dim] = d.shape;
  const n = a * b;
  const k = mixture.means.length;
  const wSum = mixture.weights.reduce((s, v) => s + v, 0);
  const exact = mixture.weights.map((v) => v / wSum);
  const logPrior = exact.map((w, j) => Math.log(w) - dim * Math.log(mixture.scales[j]));
  // Self-normalised weights by the estimators' one implementation (a −∞ log weight carries no mass).
  const weights = logWeights ? normalizedWeights(Float64Array.from(logWeights)) : undefined;
  const mass = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    let best = 0;
    let bestLog = -Infinity;
    for (let j = 0; j < k; j++) {
      let r2 = 0;
      for (let c = 0; c < dim; c++) r2 += (d.data[i * dim + c] - mixture.means[j][c]) ** 2;
      const l = logPrior[j] - (0.5 * r2) / mixture.scales[j] ** 2;
      if (l > bestLog) {
        bestLog = l;
        best = j;
      }
    }
    mass[best] += w;
    total += w;
  }
  const p = Array.from(mass, (v) => (total > 0 ? v / total : 0));
  let within30Percent = 0;
  let maxRelativeError = 0;
  for (let j = 0; j < k; j++) {
    const rel = Math.abs(p[j] / exact[j] - 1);
    if (rel <= 0.3) within30Percent++;
    maxRelativeError = Math.max(maxRelativeError, rel);
  }
  return { p, exact, found: p.filter((v, j) => v >= 0.1 * exact[j]).length, within30Percent, maxRelativeError };
}
