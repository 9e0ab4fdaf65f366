import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { distributionFromConfig, MeanFreeNormal, Normal } from '../src/index.js';

/** Orthonormal basis (columns) of {x ∈ R^(P·d) : Σᵢ xᵢ = 0}, by Gram–Schmidt on e_k − e_(last particle, same axis). */
function meanFreeBasis(P: number, d: number): number[][] {
  const D = P * d;
  const cols: number[][] = [];
  for (let p = 0; p < P - 1; p++) {
    for (let a = 0; a < d; a++) {
      const v = new Array<number>(D).fill(0);
      v[p * d + a] = 1;
      v[(P - 1) * d + a] = -1;
      for (const q of cols) {
        const dot = q.reduce((s, qi, i) => s + qi * v[i], 0);
        for (let i = 0; i < D; i++) v[i] -= dot * q[i];
      }
      const nrm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      cols.push(v.map((x) => x / nrm));
    }
  }
  return cols;
}

describe('MeanFreeNormal', () => {
  it('integrates to 1 over the subspace (P = 2, d = 1: 1D quadrature along (1, −1)/√2)', () => {
    const dist = new MeanFreeNormal({ particles: 2, spatialDim: 1, scale: 0.7 });
    const m = 4001;
    const lo = -10;
    const h = 20 / (m - 1);
    const u = Array.from({ length: m }, (_, i) => lo + i * h);
    const x = tf.tensor2d(u.map((v) => [v / Math.SQRT2, -v / Math.SQRT2]));
    const lp = dist.logProb(x).arraySync() as number[];
    const integral = lp.reduce((s, v, i) => s + Math.exp(v) * (i === 0 || i === m - 1 ? 0.5 : 1), 0) * h;
    expect(Math.abs(integral - 1)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('integrates to 1 over the subspace (P = 3, d = 1: 2D grid quadrature in an orthonormal basis)', () => {
    const dist = new MeanFreeNormal({ particles: 3, spatialDim: 1, scale: 1.3 });
    const B = meanFreeBasis(3, 1);
    const m = 201;
    const h = 16 / (m - 1);
    const rows: number[][] = [];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        const a = -8 + i * h;
        const b = -8 + j * h;
        rows.push([0, 1, 2].map((k) => a * B[0][k] + b * B[1][k]));
      }
    const x = tf.tensor2d(rows);
    const lp = dist.logProb(x).arraySync() as number[];
    const integral = lp.reduce((s, v) => s + Math.exp(v), 0) * h * h;
    expect(Math.abs(integral - 1)).toBeLessThan(1e-3);
    x.dispose();
  });

  it('equals a standard normal in (P−1)·d orthonormal coordinates and is translation invariant (P = 3, d = 2)', () => {
    const P = 3;
    const d = 2;
    const sigma = 0.8;
    const dist = new MeanFreeNormal({ particles: P, spatialDim: d, scale: sigma });
    const B = meanFreeBasis(P, d); // 4 columns in R^6
    const rng = createRng(4);
    const u = rng.normal([10, B.length]) as tf.Tensor2D;
    const basis = tf.tensor2d(B); // [4, 6]
    const x = tf.matMul(u, basis) as tf.Tensor2D;
    const ref = new Normal({ dim: B.length, scale: sigma }).logProb(u);
    const lp = dist.logProb(x);
    expect(tf.max(tf.abs(tf.sub(lp, ref))).dataSync()[0]).toBeLessThan(1e-4);
    const shifted = tf.add(x, tf.tile(tf.tensor2d([[3, -1]]), [1, P])) as tf.Tensor2D;
    const lps = dist.logProb(shifted);
    expect(tf.max(tf.abs(tf.sub(lps, lp))).dataSync()[0]).toBeLessThan(1e-4);
    tf.dispose([u, basis, x, ref, lp, shifted, lps]);
  });

  it('samples are mean-free with E‖x‖² = (P−1)·d·σ² (within 5 SE)', () => {
    const dist = new MeanFreeNormal({ particles: 4, spatialDim: 3, scale: 1.5 });
    const { x, logProb } = dist.sampleWithLogProb(3000, createRng(8));
    const com = tf.tidy(() => tf.max(tf.abs(tf.sum(tf.reshape(x, [3000, 4, 3]), 1))).dataSync()[0]);
    expect(com).toBeLessThan(1e-4);
    const sq = tf.tidy(() => tf.sum(tf.square(x), 1).arraySync() as number[]);
    const mean = sq.reduce((a, b) => a + b, 0) / sq.length;
    // ‖x‖²/σ² ~ χ²_k with k = 9: variance 2k σ⁴.
    const se = (Math.sqrt(2 * 9) * 1.5 ** 2) / Math.sqrt(sq.length);
    expect(Math.abs(mean - 9 * 1.5 ** 2)).toBeLessThan(5 * se);
    expect(logProb.shape).toEqual([3000]);
    tf.dispose([x, logProb]);
  });

  it('round-trips through its config and validates its arguments', () => {
    const d = new MeanFreeNormal({ particles: 4, spatialDim: 2, scale: 2 });
    const c = distributionFromConfig(JSON.parse(JSON.stringify(d.toConfig())));
    expect(c.toConfig()).toEqual(d.toConfig());
    expect(c.dim).toBe(8);
    for (const bad of [
      () => new MeanFreeNormal({ particles: 1, spatialDim: 2 }),
      () => new MeanFreeNormal({ particles: 3, spatialDim: 2, scale: -1 }),
      () => d.logProb(tf.zeros([2, 7]) as tf.Tensor2D),
    ]) {
      let err: unknown;
      try {
        bad();
      } catch (e) {
        err = e;
      }
      expect(isBoltzflowError(err)).toBe(true);
    }
  });
});
