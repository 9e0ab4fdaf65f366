import * as tf from '@tensorflow/tfjs';

/**
 * A 0/1 matrix `P` `[dim, k]` with `P[index[j], j] = 1`, so that `x · P = x[:, index]`.
 * Used instead of `tf.gather` because the gather gradient (UnsortedSegmentSum) is not implemented on the WASM
 * backend; products with exact 0/1 entries reproduce the selected values exactly.
 */
export function columnSelector(dim: number, index: readonly number[]): tf.Tensor2D {
  const m = new Float32Array(dim * index.length);
  index.forEach((src, j) => (m[src * index.length + j] = 1));
  return tf.tensor2d(m, [dim, index.length]);
}
