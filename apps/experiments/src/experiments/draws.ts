import type { Rng } from '@boltzflow/core';
import type { Draws } from './samplerMetrics.js';

/** Host-side sample arrays: columns and row maps of `[kept, chains, dim]` chain draws, and grid-exact 2D samples. */

/** Column `j` of each chain of `[kept, chains, dim]` draws. */
export function chainColumns(d: Draws, j: number): Float64Array[] {
  const [kept, chains, dim] = d.shape;
  return Array.from({ length: chains }, (_, c) => {
    const out = new Float64Array(kept);
    for (let i = 0; i < kept; i++) out[i] = d.data[(i * chains + c) * dim + j];
    return out;
  });
}

/** Applies `f` to every row of `[kept, chains, dim]` draws, giving `[kept, chains, outDim]`. */
export function mapDraws(d: Draws, outDim: number, f: (row: Float32Array, out: Float32Array) => void): Draws {
  const [kept, chains, dim] = d.shape;
  const data = new Float32Array(kept * chains * outDim);
  for (let r = 0; r < kept * chains; r++) f(d.data.subarray(r * dim, (r + 1) * dim), data.subarray(r * outDim, (r + 1) * outDim));
  return { data, shape: [kept, chains, outDim] };
}

/**
 * Near-exact samples of a 2D density exp(−u) from a fine grid: a cell drawn with probability ∝ exp(−u(centre)),
 * then a uniform point in it (error of the order of the cell size). The stand-in for MCMC training data on 2D systems.
 */
export function gridSamples(u: (x: number, y: number) => number, xr: [number, number], yr: [number, number], cells: number, n: number, rng: Rng): Float32Array {
  const hx = (xr[1] - xr[0]) / cells;
  const hy = (yr[1] - yr[0]) / cells;
  const lw = new Float64Array(cells * cells);
  let m = -Infinity;
  for (let j = 0; j < cells; j++) for (let i = 0; i < cells; i++) {
    const v = -u(xr[0] + (i + 0.5) * hx, yr[0] + (j + 0.5) * hy);
    lw[j * cells + i] = v;
    if (v > m) m = v;
  }
  const cdf = new Float64Array(cells * cells);
  let acc = 0;
  for (let k = 0; k < lw.length; k++) cdf[k] = acc += Math.exp(lw[k] - m);
  const out = new Float32Array(2 * n);
  for (let s = 0; s < n; s++) {
    const t = rng.nextUniform() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    const i = lo % cells;
    const j = Math.floor(lo / cells);
    out[2 * s] = xr[0] + (i + rng.nextUniform()) * hx;
    out[2 * s + 1] = yr[0] + (j + rng.nextUniform()) * hy;
  }
  return out;
}
