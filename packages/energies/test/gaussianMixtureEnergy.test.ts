import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { GaussianMixtureEnergy, energyGrad } from '../src/index.js';
import { fdGrad, leakCount, rows } from './helpers.js';

/** Trapezoid ∫∫ exp(−u) over a box by batched energy evaluation. */
function massOf(e: GaussianMixtureEnergy, lo: number, hi: number, h: number): number {
  const m = Math.round((hi - lo) / h);
  let s = 0;
  for (let i = 0; i <= m; i++) {
    const pts: number[][] = [];
    for (let j = 0; j <= m; j++) pts.push([lo + i * h, lo + j * h]);
    const x = tf.tensor2d(pts);
    const u = e.energy(x);
    const v = u.dataSync();
    for (let j = 0; j <= m; j++) s += (i === 0 || i === m ? 0.5 : 1) * (j === 0 || j === m ? 0.5 : 1) * Math.exp(-v[j]);
    tf.dispose([x, u]);
  }
  return s * h * h;
}

describe('GaussianMixtureEnergy', () => {
  const small = () =>
    new GaussianMixtureEnergy({
      means: [
        [-2, 0],
        [1, 1],
        [3, -2],
      ],
      scale: [0.7, 1, 0.5],
      weights: [1, 2, 1],
    });

  it('matches −log Σ w N(x; μ, σ²I) computed in the test, and exp(−u) integrates to 1', () => {
    const e = small();
    const ref = (p: number[]): number => {
      let s = 0;
      const mus = [
        [-2, 0],
        [1, 1],
        [3, -2],
      ];
      const sds = [0.7, 1, 0.5];
      const ws = [0.25, 0.5, 0.25];
      for (let k = 0; k < 3; k++) {
        const q = ((p[0] - mus[k][0]) ** 2 + (p[1] - mus[k][1]) ** 2) / sds[k] ** 2;
        s += (ws[k] * Math.exp(-0.5 * q)) / (2 * Math.PI * sds[k] ** 2);
      }
      return -Math.log(s);
    };
    const pts = rows(createRng(1).normal([10, 2]).mul(2));
    const x = tf.tensor2d(pts);
    const u = e.energy(x).arraySync() as number[];
    pts.forEach((p, i) => expect(u[i]).toBeCloseTo(ref(p), 3));
    const g = rows(energyGrad(e, x));
    pts.forEach((p, i) => fdGrad(ref, p).forEach((v, k) => expect(Math.abs(g[i][k] - v)).toBeLessThan(2e-3 * (1 + Math.abs(v)))));
    expect(massOf(e, -8, 8, 0.1)).toBeCloseTo(1, 4);
    expect(e.logZ()).toBe(0);
    tf.dispose(x);
    e.dispose();
  });

  it('GMM-40 preset: 40 modes in [−40, 40]², σ = softplus(1), normalised, seeded', () => {
    const e = GaussianMixtureEnergy.gmm40(createRng(0));
    expect(e.components).toBe(40);
    expect(e.scales[0]).toBeCloseTo(1.3133, 4);
    expect(e.means.flat().every((v) => v >= -40 && v <= 40)).toBe(true);
    expect(GaussianMixtureEnergy.gmm40(0).means).toEqual(e.means);
    expect(GaussianMixtureEnergy.gmm40(1).means).not.toEqual(e.means);
    expect(JSON.parse(JSON.stringify(e.toJSON())).means).toEqual(e.means);
    expect(massOf(e, -47, 47, 0.25)).toBeCloseTo(1, 3);
    e.dispose();
  });

  it('exact samples have the mixture mean', () => {
    const e = small();
    const n = 10000;
    const s = e.sample(n, createRng(4));
    const v = s.arraySync() as number[][];
    const mean = [0, 1].map((d) => v.reduce((acc, r) => acc + r[d], 0) / n);
    const ws = [0.25, 0.5, 0.25];
    const mus = [
      [-2, 0],
      [1, 1],
      [3, -2],
    ];
    const sds = [0.7, 1, 0.5];
    for (let d = 0; d < 2; d++) {
      const mu = ws.reduce((acc, w, k) => acc + w * mus[k][d], 0);
      const second = ws.reduce((acc, w, k) => acc + w * (sds[k] ** 2 + mus[k][d] ** 2), 0);
      expect(Math.abs(mean[d] - mu)).toBeLessThan(5 * Math.sqrt((second - mu * mu) / n));
    }
    s.dispose();
    e.dispose();
  });

  it('rejects bad input and does not leak', () => {
    expect(() => new GaussianMixtureEnergy({ means: [[0, 0]], scale: 0 })).toThrow(/'scale'/);
    expect(() => new GaussianMixtureEnergy({ means: [[0, 0], [1]] })).toThrow(/'means\[1\]'/);
    expect(() => new GaussianMixtureEnergy({ means: [[0, NaN]] })).toThrow(/'means\[0\]'/);
    expect(() => new GaussianMixtureEnergy({ means: [[0, 0]], weights: [-1] })).toThrow(/'weights'/);
    const e = small();
    const bad = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => e.energy(bad)).toThrow(/'x'/);
    const x = tf.ones([4, 2]) as tf.Tensor2D;
    expect(leakCount(() => tf.dispose([e.energy(x), energyGrad(e, x)]))).toBe(0);
    tf.dispose([bad, x]);
    e.dispose();
  });
});
