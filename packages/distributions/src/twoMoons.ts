import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertNonNegative, type Rng, MAX_SAMPLES } from '@boltzflow/core';

/**
 * The two-moons data set `[n, 2]` as in sklearn's make_moons: ⌊n/2⌋ points evenly spaced on the upper unit half circle
 * (cos t, sin t), the other ⌈n/2⌉ on the lower half circle shifted by (1, −0.5), i.e. (1 − cos t, 1 − sin t − 0.5),
 * t ∈ [0, π]; rows are shuffled with `rng` (so the moon of a row is random) and N(0, noise²) is added to every coordinate.
 */
export function twoMoons(n: number, noise: number, rng: Rng): tf.Tensor2D {
  assertInteger(n, 'n', 0, MAX_SAMPLES);
  assertNonNegative(noise, 'noise');
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const pts = new Float32Array(2 * n);
  const angle = (i: number, m: number): number => (m > 1 ? (Math.PI * i) / (m - 1) : 0);
  const perm = rng.permutation(n);
  const eps = rng.normalArray(2 * n);
  for (let i = 0; i < n; i++) {
    let px: number;
    let py: number;
    if (i < nOut) {
      const t = angle(i, nOut);
      px = Math.cos(t);
      py = Math.sin(t);
    } else {
      const t = angle(i - nOut, nIn);
      px = 1 - Math.cos(t);
      py = 1 - Math.sin(t) - 0.5;
    }
    const r = perm[i];
    pts[2 * r] = px + noise * eps[2 * r];
    pts[2 * r + 1] = py + noise * eps[2 * r + 1];
  }
  return tf.tensor2d(pts, [n, 2], 'float32');
}
