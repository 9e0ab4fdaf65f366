/**
 * Float64 quadrature helpers used for the exact reference values (log Z, ΔF, free-energy profiles).
 * They run in plain JavaScript so the references do not inherit float32 error from the tensor backend.
 */

/** log ∫_lo^hi exp(logf(x)) dx by composite Simpson on `intervals` (rounded up to even) sub-intervals, stable in log space. */
export function logIntegrate(logf: (x: number) => number, lo: number, hi: number, intervals = 20000): number {
  const n = intervals % 2 === 0 ? intervals : intervals + 1;
  const h = (hi - lo) / n;
  const vals = new Float64Array(n + 1);
  let m = -Infinity;
  for (let i = 0; i <= n; i++) {
    vals[i] = logf(lo + i * h);
    if (vals[i] > m) m = vals[i];
  }
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * Math.exp(vals[i] - m);
  }
  return m + Math.log((s * h) / 3);
}

/**
 * Symmetric half-width L such that u(±L) exceeds min u by at least `margin` kT, so that [−L, L] holds all but
 * a negligible (≈ e^−margin) part of the mass of exp(−u) for a confining 1D potential.
 */
export function confiningHalfWidth(u: (x: number) => number, margin = 60, start = 4): number {
  let umin = Infinity;
  let L = start;
  for (let iter = 0; iter < 60; iter++) {
    umin = Infinity;
    const steps = 2000;
    for (let i = 0; i <= steps; i++) umin = Math.min(umin, u(-L + (2 * L * i) / steps));
    if (u(L) - umin > margin && u(-L) - umin > margin) return L;
    L *= 1.5;
  }
  return L;
}
