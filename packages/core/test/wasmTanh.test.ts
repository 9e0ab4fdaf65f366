// The re-registered WASM Tanh (registerFastWasmTanh: a rational in WASM SIMD, float32 arithmetic, with a JavaScript
// loop for the last n mod 4 elements) against Math.tanh, on the active backend (wasm under the test setup; the cpu
// fallback checks tfjs's own kernel the same way). Lengths that are not multiples of 4 exercise both paths.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { rationalTanh, wasmSimdKernelsActive } from '../src/kernelReplacements.js';

/** float32 grid: dense on [−10, 10], tiny and huge magnitudes, both signs. */
function grid(): Float32Array {
  const v: number[] = [];
  for (let i = -100_000; i <= 100_000; i++) v.push(i * 1e-4);
  for (let e = -38; e <= 38; e++) v.push(10 ** e, -(10 ** e), 3.3 * 10 ** e);
  return Float32Array.from(v);
}

describe('WASM tanh kernel', () => {
  it('is within 4e-7 (≈ 3 float32 ulp near 1) of Math.tanh (absolute, and relative for small |x|) on float32 inputs', () => {
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
    expect(worst).toBeLessThan(4e-7);
    // the rational itself (what the kernel runs on wasm)
    for (const v of [0, 1e-20, -0.3, 2.5, 7.9, 8, 40])
      expect(Math.abs(rationalTanh(v) - Math.tanh(v))).toBeLessThan(3e-7 * Math.max(Math.abs(Math.tanh(v)), 1e-20));
  });

  it('runs the SIMD kernel on wasm, and lengths that are not multiples of 4 agree with Math.tanh in every element', () => {
    if (tf.getBackend() === 'wasm') expect(wasmSimdKernelsActive()).toBe(true);
    for (const n of [1, 2, 3, 4, 5, 7, 13]) {
      const xs = Float32Array.from({ length: n }, (_, i) => (i - 3.3) * 1.7);
      const got = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync());
      xs.forEach((v, i) => expect(Math.abs(got[i]! - Math.tanh(v))).toBeLessThan(4e-7 * Math.max(Math.abs(Math.tanh(v)), 1e-30)));
      // A [rows, 3] tensor: the kernel sees the flat length, not the shape.
      const m = tf.tidy(() =>
        tf
          .tanh(
            tf.tensor2d(
              Array.from({ length: 3 * n }, (_, i) => i / 7 - 2),
              [n, 3],
            ),
          )
          .dataSync(),
      );
      m.forEach((y, i) => expect(Math.abs(y - Math.tanh(i / 7 - 2))).toBeLessThan(4e-7));
    }
  });

  it('keeps NaN, saturates at ±∞, and its gradient is 1 − tanh² (finite differences of Math.tanh agree)', () => {
    // Five values: the first four go through the SIMD lanes, the last through the JavaScript tail.
    const y = tf.tidy(() => tf.tanh(tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, Number.NaN])).dataSync());
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(1);
    expect(y[2]).toBe(-1);
    expect(y[3]).toBe(0);
    expect(Number.isNaN(y[4])).toBe(true);
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
