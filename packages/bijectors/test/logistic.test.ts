import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { bijectorFromConfig, LogisticMixtureCDF } from '../src/index.js';
import { runBijectorSuite, expectBoltzflowError } from './bijectorSuite.js';

runBijectorSuite('LogisticMixtureCDF', () => new LogisticMixtureCDF({ dim: 3, components: 4, rng: createRng(21) }), {
  dim: 3,
  fromConfig: bijectorFromConfig,
  checkBadInput: true,
});

/** Independent float64 reference of y = logit(Σ π σ((x − μ)/s)) for one dimension, from the raw parameters. */
function reference(x: number, logits: number[], means: number[], logScales: number[]): number {
  const mx = Math.max(...logits);
  const w = logits.map((l) => Math.exp(l - mx));
  const tot = w.reduce((a, b) => a + b, 0);
  let u = 0;
  let v = 0; // 1 − u, accumulated separately for the right tail
  for (let k = 0; k < logits.length; k++) {
    const z = (x - means[k]) / Math.exp(logScales[k]);
    u += w[k] / tot / (1 + Math.exp(-z));
    v += w[k] / tot / (1 + Math.exp(z));
  }
  return Math.log(u) - Math.log(v);
}

function params(b: LogisticMixtureCDF): { l: number[][]; m: number[][]; s: number[][] } {
  return { l: b.logits.arraySync(), m: b.means.arraySync(), s: b.logScales.arraySync() };
}

describe('LogisticMixtureCDF', () => {
  it('forward matches a float64 reference and its logDet matches the autodiff derivative', () => {
    const b = new LogisticMixtureCDF({ dim: 2, components: 3, rng: createRng(1) });
    const x = tf.mul(createRng(2).normal([20, 2]), 3) as tf.Tensor2D;
    const { y, logDet } = b.forward(x);
    const dydx = tf.grad((xx: tf.Tensor) => tf.sum(b.forward(xx as tf.Tensor2D).y))(x);
    const ref = tf.sum(tf.log(dydx), 1);
    expect(tf.max(tf.abs(tf.sub(ref, logDet))).dataSync()[0]).toBeLessThan(1e-4);
    const p = params(b);
    const xv = x.arraySync();
    const yv = y.arraySync();
    xv.forEach((row, r) =>
      row.forEach((xi, i) => expect(Math.abs(yv[r][i] - reference(xi, p.l[i], p.m[i], p.s[i]))).toBeLessThan(1e-5 * (1 + Math.abs(yv[r][i])))),
    );
    tf.dispose([x, y, logDet, dydx, ref]);
    b.dispose();
  });

  it('inverse brackets the float64 root within 1e-6·max(1,|x|) plus float32 rounding, including the tails', () => {
    const b = new LogisticMixtureCDF({ dim: 2, components: 5, rng: createRng(3) });
    const yv = [-30, -12, -4, -1, -0.1, 0, 0.3, 2, 7, 15, 30];
    const y = tf.tensor2d(
      yv.flatMap((t) => [t, -t]),
      [yv.length, 2],
    );
    const x = b.inverse(y).x.arraySync();
    const p = params(b);
    x.forEach((row, r) =>
      row.forEach((xi, i) => {
        const t = i === 0 ? yv[r] : -yv[r];
        // Half an ulp of float32 at xi plus the solver tolerance.
        const delta = 1e-6 * Math.max(1, Math.abs(xi)) + Math.abs(xi) * 2 ** -24;
        expect(reference(xi - delta, p.l[i], p.m[i], p.s[i])).toBeLessThan(t);
        expect(reference(xi + delta, p.l[i], p.m[i], p.s[i])).toBeGreaterThan(t);
      }),
    );
    y.dispose();
    b.dispose();
  });

  it('the implicit gradient of the inverse w.r.t. y and every parameter matches central finite differences', () => {
    const b = new LogisticMixtureCDF({ dim: 2, components: 3, rng: createRng(5) });
    const y = tf.tensor2d([
      [0.7, -1.3],
      [2.5, 0.2],
      [-4, 6],
    ]);
    // Scalar objective with distinct weights per element so that every entry matters.
    const wts = tf.tensor2d([
      [1, -0.5],
      [0.3, 2],
      [-1.2, 0.8],
    ]);
    const objective = (yy: tf.Tensor2D) => tf.tidy(() => tf.sum(tf.mul(b.inverse(yy).x, wts)));
    const { grads } = tf.variableGrads(() => objective(y) as tf.Scalar, b.trainableVariables);
    const gy = tf.grad((yy: tf.Tensor) => objective(yy as tf.Tensor2D))(y);
    const h = 1e-2;
    const fd = (bump: (e: number) => void): number => {
      bump(h);
      const plus = objective(y).dataSync()[0];
      bump(-2 * h);
      const minus = objective(y).dataSync()[0];
      bump(h);
      return (plus - minus) / (2 * h);
    };
    for (const v of b.trainableVariables) {
      const g = grads[v.name].dataSync();
      const base = v.arraySync() as number[][];
      for (let idx = 0; idx < v.size; idx++) {
        const [r, c] = [Math.floor(idx / v.shape[1]!), idx % v.shape[1]!];
        const num = fd((e) => {
          base[r][c] += e;
          v.assign(tf.tensor2d(base));
        });
        expect(Math.abs(g[idx] - num)).toBeLessThan(2e-3 * (1 + Math.abs(num)));
      }
    }
    const yArr = y.arraySync();
    const gyv = gy.arraySync() as number[][];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 2; c++) {
        const yp = tf.tensor2d(yArr.map((row, i) => row.map((v, j) => (i === r && j === c ? v + h : v))));
        const ym = tf.tensor2d(yArr.map((row, i) => row.map((v, j) => (i === r && j === c ? v - h : v))));
        const num2 = (objective(yp).dataSync()[0] - objective(ym).dataSync()[0]) / (2 * h);
        expect(Math.abs(gyv[r][c] - num2)).toBeLessThan(2e-3 * (1 + Math.abs(num2)));
        tf.dispose([yp, ym]);
      }
    }
    tf.dispose([y, wts, gy, ...Object.values(grads)]);
    b.dispose();
  });

  it('throws NOT_CONVERGED when the iteration budget is too small', () => {
    const b = new LogisticMixtureCDF({ dim: 1, components: 4, maxIterations: 1, rng: createRng(7) });
    const y = tf.tensor2d([[3.3]]);
    expect(expectBoltzflowError(() => b.inverse(y)).code).toBe('NOT_CONVERGED');
    y.dispose();
    b.dispose();
  });

  it('round-trips through toConfig/bijectorFromConfig and validates options', () => {
    const b = new LogisticMixtureCDF({ dim: 2, components: 3, maxIterations: 50, tolerance: 1e-7 });
    const c = bijectorFromConfig(JSON.parse(JSON.stringify(b.toConfig())));
    expect(c.toConfig()).toEqual(b.toConfig());
    expect(c.trainableVariables.map((v) => v.shape)).toEqual(b.trainableVariables.map((v) => v.shape));
    expect(() => new LogisticMixtureCDF({ dim: 2, components: 0 })).toThrow(/'components'/);
    expect(() => new LogisticMixtureCDF({ dim: 2, tolerance: 0 })).toThrow(/'tolerance'/);
    const nan = tf.tensor2d([[NaN, 0]]);
    expect(() => b.inverse(nan)).toThrow(/'y'/);
    nan.dispose();
    b.dispose();
    c.dispose();
  });
});
