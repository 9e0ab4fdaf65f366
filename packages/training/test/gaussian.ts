import * as tf from '@tensorflow/tfjs';
import type { Energy, Rng } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';

/** `n` draws of N(mean, cov) (2×2 or 1×1 covariance), via the Cholesky factor, as a tensor and a host array. */
export function gaussianData(n: number, mean: number[], cov: number[][], rng: Rng): { x: tf.Tensor2D; host: number[][] } {
  const d = mean.length;
  const z = rng.normalArray(n * d);
  const c = cholesky(cov);
  const host: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = mean.map((m, a) => m + c[a].reduce((s, cab, b) => s + cab * z[i * d + b], 0));
    host.push(row);
  }
  const x = tf.tensor2d(host, [n, d], 'float32');
  // Use the float32-rounded values for the closed form, exactly what the flow sees.
  const rounded = x.arraySync();
  return { x, host: rounded };
}

export function cholesky(a: number[][]): number[][] {
  const d = a.length;
  const l = Array.from({ length: d }, () => new Array(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  }
  return l;
}

/** Closed-form Gaussian MLE: sample mean and biased (1/N) covariance. */
export function gaussianMLE(x: number[][]): { mean: number[]; cov: number[][] } {
  const n = x.length;
  const d = x[0].length;
  const mean = new Array(d).fill(0);
  for (const r of x) r.forEach((v, i) => (mean[i] += v / n));
  const cov = Array.from({ length: d }, () => new Array(d).fill(0));
  for (const r of x) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i][j] += ((r[i] - mean[i]) * (r[j] - mean[j])) / n;
  return { mean, cov };
}

export function inverse(a: number[][]): number[][] {
  if (a.length === 1) return [[1 / a[0][0]]];
  const det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
  return [
    [a[1][1] / det, -a[0][1] / det],
    [-a[1][0] / det, a[0][0] / det],
  ];
}

export function det(a: number[][]): number {
  return a.length === 1 ? a[0][0] : a[0][0] * a[1][1] - a[0][1] * a[1][0];
}

/** Mean negative log-density of rows `x` under N(mean, cov). */
export function gaussianNLL(x: number[][], mean: number[], cov: number[][]): number {
  const p = inverse(cov);
  const d = mean.length;
  const c = 0.5 * Math.log(Math.pow(2 * Math.PI, d) * det(cov));
  let s = 0;
  for (const r of x) {
    const e = r.map((v, i) => v - mean[i]);
    let q = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += e[i] * p[i][j] * e[j];
    s += 0.5 * q + c;
  }
  return s / x.length;
}

/** KL(N(m1, S1) ‖ N(m2, S2)). */
export function gaussianKL(m1: number[], s1: number[][], m2: number[], s2: number[][]): number {
  const p2 = inverse(s2);
  const d = m1.length;
  let tr = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) tr += p2[i][j] * s1[j][i];
  const dm = m2.map((v, i) => v - m1[i]);
  let q = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += dm[i] * p2[i][j] * dm[j];
  return 0.5 * (tr + q - d + Math.log(det(s2) / det(s1)));
}

/** u(x) = ½ (x − μ)ᵀ Σ⁻¹ (x − μ) (2×2 or 1×1 Σ); its log Z is ½ log det(2πΣ). */
export function gaussianEnergy(mu: number[], sigma: number[][]): Energy {
  const P = tf.keep(tf.tensor2d(inverse(sigma)));
  const m = tf.keep(tf.tensor1d(mu));
  return energyFromFunction(
    (x) =>
      tf.tidy(() => {
        const e = tf.sub(x, m);
        return tf.mul(tf.sum(tf.mul(tf.matMul(e, P), e), 1), 0.5) as tf.Tensor1D;
      }),
    mu.length,
    'gaussian',
  );
}
