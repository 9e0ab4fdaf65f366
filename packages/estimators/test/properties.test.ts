import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { autocovariance, kishESS, logPartition, normalizedWeights, selfNormalizedEstimate, splitRHat } from '../src/index.js';

const finite = fc.double({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true });

describe('properties', () => {
  it('FFT autocovariance equals the direct sum for arbitrary series', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 70 }), (x) => {
        const n = x.length;
        const m = x.reduce((s, v) => s + v, 0) / n;
        const acov = autocovariance(x);
        for (let t = 0; t < n; t++) {
          let s = 0;
          for (let i = 0; i + t < n; i++) s += (x[i] - m) * (x[i + t] - m);
          expect(Math.abs(acov[t] - s / n)).toBeLessThan(1e-9 * (1 + Math.abs(acov[0])));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('weights: normalised to 1, invariant to a constant shift, 1 ≤ Kish ESS ≤ N', () => {
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 50 }), fc.double({ min: -500, max: 500, noNaN: true }), (lw, shift) => {
        const w = normalizedWeights(lw);
        expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
        const k = kishESS(lw);
        expect(k.ess).toBeGreaterThanOrEqual(1 - 1e-9);
        expect(k.ess).toBeLessThanOrEqual(lw.length * (1 + 1e-9));
        const shifted = lw.map((v) => v + shift);
        expect(kishESS(shifted).ess).toBeCloseTo(k.ess, 8);
        expect(logPartition(shifted).logZ - logPartition(lw).logZ).toBeCloseTo(shift, 8);
        const f = lw.map((_, i) => i);
        expect(selfNormalizedEstimate(f, shifted).estimate).toBeCloseTo(selfNormalizedEstimate(f, lw).estimate, 8);
      }),
      { numRuns: 100 },
    );
  });

  it('split R̂ is invariant under increasing affine maps and never NaN', () => {
    const int = fc.integer({ min: -20, max: 20 });
    fc.assert(
      fc.property(fc.array(fc.array(int, { minLength: 8, maxLength: 8 }), { minLength: 2, maxLength: 4 }), (chains) => {
        fc.pre(new Set(chains.flat()).size > 1);
        const r = splitRHat(chains);
        expect(Number.isNaN(r)).toBe(false);
        expect(r).toBeGreaterThan(0.5);
        const t = splitRHat(chains.map((c) => c.map((v) => 3 * v + 1)));
        if (Number.isFinite(r)) expect(t).toBeCloseTo(r, 10);
        else expect(t).toBe(r);
      }),
      { numRuns: 80 },
    );
    // x = median ± 1: folded draws constant, bulk R̂ still defined
    expect(
      splitRHat([
        [-1, 1, -1, 1],
        [1, -1, 1, -1],
      ]),
    ).toBeGreaterThan(0);
  });

  it('reading tensors leaks nothing and never disposes the inputs', () => {
    const lw = tf.tensor1d([0, -1, -2, -3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      kishESS(lw);
      logPartition(lw);
      selfNormalizedEstimate(lw, lw);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(lw.isDisposed).toBe(false);
    lw.dispose();
  });
});
