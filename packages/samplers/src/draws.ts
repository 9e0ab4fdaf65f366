import * as tf from '@tensorflow/tfjs';
import type { Energy } from '@boltzflow/core';
import type { Draws } from './types.js';

/** Host-side sample arrays: columns and row maps of `[kept, chains, dim]` chain draws. */

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

/** u(x) of `[n, dim]` rows (flattened) in chunks, as float64. */
export function energiesOf(energy: Energy, x: Float32Array, dim: number, chunk = 4096): Float64Array {
  const n = x.length / dim;
  const out = new Float64Array(n);
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const t = tf.tensor2d(x.subarray(s * dim, (s + m) * dim), [m, dim]);
    const u = energy.energy(t);
    out.set(u.dataSync(), s);
    tf.dispose([t, u]);
  }
  return out;
}
