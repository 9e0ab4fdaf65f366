import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { bijectorFromConfig, rationalQuadraticSpline, SplineCoupling } from '../src/index.js';
import { perturbVariables, runBijectorSuite } from './bijectorSuite.js';

runBijectorSuite(
  'SplineCoupling',
  () => perturbVariables(new SplineCoupling({ dim: 4, bins: 6, bound: 3, hidden: [16], rng: createRng(1) }), createRng(2), 0.2),
  { dim: 4, fromConfig: bijectorFromConfig, checkBadInput: true },
);
runBijectorSuite(
  'SplineCoupling (mask, tails hit)',
  () =>
    perturbVariables(
      new SplineCoupling({ dim: 3, mask: [0, 1, 0], bins: 4, bound: 1.5, hidden: [8], activation: 'tanh', rng: createRng(3) }),
      createRng(4),
      0.2,
    ),
  { dim: 3, fromConfig: bijectorFromConfig },
);

const K = 5;
const B = 2;
const rng = createRng(11);
const uw = Array.from(rng.normalArray(K));
const uh = Array.from(rng.normalArray(K));
const ud = Array.from(rng.normalArray(K - 1)).map((v) => 1.5 * v);
const MIN = 1e-3;

/** Knots computed independently in float64. */
function refKnots(u: number[]): number[] {
  const m = Math.max(...u);
  const e = u.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  const frac = e.map((v) => MIN + (1 - MIN * K) * (v / z));
  const out = [-B];
  let c = 0;
  for (let i = 0; i < K - 1; i++) {
    c += frac[i];
    out.push(2 * B * c - B);
  }
  out.push(B);
  return out;
}
const softplus = (v: number) => Math.log1p(Math.exp(v));
const refDerivs = [1, ...ud.map((v) => MIN + softplus(v + Math.log(Math.expm1(1 - MIN)))), 1];

function spline(xs: number[], inverse = false): { y: number[]; ld: number[] } {
  return tf.tidy(() => {
    const n = xs.length;
    const r = rationalQuadraticSpline(
      tf.tensor1d(xs),
      tf.tile(tf.tensor2d([uw]), [n, 1]),
      tf.tile(tf.tensor2d([uh]), [n, 1]),
      tf.tile(tf.tensor2d([ud]), [n, 1]),
      { bound: B, inverse },
    );
    return { y: Array.from(r.outputs.dataSync()), ld: Array.from(r.logAbsDet.dataSync()) };
  });
}

describe('rationalQuadraticSpline', () => {
  const xk = refKnots(uw);
  const yk = refKnots(uh);

  it('maps knots to knots with the knot derivatives', () => {
    const r = spline(xk);
    xk.forEach((_, i) => {
      expect(Math.abs(r.y[i] - yk[i])).toBeLessThan(1e-4);
      expect(Math.abs(r.ld[i] - Math.log(refDerivs[i]))).toBeLessThan(1e-3);
    });
  });

  it('is continuous at the knots and strictly monotone on a fine grid', () => {
    const eps = 1e-4;
    const r = spline([...xk.map((v) => v - eps), ...xk.map((v) => v + eps)]);
    for (let i = 0; i <= K; i++) {
      const jump = r.y[K + 1 + i] - r.y[i];
      // Slope at most max(derivative, height/width ratio) ~ a few; a jump would be O(bin height).
      expect(jump).toBeGreaterThan(0);
      expect(jump).toBeLessThan(2 * eps * 50);
    }
    const grid = Array.from({ length: 801 }, (_, i) => -B - 1 + ((2 * B + 2) * i) / 800);
    const g = spline(grid).y;
    for (let i = 1; i < g.length; i++) expect(g[i]).toBeGreaterThan(g[i - 1]);
  });

  it('is the identity with zero log-det outside [−B, B]', () => {
    const xs = [-B - 3, -B - 1e-3, B + 1e-3, B + 7];
    for (const inverse of [false, true]) {
      const r = spline(xs, inverse);
      expect(r.y).toEqual(xs.map((v) => Math.fround(v)));
      expect(r.ld).toEqual([0, 0, 0, 0]);
    }
  });

  it('log-derivative matches central finite differences, inside and across the boundary', () => {
    const h = 1e-3;
    const xs = Array.from({ length: 40 }, (_, i) => -B - 0.3 + ((2 * B + 0.6) * (i + 0.37)) / 40);
    const c = spline(xs);
    const p = spline(xs.map((v) => v + h)).y;
    const m = spline(xs.map((v) => v - h)).y;
    xs.forEach((_, i) => {
      const fd = Math.log((p[i] - m[i]) / (2 * h));
      expect(Math.abs(c.ld[i] - fd)).toBeLessThan(2e-2);
    });
  });

  it('inverse undoes forward with the negated log-det (stable quadratic root)', () => {
    const xs = Array.from({ length: 60 }, (_, i) => -B + (2 * B * (i + 0.5)) / 60);
    const f = spline(xs);
    const inv = spline(f.y, true);
    xs.forEach((v, i) => {
      expect(Math.abs(inv.y[i] - v)).toBeLessThan(1e-4);
      expect(Math.abs(inv.ld[i] + f.ld[i])).toBeLessThan(1e-3);
    });
  });

  it('is exactly the identity for zero parameters', () => {
    const r = tf.tidy(() => {
      const x = tf.tensor2d([[-1.3, 0.2, 4.9]]);
      const o = rationalQuadraticSpline(x, tf.zeros([1, 3, 4]), tf.zeros([1, 3, 4]), tf.zeros([1, 3, 3]), { bound: 5 });
      return [Array.from(o.outputs.dataSync()), Array.from(o.logAbsDet.dataSync())];
    });
    r[0].forEach((v, i) => expect(v).toBeCloseTo([-1.3, 0.2, 4.9][i], 5));
    r[1].forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-5));
  });

  it('rejects mismatched parameter shapes and bad options', () => {
    const bad = [
      () => rationalQuadraticSpline(tf.zeros([2]), tf.zeros([2, 3]), tf.zeros([2, 4]), tf.zeros([2, 2])),
      () => rationalQuadraticSpline(tf.zeros([2]), tf.zeros([2, 3]), tf.zeros([2, 3]), tf.zeros([2, 3])),
      () => rationalQuadraticSpline(tf.zeros([2]), tf.zeros([2, 3]), tf.zeros([2, 3]), tf.zeros([2, 2]), { bound: -1 }),
      () => rationalQuadraticSpline(tf.zeros([2]), tf.zeros([2, 3]), tf.zeros([2, 3]), tf.zeros([2, 2]), { minBinWidth: 0.5 }),
      () => new SplineCoupling({ dim: 2, bins: 0 }),
      () => new SplineCoupling({ dim: 2, bound: 0 }),
    ];
    for (const f of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isBoltzflowError(err)).toBe(true);
    }
  });

  it('the perturbed SplineCoupling used in the suite is far from the identity', () => {
    const c = perturbVariables(new SplineCoupling({ dim: 4, bins: 6, bound: 3, hidden: [16], rng: createRng(1) }), createRng(2), 0.2);
    const x = tf.mul(createRng(5).normal([64, 4]), 1.5) as tf.Tensor2D;
    const r = c.forward(x);
    expect(tf.max(tf.abs(tf.sub(r.y, x))).dataSync()[0]).toBeGreaterThan(0.1);
    expect(tf.max(tf.abs(r.logDet)).dataSync()[0]).toBeGreaterThan(0.1);
  });

  it('SplineCoupling starts as the identity', () => {
    const c = new SplineCoupling({ dim: 3, hidden: [8], rng: createRng(1) });
    const x = tf.tensor2d([
      [0.1, -2, 3],
      [6, 0.5, -0.7],
    ]);
    const r = c.forward(x);
    expect(tf.max(tf.abs(tf.sub(r.y, x))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(r.logDet)).dataSync()[0]).toBeLessThan(1e-5);
  });
});
