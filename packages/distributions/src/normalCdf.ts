/**
 * Standard normal CDF Φ(z), in float64, with a relative error below 1.2·10⁻⁷ in both tails.
 *
 * Φ is computed from erfc (the Chebyshev fit of Numerical Recipes, "erfcc"), never as 1 − Φ(−z) on the small side, so
 * Φ(−10) ≈ 7.6·10⁻²⁴ keeps its digits instead of rounding to 0. Closed-form references (mode weights of Gaussian
 * mixtures cut at a threshold, ΔF of shifted Gaussians) are the intended use; it is plain JavaScript, not a tensor op.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-x * x + poly);
  return z >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}
