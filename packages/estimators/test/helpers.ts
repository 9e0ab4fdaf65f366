import { createRng } from '@boltzflow/core';

/** Stationary AR(1) chain x_t = ρ x_{t−1} + √(1−ρ²) ε_t, unit variance; τ = (1+ρ)/(1−ρ). */
export function ar1(n: number, rho: number, seed: number, offset = 0): Float64Array {
  const rng = createRng(seed);
  const x = new Float64Array(n);
  const s = Math.sqrt(1 - rho * rho);
  x[0] = rng.nextNormal();
  for (let t = 1; t < n; t++) x[t] = rho * x[t - 1] + s * rng.nextNormal();
  if (offset !== 0) for (let t = 0; t < n; t++) x[t] += offset;
  return x;
}

export function sampleMean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

export function sampleSd(v: ArrayLike<number>): number {
  const m = sampleMean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return Math.sqrt(s / (v.length - 1));
}

/** Composite Simpson rule of f on [a, b] with an even number of intervals. */
export function simpson(f: (x: number) => number, a: number, b: number, intervals = 4000): number {
  const h = (b - a) / intervals;
  let s = f(a) + f(b);
  for (let i = 1; i < intervals; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}
