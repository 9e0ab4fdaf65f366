// filledTensor and the tensor draws built on it: on WASM the values are written into the tensor's heap memory, and
// must be exactly the numbers the host-array draws of an identically seeded stream give.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, filledTensor } from '../src/index.js';

describe('filledTensor', () => {
  it('normal/uniform tensors hold the same numbers as normalArray/uniformArray of the same stream', () => {
    const before = tf.memory().numTensors;
    const a = createRng(17);
    const b = createRng(17);
    // 10⁵ draws: ≈ 1200 rejection branches, ≈ 35 of them in the tail, interleaved with the WASM fast branch.
    for (const shape of [[5], [1000, 3], [0, 2], [7, 1, 2], [50_000, 2]]) {
      const t = a.normal(shape);
      expect(t.shape).toEqual(shape);
      expect(Array.from(t.dataSync())).toEqual(Array.from(b.normalArray(shape.reduce((p, d) => p * d, 1))));
      const u = a.uniform(shape, -2, 3);
      expect(Array.from(u.dataSync())).toEqual(
        Array.from(
          b.uniformArray(
            shape.reduce((p, d) => p * d, 1),
            -2,
            3,
          ),
        ),
      );
      tf.dispose([t, u]);
    }
    expect(a.getState()).toEqual(b.getState());
    // Scaled as it is stored: the same float32 numbers as scaling the stored draws afterwards.
    for (const scale of [0.1, Math.SQRT2 * 0.05, 3]) {
      const v = filledTensor([4001, 2], (out) => a.normalInto(out, scale));
      const want = b.normalArray(8002);
      for (let i = 0; i < want.length; i++) want[i]! *= scale;
      expect(Array.from(v.dataSync())).toEqual(Array.from(want));
      v.dispose();
    }
    expect(a.getState()).toEqual(b.getState());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes every element it is given, lives in the enclosing tidy, and frees its memory when fill throws', () => {
    const before = tf.memory().numTensors;
    const kept = tf.tidy(() => {
      const t = filledTensor([3, 4], (v) => v.forEach((_, i) => (v[i] = i * 0.5)));
      filledTensor([2], (v) => v.fill(1)); // not returned: the tidy disposes it
      return t;
    });
    expect(Array.from(kept.dataSync())).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.5));
    kept.dispose();
    const bytes = tf.memory().numBytes;
    expect(() =>
      filledTensor([10], () => {
        throw new BoltzflowError('INVALID_VALUE', 'fill failed');
      }),
    ).toThrow('fill failed');
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
  });
});
