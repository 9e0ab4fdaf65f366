import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { logSumExp, logSumExpRows } from '../src/index.js';

const rows = [
  [0.3, -1.2, 2.0],
  [1000, 999, 998.5],
  [-Infinity, -Infinity, -Infinity],
  [-Infinity, 0.5, -3],
];

describe('logSumExpRows', () => {
  it('matches the float64 logsumexp per row, large values and −Infinity rows included', () => {
    const out = logSumExpRows(tf.tensor2d(rows)).arraySync();
    rows.forEach((r, i) => {
      const ref = logSumExp(r);
      if (ref === -Infinity) expect(out[i]).toBe(-Infinity);
      else expect(out[i]).toBeCloseTo(ref, 3);
    });
  });

  it('first and second derivatives are the softmax and its Jacobian (closed form), where tf.logSumExp has no second', () => {
    const a = tf.tensor2d([
      [0.3, -1.2, 2.0],
      [0.1, 0.2, -0.4],
    ]);
    const v = tf.tensor2d([
      [1, -2, 0.5],
      [0.3, 0.7, -1],
    ]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(logSumExpRows(x as tf.Tensor2D)));
    const hv = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(grad(x), v)));
    const g = grad(a).arraySync() as number[][];
    const h = hv(a).arraySync() as number[][];
    const aa = a.arraySync();
    const vv = v.arraySync();
    aa.forEach((r, i) => {
      const z = logSumExp(r);
      const p = r.map((x) => Math.exp(x - z));
      const pv = p.reduce((s, pj, j) => s + pj * vv[i][j], 0);
      p.forEach((pj, j) => {
        expect(g[i][j]).toBeCloseTo(pj, 5);
        // H v = diag(p) v − p (pᵀv)
        expect(h[i][j]).toBeCloseTo(pj * vv[i][j] - pj * pv, 5);
      });
    });
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.grad((y: tf.Tensor) => tf.sum(tf.logSumExp(y, 1)))(x), v)))(a)).toThrow(/Equal/);
  });
});
