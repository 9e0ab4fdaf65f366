import * as tf from '@tensorflow/tfjs';
import type { Energy } from '@boltzflow/core';
import { linspace } from './util.js';

/**
 * Exact references of a 2D Boltzmann density by quadrature on a fine grid (the integrand is smooth and negligible at
 * the box edges, so the plain Riemann sum converges fast): ΔF = −ln(P(x_i > t)/P(x_i < t)) and the marginal
 * free-energy profile F(x_i) = −ln p(x_i) on `profileX`.
 */
export function quadrature2D(
  energy: Energy,
  xRange: [number, number],
  yRange: [number, number],
  n: number,
  index: number,
  threshold: number,
  profileX: number[],
): { deltaF: number; pAbove: number; profile: { x: number[]; f: number[] } } {
  const xs = linspace(xRange[0], xRange[1], n);
  const ys = linspace(yRange[0], yRange[1], n);
  const u = new Float64Array(n * n);
  const rows = 256;
  for (let j0 = 0; j0 < n; j0 += rows) {
    const jn = Math.min(rows, n - j0);
    const pts = new Float32Array(jn * n * 2);
    for (let j = 0; j < jn; j++)
      for (let i = 0; i < n; i++) {
        pts[2 * (j * n + i)] = xs[i];
        pts[2 * (j * n + i) + 1] = ys[j0 + j];
      }
    const t = tf.tensor2d(pts, [jn * n, 2]);
    const e = energy.energy(t);
    u.set(e.dataSync(), j0 * n);
    t.dispose();
    e.dispose();
  }
  let min = Infinity;
  for (const v of u) if (v < min) min = v;
  let above = 0;
  let below = 0;
  const dx = (xRange[1] - xRange[0]) / (n - 1);
  const dy = (yRange[1] - yRange[0]) / (n - 1);
  // Marginal along the chosen axis, on the grid, then interpolated at profileX.
  const marg = new Float64Array(n);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      const w = Math.exp(-(u[j * n + i] - min));
      const c = index === 0 ? xs[i] : ys[j];
      if (c > threshold) above += w;
      else if (c < threshold) below += w;
      marg[index === 0 ? i : j] += w;
    }
  const total = above + below;
  const step = index === 0 ? dy : dx;
  const axis = index === 0 ? xs : ys;
  const axisStep = index === 0 ? dx : dy;
  let z = 0;
  for (const m of marg) z += m * step * axisStep;
  const f = profileX.map((x) => {
    const k = Math.max(0, Math.min(n - 2, Math.floor((x - axis[0]) / axisStep)));
    const t = (x - axis[k]) / axisStep;
    const p = (((1 - t) * marg[k] + t * marg[k + 1]) * step) / z;
    return p > 0 ? -Math.log(p) : NaN;
  });
  const keep = f.map((v) => Number.isFinite(v));
  return { deltaF: -Math.log(above / below), pAbove: above / total, profile: { x: profileX.filter((_, i) => keep[i]), f: f.filter((_, i) => keep[i]) } };
}
