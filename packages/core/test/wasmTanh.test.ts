// The re-registered WASM Tanh (registerFastWasmTanh: a rational evaluated in JavaScript) against Math.tanh, on the
// active backend (wasm under the test setup; the cpu fallback checks tfjs's own kernel the same way).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { rationalTanh } from '../src/kernelReplacements.js';

/** float32 grid: dense on [−10, 10], tiny and huge magnitudes, both signs. */
function grid(): Float32Array {
  const v: number[] = [];
  for (let i = -100_000; i <= 100_000; i++) v.push(i * 1e-4);
  for (let e = -38; e <= 38; e++) v.push(10 ** e, -(10 ** e), 3.3 * 10 ** e);
  return Float32Array.from(v);
}

describe('WASM tanh kernel', () => {
  it('is within 3e-7 of Math.tanh (absolute, and relative for small |x|) on float32 inputs', () => {
    const xs = grid();
    const before = tf.memory().numTensors;
    const x = tf.tensor1d(xs);
    const y = tf.tanh(x);
    const got = y.dataSync();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const t = Math.tanh(xs[i]!);
      worst = Math.max(worst, Math.abs(got[i]! - t) / Math.max(Math.abs(t), 1e-30));
    }
    expect(worst).toBeLessThan(3e-7);
    // the rational itself (what the kernel runs on wasm)
    for (const v of [0, 1e-20, -0.3, 2.5, 7.9, 8, 40])
      expect(Math.abs(rationalTanh(v) - Math.tanh(v))).toBeLessThan(3e-7 * Math.max(Math.abs(Math.tanh(v)), 1e-20));
  });

  it('keeps NaN, saturates at ±∞, and its gradient is 1 − tanh² (finite differences of Math.tanh agree)', () => {
    const y = tf.tidy(() => tf.tanh(tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0])).dataSync());
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(1);
    expect(y[2]).toBe(-1);
    expect(y[3]).toBe(0);
    const pts = [-3, -0.7, 0, 0.2, 1.5, 4];
    const g = tf.tidy(() =>
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.tanh(t)))(tf.tensor1d(pts))
        .dataSync(),
    );
    pts.forEach((p, i) => {
      const h = 1e-5;
      const fd = (Math.tanh(p + h) - Math.tanh(p - h)) / (2 * h);
      expect(Math.abs(g[i]! - fd)).toBeLessThan(2e-6);
    });
  });
});
