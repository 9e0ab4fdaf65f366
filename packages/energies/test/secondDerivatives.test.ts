// Energies that SNF MALA/Langevin blocks differentiate twice: the Hessian-vector product by autodiff of the gradient
// against a float64 central-difference Hessian of the same energy written in plain JavaScript.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { GaussianMixtureEnergy, MuellerBrown } from '../src/index.js';

/** H·v by central differences of a float64 energy f at x (step h). */
function fdHessianVector(f: (x: number[]) => number, x: number[], v: number[], h = 1e-4): number[] {
  const d = x.length;
  const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      const at = (si: number, sj: number) => {
        const y = [...x];
        y[i] += si * h;
        y[j] += sj * h;
        return f(y);
      };
      hess[i][j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h);
    }
  return hess.map((row) => row.reduce((s, hij, j) => s + hij * v[j], 0));
}

/** H·v by autodiff: ∇ₓ (∇u(x) · v). */
function autodiffHessianVector(energy: { energy(x: tf.Tensor2D): tf.Tensor1D }, x: number[], v: number[]): number[] {
  const vt = tf.tensor2d([v]);
  const grad = tf.grad((y: tf.Tensor) => tf.sum(energy.energy(y as tf.Tensor2D)));
  const hv = tf.grad((y: tf.Tensor) => tf.sum(tf.mul(grad(y), vt)));
  return (hv(tf.tensor2d([x])).arraySync() as number[][])[0];
}

describe('second derivatives of energies with exp and logsumexp', () => {
  it('Gaussian mixture: autodiff H·v matches float64 finite differences (tf.logSumExp would throw on Equal)', () => {
    const e = new GaussianMixtureEnergy({
      means: [
        [-1, 0.5],
        [1.5, -0.3],
        [0.2, 2],
      ],
      scale: [0.8, 1.2, 0.6],
      weights: [0.2, 0.5, 0.3],
    });
    const u = (x: number[]) => {
      const terms = e.means.map((m, k) => {
        const s = e.scales[k];
        const r2 = m.reduce((acc, mi, i) => acc + (x[i] - mi) ** 2, 0);
        return Math.log(e.weights[k]) - r2 / (2 * s * s) - x.length * Math.log(s * Math.sqrt(2 * Math.PI));
      });
      const mx = Math.max(...terms);
      return -(mx + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - mx), 0)));
    };
    for (const [x, v] of [
      [
        [0.1, 0.2],
        [1, -0.5],
      ],
      [
        [-0.8, 1.1],
        [0.3, 0.9],
      ],
    ]) {
      const ad = autodiffHessianVector(e, x, v);
      const fd = fdHessianVector(u, x, v);
      ad.forEach((a, i) => expect(Math.abs(a - fd[i])).toBeLessThan(2e-3 * (1 + Math.abs(fd[i]))));
    }
  });

  it('Müller–Brown: autodiff H·v matches float64 finite differences (tf.exp alone drops the curvature term)', () => {
    const e = new MuellerBrown();
    const u = (x: number[]) => e.u(x[0], x[1]);
    for (const [x, v] of [
      [
        [-0.55, 1.44],
        [1, 0.2],
      ],
      [
        [0.1, 0.5],
        [-0.4, 1],
      ],
    ]) {
      const ad = autodiffHessianVector(e, x, v);
      const fd = fdHessianVector(u, x, v, 1e-5);
      ad.forEach((a, i) => expect(Math.abs(a - fd[i])).toBeLessThan(2e-3 * (1 + Math.abs(fd[i]))));
    }
  });
});
