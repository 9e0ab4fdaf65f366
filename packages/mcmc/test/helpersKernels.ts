import * as tf from '@tensorflow/tfjs';
import { energyFromFunction } from '@boltzflow/energies';
import type { Energy } from '@boltzflow/core';

/** Integrated autocorrelation time of one series (emcee: τ(M) = 1 + 2Σ_{t≤M} ρ_t, smallest M ≥ 5τ(M)). */
export function iat(x: ArrayLike<number>): number {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  const d = new Float64Array(n);
  let c0 = 0;
  for (let i = 0; i < n; i++) {
    d[i] = x[i] - mean;
    c0 += d[i] * d[i];
  }
  if (c0 === 0) return 1;
  let tau = 1;
  for (let t = 1; t < n / 2; t++) {
    let c = 0;
    for (let i = 0; i + t < n; i++) c += d[i] * d[i + t];
    tau += (2 * c) / c0;
    if (t >= 5 * tau) break;
  }
  return Math.max(tau, 1);
}

/** Mean over chains of a per-chain series, with an autocorrelation-aware standard error (pooled variance × mean τ). */
export function meanWithError(seriesPerChain: ArrayLike<number>[]): { mean: number; se: number; tau: number } {
  let sum = 0;
  let n = 0;
  for (const s of seriesPerChain) for (let i = 0; i < s.length; i++) (sum += s[i]), n++;
  const mean = sum / n;
  let v = 0;
  for (const s of seriesPerChain) for (let i = 0; i < s.length; i++) v += (s[i] - mean) ** 2;
  v /= n - 1;
  const tau = seriesPerChain.reduce((a, s) => a + iat(s), 0) / seriesPerChain.length;
  let se = Math.sqrt((v * tau) / n);
  // Independent chains also give the error directly from the spread of the chain means, whatever the autocorrelation
  // (robust when a short run underestimates τ); take the larger of the two.
  const c = seriesPerChain.length;
  if (c >= 8) {
    const means = seriesPerChain.map((s) => Array.from(s).reduce((a, b) => a + b, 0) / s.length);
    const mm = means.reduce((a, b) => a + b, 0) / c;
    const vb = means.reduce((a, b) => a + (b - mm) ** 2, 0) / (c - 1);
    se = Math.max(se, Math.sqrt(vb / c));
  }
  return { mean, se, tau };
}

/** Per-chain series of f(x) from a [kept, chains, dim] Float32Array. */
export function observable(data: Float32Array, shape: [number, number, number], f: (x: Float32Array, off: number) => number): Float64Array[] {
  const [kept, chains, dim] = shape;
  const out: Float64Array[] = [];
  for (let c = 0; c < chains; c++) {
    const s = new Float64Array(kept);
    for (let i = 0; i < kept; i++) s[i] = f(data, (i * chains + c) * dim);
    out.push(s);
  }
  return out;
}

/** Correlated 2D Gaussian N(mu, cov) as an energy. */
export const GAUSS_MU = [1, -0.5];
export const GAUSS_COV = [
  [1.0, 0.6],
  [0.6, 0.5],
];
export function correlatedGaussian(): Energy {
  const [[a, b], [, d]] = GAUSS_COV;
  const det = a * d - b * b;
  const prec = [
    [d / det, -b / det],
    [-b / det, a / det],
  ];
  return energyFromFunction(
    (x) =>
      tf.tidy(() => {
        const z = tf.sub(x, tf.tensor1d(GAUSS_MU));
        return tf.mul(tf.sum(tf.mul(tf.matMul(z, tf.tensor2d(prec)), z), 1), 0.5) as tf.Tensor1D;
      }),
    2,
    'gauss2d',
  );
}

/** 1D double well u = (x⁴ − 6x² − 0.5x) / T. */
export function doubleWell1d(T = 1): Energy {
  return energyFromFunction(
    (x) =>
      tf.tidy(() => {
        const v = tf.squeeze(x, [1]);
        return tf.div(tf.sub(tf.sub(tf.pow(v, 4), tf.mul(tf.square(v), 6)), tf.mul(v, 0.5)), T) as tf.Tensor1D;
      }),
    1,
    'dw1d',
  );
}
export const dwU = (x: number, T = 1): number => (x ** 4 - 6 * x * x - 0.5 * x) / T;

/** Trapezoid/midpoint quadrature of exp(−u) over [lo, hi] on a fine grid: bin probabilities for the given edges. */
export function exactBinProbs(u: (x: number) => number, edges: number[], lo = -6, hi = 6, n = 200000): number[] {
  const h = (hi - lo) / n;
  let umin = Infinity;
  for (let i = 0; i < n; i++) umin = Math.min(umin, u(lo + (i + 0.5) * h));
  let z = 0;
  const p = new Array<number>(edges.length - 1).fill(0);
  for (let i = 0; i < n; i++) {
    const x = lo + (i + 0.5) * h;
    const w = Math.exp(-(u(x) - umin)) * h;
    z += w;
    for (let b = 0; b < edges.length - 1; b++) if (x >= edges[b] && x < edges[b + 1]) p[b] += w;
  }
  return p.map((v) => v / z);
}

/** Wilson–Hilferty upper quantile of χ²_k at standard-normal level z. */
export function chi2Quantile(k: number, z: number): number {
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

/**
 * Histogram check of a 1D marginal: per-bin indicator means vs the exact probabilities with autocorrelation-aware
 * standard errors; returns the largest |z| and χ² = Σ z².
 */
export function histogramCheck(series: Float64Array[], edges: number[], exact: number[]): { maxZ: number; chi2: number; bins: number } {
  let maxZ = 0;
  let chi2 = 0;
  let bins = 0;
  for (let b = 0; b < edges.length - 1; b++) {
    const ind = series.map((s) => s.map((v) => (v >= edges[b] && v < edges[b + 1] ? 1 : 0)));
    const { mean, se } = meanWithError(ind);
    // floor the error by the exact binomial one so that a bin never visited does not give se = 0
    const n = series.reduce((a, s) => a + s.length, 0);
    const s = Math.max(se, Math.sqrt((exact[b] * (1 - exact[b])) / n));
    const z = (mean - exact[b]) / s;
    maxZ = Math.max(maxZ, Math.abs(z));
    chi2 += z * z;
    bins++;
  }
  return { maxZ, chi2, bins };
}
