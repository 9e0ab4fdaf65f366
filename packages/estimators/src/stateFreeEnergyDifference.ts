import { assertFiniteNumber } from '@boltzflow/core';
import { assertSameLength, toFloat64, toLogWeights, type SeriesLike } from './input.js';

/**
 * Free-energy difference between the two sides of a dividing surface, ΔF = −ln(P(ξ > t)/P(ξ < t)) in kT
 * (= F_above − F_below), from (optionally importance-weighted) samples of the coordinate ξ.
 * stderr by the delta method on the ratio of weighted sums: Var ≈ Var(w·1_{>}/mean(w·1_{>}) − w·1_{<}/mean(w·1_{<}))/N.
 * Samples with ξ = t count for neither side. If one side has zero weight, ΔF = ±Infinity with stderr Infinity.
 * Pass `logWeights` null for unweighted samples (the stderr then assumes independent draws; MCMC needs √τ).
 */
export function stateFreeEnergyDifference(
  coordinate: SeriesLike,
  logWeights: SeriesLike | null | undefined,
  threshold: number,
): { deltaF: number; stderr: number; pAbove: number; pBelow: number } {
  const x = toFloat64(coordinate, 'coordinate');
  assertFiniteNumber(threshold, 'threshold');
  const n = x.length;
  let w: Float64Array;
  if (logWeights !== null && logWeights !== undefined) {
    const lw = toLogWeights(logWeights, 'logWeights');
    assertSameLength(lw, x, 'logWeights', 'coordinate');
    let m = -Infinity;
    for (const v of lw) if (v > m) m = v;
    w = lw.map((v) => Math.exp(v - m));
  } else w = new Float64Array(n).fill(1);
  let sa = 0;
  let sb = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += w[i];
    if (x[i] > threshold) sa += w[i];
    else if (x[i] < threshold) sb += w[i];
  }
  const pAbove = sa / total;
  const pBelow = sb / total;
  if (sa === 0 || sb === 0) {
    return { deltaF: sa === 0 ? Infinity : -Infinity, stderr: Infinity, pAbove, pBelow };
  }
  const deltaF = -(Math.log(sa) - Math.log(sb));
  const ma = sa / n;
  const mb = sb / n;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const psi = x[i] > threshold ? w[i] / ma : x[i] < threshold ? -w[i] / mb : 0;
    s2 += psi * psi;
  }
  const stderr = n >= 2 ? Math.sqrt(s2 / (n - 1) / n) : Infinity;
  return { deltaF, stderr, pAbove, pBelow };
}
