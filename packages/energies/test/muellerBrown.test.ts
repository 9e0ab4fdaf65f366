import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError } from '@boltzflow/core';
import { MuellerBrown, energyGrad } from '../src/index.js';
import { fdGrad, leakCount, rows } from './helpers.js';

// Independent float64 re-implementation from the published table.
const A = [-200, -100, -170, 15];
const a = [-1, -1, -6.5, 0.7];
const b = [0, 0, 11, 0.6];
const c = [-10, -10, -6.5, 0.7];
const X = [1, 0, -0.5, -1];
const Y = [0, 0.5, 1.5, 1];
const mb = (p: number[]): number => {
  let s = 0;
  for (let j = 0; j < 4; j++) {
    const dx = p[0] - X[j];
    const dy = p[1] - Y[j];
    s += A[j] * Math.exp(a[j] * dx * dx + b[j] * dx * dy + c[j] * dy * dy);
  }
  return s;
};

/** Newton's method on ∇u with a finite-difference Hessian, float64. */
function minimise(f: (p: number[]) => number, start: number[]): number[] {
  let p = [...start];
  for (let it = 0; it < 100; it++) {
    const g = fdGrad(f, p, 1e-6);
    const h = 1e-5;
    const H = [0, 1].map((i) => {
      const pp = [...p];
      const pm = [...p];
      pp[i] += h;
      pm[i] -= h;
      const gp = fdGrad(f, pp, 1e-6);
      const gm = fdGrad(f, pm, 1e-6);
      return [0, 1].map((k) => (gp[k] - gm[k]) / (2 * h));
    });
    const det = H[0][0] * H[1][1] - H[0][1] * H[1][0];
    const step = [(H[1][1] * g[0] - H[0][1] * g[1]) / det, (-H[1][0] * g[0] + H[0][0] * g[1]) / det];
    p = [p[0] - step[0], p[1] - step[1]];
    if (Math.hypot(step[0], step[1]) < 1e-12) break;
  }
  return p;
}

describe('MuellerBrown', () => {
  it('matches the published formula, and k scales it', () => {
    const pts = [
      [-0.5, 1.5],
      [0.6, 0.03],
      [0, 0.5],
      [-1, 1],
      [0.3, 0.3],
    ];
    const x = tf.tensor2d(pts);
    const u1 = new MuellerBrown().energy(x).arraySync() as number[];
    const u01 = MuellerBrown.boltzmannGenerator().energy(x).arraySync() as number[];
    pts.forEach((p, i) => {
      expect(Math.abs(u1[i] - mb(p))).toBeLessThan(1e-3 * (1 + Math.abs(mb(p))));
      expect(Math.abs(u01[i] - 0.1 * mb(p))).toBeLessThan(1e-4 * (1 + Math.abs(mb(p))));
    });
    tf.dispose(x);
  });

  it('has the three known minima (found by Newton in the test) with vanishing gradient', () => {
    const e = new MuellerBrown();
    const starts = [
      [-0.55, 1.45],
      [0.62, 0.03],
      [-0.05, 0.47],
    ];
    const published = [-146.7, -108.17, -80.77];
    const minima = starts.map((s) => minimise(mb, s));
    minima.forEach((m, i) => expect(mb(m)).toBeCloseTo(published[i], 1));
    const x = tf.tensor2d(minima);
    const u = e.energy(x).arraySync() as number[];
    const g = rows(energyGrad(e, x));
    minima.forEach((_, i) => {
      expect(Math.abs(u[i] - published[i])).toBeLessThan(0.01);
      // float32 gradient at the minimum: small compared with the curvature scale (~10³)
      expect(Math.hypot(g[i][0], g[i][1])).toBeLessThan(0.05);
    });
    tf.dispose(x);
  });

  it('autodiff gradient matches float64 finite differences', () => {
    const e = new MuellerBrown();
    const pts = [
      [-0.8, 0.6],
      [0.2, 0.9],
      [0.5, 0.1],
      [-1.2, 1.7],
    ];
    const x = tf.tensor2d(pts);
    const g = rows(energyGrad(e, x));
    pts.forEach((p, i) => fdGrad(mb, p).forEach((v, k) => expect(Math.abs(g[i][k] - v)).toBeLessThan(2e-3 * (1 + Math.abs(v)))));
    tf.dispose(x);
  });

  it('rejects bad input and does not leak', () => {
    expect(() => new MuellerBrown({ k: 0 })).toThrow(/'k'/);
    const e = new MuellerBrown();
    const bad = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => e.energy(bad)).toThrow(BoltzflowError);
    const x = tf.ones([3, 2]) as tf.Tensor2D;
    expect(leakCount(() => tf.dispose([e.energy(x), energyGrad(e, x)]))).toBe(0);
    tf.dispose([bad, x]);
  });
});
