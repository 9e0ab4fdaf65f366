// The re-registered WASM Exp and Log (registerFastWasmExpLog: Cephes' expf/logf in WASM SIMD, with Math.exp/Math.log
// for the last n mod 4 elements) against Math.exp and Math.log rounded to float32, in units in the last place, on the
// active backend (wasm under the test setup; the cpu fallback checks tfjs's own kernels the same way).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { wasmSimdKernelsActive } from '../src/kernelReplacements.js';

const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/** The float32 bit pattern as a monotone integer, so that ulp distance is a difference. */
function ordinal(v: number): number {
  f32[0] = v;
  const b = bits[0]!;
  return b < 0 ? -(b & 0x7fffffff) : b;
}

/** Distance in float32 ulp between the kernel's value and the correctly rounded reference (0 for equal or both NaN). */
function ulps(got: number, want: number): number {
  if (Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)) || got === want) return 0;
  if (!Number.isFinite(got) || !Number.isFinite(want)) return Number.POSITIVE_INFINITY;
  return Math.abs(ordinal(got) - ordinal(want));
}

function worstUlps(xs: Float32Array, op: (t: tf.Tensor) => tf.Tensor, ref: (x: number) => number): number {
  const before = tf.memory().numTensors;
  const got = tf.tidy(() => op(tf.tensor1d(xs)).dataSync());
  expect(tf.memory().numTensors).toBe(before);
  let worst = 0;
  for (let i = 0; i < xs.length; i++) worst = Math.max(worst, ulps(got[i]!, Math.fround(ref(xs[i]!))));
  return worst;
}

describe('WASM exp and log kernels', () => {
  it('exp is within 1 ulp of float32(Math.exp) from underflow to overflow', () => {
    if (tf.getBackend() === 'wasm') expect(wasmSimdKernelsActive()).toBe(true);
    const n = 1 << 20;
    const xs = Float32Array.from({ length: n }, (_, i) => -110 + (200 * i) / n);
    expect(worstUlps(xs, tf.exp, Math.exp)).toBeLessThanOrEqual(1);
  });

  it('log is within 1 ulp of float32(Math.log) over every positive float32 range, subnormals included', () => {
    // Bit patterns from the smallest subnormal to just below +∞, evenly spaced: every exponent, many mantissas.
    const n = 1 << 20;
    const xs = new Float32Array(n);
    const raw = new Int32Array(xs.buffer);
    for (let i = 0; i < n; i++) raw[i] = 1 + Math.floor(((0x7f800000 - 2) * i) / n);
    expect(worstUlps(xs, tf.log, Math.log)).toBeLessThanOrEqual(1);
  });

  it('special values, in the SIMD lanes and in the JavaScript tail alike', () => {
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1, -1, 88.72, 88.73, -103.9, -104.5, 1e-45, 1e-40, 2];
    // Lengths 1–14 put every value both in a SIMD lane and in the tail.
    for (let len = 1; len <= specials.length; len++) {
      const xs = Float32Array.from(specials.slice(specials.length - len));
      const e = tf.tidy(() => tf.exp(tf.tensor1d(xs)).dataSync());
      const l = tf.tidy(() => tf.log(tf.tensor1d(xs)).dataSync());
      xs.forEach((x, i) => {
        expect(ulps(e[i]!, Math.fround(Math.exp(x)))).toBeLessThanOrEqual(1);
        expect(ulps(l[i]!, Math.fround(Math.log(x)))).toBeLessThanOrEqual(1);
      });
    }
  });

  it('lengths that are not multiples of 4 and of 16 agree in every element; gradients are dy·eˣ and dy/x', () => {
    for (const n of [1, 3, 4, 5, 15, 16, 17, 33, 1023]) {
      const xs = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 97) / 9 - 5);
      expect(worstUlps(xs, tf.exp, Math.exp)).toBeLessThanOrEqual(1);
      expect(worstUlps(Float32Array.from(xs, Math.abs), tf.log, Math.log)).toBeLessThanOrEqual(1);
    }
    const x = tf.tensor1d([0.5, -1.25, 2, 3.5, 0.01]);
    const [ge] = tf.grads((t: tf.Tensor) => tf.sum(tf.exp(t)))([x]);
    const ax = tf.abs(x);
    const [gl] = tf.grads((t: tf.Tensor) => tf.sum(tf.log(t)))([ax]);
    const xs = x.dataSync();
    // central finite differences of the float64 functions
    const h = 1e-4;
    ge!.dataSync().forEach((g, i) => expect(g).toBeCloseTo((Math.exp(xs[i]! + h) - Math.exp(xs[i]! - h)) / (2 * h), 4));
    gl!.dataSync().forEach((g, i) => {
      const a = Math.abs(xs[i]!);
      expect(Math.abs(g - (Math.log(a + h * a) - Math.log(a - h * a)) / (2 * h * a))).toBeLessThan(1e-4 * Math.abs(1 / a));
    });
    tf.dispose([x, ax, ge!, gl!]);
  });
});
