import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { Mixture, MultivariateNormal, Normal, Uniform, distributionFromConfig, twoMoons, cholesky } from '../src/index.js';
import { gaussLogPdf, leakCount, moments, quad1D, quad2D } from './helpers.js';

/** Independent 2D Gaussian log-density from the explicit 2×2 inverse. */
function mvn2LogPdf(x: number[], mu: number[], C: number[][]): number {
  const det = C[0][0] * C[1][1] - C[0][1] * C[1][0];
  const dx = [x[0] - mu[0], x[1] - mu[1]];
  const q = (C[1][1] * dx[0] * dx[0] - 2 * C[0][1] * dx[0] * dx[1] + C[0][0] * dx[1] * dx[1]) / det;
  return -0.5 * q - 0.5 * Math.log(det) - Math.log(2 * Math.PI);
}

describe('MultivariateNormal', () => {
  const C = [
    [2, 0.9],
    [0.9, 0.8],
  ];
  const mu = [1, -1];

  it('logProb matches the closed form and integrates to 1', () => {
    const d = MultivariateNormal.fromCovariance(C, mu);
    const pts = createRng(2).normal([20, 2]).mul(1.5).arraySync() as number[][];
    const x = tf.tensor2d(pts);
    const lp = d.logProb(x).arraySync() as number[];
    pts.forEach((p, i) => expect(lp[i]).toBeCloseTo(mvn2LogPdf(p, mu, C), 3));
    expect(quad2D((y) => d.logProb(y), [-7, -6], [9, 4], 300)).toBeCloseTo(1, 3);
    const s = d.sampleWithLogProb(64, createRng(4));
    const lp2 = d.logProb(s.x);
    expect(tf.max(tf.abs(tf.sub(lp2, s.logProb))).dataSync()[0]).toBeLessThan(1e-3);
    tf.dispose([x, s.x, s.logProb, lp2]);
    d.dispose();
  });

  it('Cholesky, covariance and precision are consistent', () => {
    const d = MultivariateNormal.fromCovariance(C, mu);
    const L = d.scaleTril();
    expect(L[0][1]).toBe(0);
    const cov = d.covariance();
    const P = d.precision();
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        expect(cov[i][j]).toBeCloseTo(C[i][j], 12);
        const pc = P[i][0] * C[0][j] + P[i][1] * C[1][j];
        expect(pc).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    d.dispose();
  });

  it('sample mean and covariance match within 5 standard errors', () => {
    const d = new MultivariateNormal({ loc: mu, scaleTril: cholesky(C) });
    const n = 20000;
    const s = d.sample(n, createRng(8));
    const m = moments(s.arraySync() as number[][]);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(m.mean[i] - mu[i])).toBeLessThan(5 * Math.sqrt(C[i][i] / n));
      for (let j = 0; j < 2; j++) {
        const se = Math.sqrt((C[i][i] * C[j][j] + C[i][j] ** 2) / n);
        expect(Math.abs(m.cov[i][j] - C[i][j])).toBeLessThan(5 * se);
      }
    }
    s.dispose();
    d.dispose();
  });

  it('rejects singular, non-positive, non-triangular and non-SPD input naming the argument', () => {
    expect(
      () =>
        new MultivariateNormal({
          scaleTril: [
            [1, 0],
            [2, 0],
          ],
        }),
    ).toThrow(/'scaleTril'.*positive diagonal/);
    expect(
      () =>
        new MultivariateNormal({
          scaleTril: [
            [-1, 0],
            [0, 1],
          ],
        }),
    ).toThrow(BoltzflowError);
    expect(
      () =>
        new MultivariateNormal({
          scaleTril: [
            [1, 0.5],
            [0, 1],
          ],
        }),
    ).toThrow(/lower triangular/);
    expect(
      () =>
        new MultivariateNormal({
          scaleTril: [
            [1, 0],
            [NaN, 1],
          ],
        }),
    ).toThrow(/'scaleTril'/);
    expect(() => new MultivariateNormal({ scaleTril: [[1, 0]] as number[][] })).toThrow(/'scaleTril'/);
    expect(() =>
      MultivariateNormal.fromCovariance([
        [1, 2],
        [2, 1],
      ]),
    ).toThrow(/positive definite.*'covariance'/);
    expect(() =>
      MultivariateNormal.fromCovariance([
        [1, 0.1],
        [0.2, 1],
      ]),
    ).toThrow(/symmetric/);
    expect(
      () =>
        new MultivariateNormal({
          loc: [0, 0, 0],
          scaleTril: [
            [1, 0],
            [0, 1],
          ],
        }),
    ).toThrow(/'loc'/);
    const d = MultivariateNormal.fromCovariance(C);
    const x = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => d.logProb(x)).toThrow(/'x'/);
    tf.dispose(x);
    d.dispose();
  });

  it('round-trips its config and does not leak', () => {
    const d = MultivariateNormal.fromCovariance(C, mu);
    const r = distributionFromConfig(JSON.parse(JSON.stringify(d.toConfig())));
    const x = tf.tensor2d([[0.5, 0.5]]);
    expect(r.logProb(x).dataSync()[0]).toBeCloseTo(d.logProb(x).dataSync()[0], 5);
    const rng = createRng(0);
    expect(
      leakCount(() => {
        tf.dispose([d.sample(5, rng), d.logProb(x)]);
        const o = d.sampleWithLogProb(5, rng);
        tf.dispose([o.x, o.logProb]);
      }),
    ).toBe(0);
    tf.dispose(x);
  });
});

describe('Uniform', () => {
  it('is −log volume inside, −Infinity (not NaN) outside, and integrates to 1', () => {
    const u = new Uniform({ low: [-1, 0], high: [1, 3] });
    const x = tf.tensor2d([
      [0, 1],
      [1.5, 1],
      [0, -0.1],
      [NaN, 1],
    ]);
    const lp = Array.from(u.logProb(x).dataSync());
    expect(lp[0]).toBeCloseTo(-Math.log(6), 5);
    expect(lp[1]).toBe(-Infinity);
    expect(lp[2]).toBe(-Infinity);
    const u1 = new Uniform({ dim: 1, low: -0.5, high: 1.5 });
    expect(quad1D((y) => u1.logProb(y), -2, 3, 5000)).toBeCloseTo(1, 2);
    expect(quad2D((y) => u.logProb(y), [-2, -1], [2, 4], 400)).toBeCloseTo(1, 1);
    tf.dispose(x);
  });

  it('samples stay in the box with the right mean', () => {
    const u = new Uniform({ dim: 3, low: -2, high: 4 });
    const n = 10000;
    const s = u.sample(n, createRng(5));
    const rows = s.arraySync() as number[][];
    expect(rows.every((r) => r.every((v) => v >= -2 && v <= 4))).toBe(true);
    const m = moments(rows);
    for (let i = 0; i < 3; i++) expect(Math.abs(m.mean[i] - 1)).toBeLessThan((5 * 6) / Math.sqrt(12 * n));
    const w = u.sampleWithLogProb(4, createRng(1));
    expect(Array.from(w.logProb.dataSync()).every((v) => Math.abs(v + Math.log(216)) < 1e-4)).toBe(true);
    tf.dispose([s, w.x, w.logProb]);
  });

  it('rejects empty boxes and round-trips its config', () => {
    expect(() => new Uniform({ low: [0, 1], high: [1, 1] })).toThrow(/'high'/);
    expect(() => new Uniform({ low: [0, 1], high: [1, 2, 3] })).toThrow(/'high'/);
    const u = new Uniform({ low: [0, 1], high: [1, 2] });
    expect(distributionFromConfig(u.toConfig()).toConfig()).toEqual(u.toConfig());
  });
});

describe('Mixture', () => {
  const mk = () => new Mixture([new Normal({ loc: -3, scale: 1, dim: 1 }), new Normal({ loc: 2, scale: 0.5, dim: 1 })], [1, 3]);

  it('logProb matches the closed-form mixture density and integrates to 1', () => {
    const m = mk();
    expect(m.weights).toEqual([0.25, 0.75]);
    const pts = [-5, -3, 0, 1.7, 2, 4];
    const x = tf.tensor2d(pts.map((p) => [p]));
    const lp = m.logProb(x).arraySync() as number[];
    pts.forEach((p, i) => {
      const ref = Math.log(0.25 * Math.exp(gaussLogPdf([p], [-3], [1])) + 0.75 * Math.exp(gaussLogPdf([p], [2], [0.5])));
      expect(lp[i]).toBeCloseTo(ref, 4);
    });
    expect(quad1D((y) => m.logProb(y), -12, 10, 4000)).toBeCloseTo(1, 5);
    tf.dispose(x);
  });

  it('draws components with the categorical weights (binomial 5 SE) and the right mean', () => {
    const m = mk();
    const n = 8000;
    const s = m.sample(n, createRng(3));
    const v = s.dataSync();
    let right = 0;
    let sum = 0;
    for (const t of v) {
      if (t > -0.5) right++;
      sum += t;
    }
    expect(Math.abs(right / n - 0.75)).toBeLessThan(5 * Math.sqrt((0.75 * 0.25) / n));
    // mixture variance = Σ w (σ² + μ²) − mean²
    const mean = 0.25 * -3 + 0.75 * 2;
    const varr = 0.25 * (1 + 9) + 0.75 * (0.25 + 4) - mean ** 2;
    expect(Math.abs(sum / n - mean)).toBeLessThan(5 * Math.sqrt(varr / n));
    // rows are in random component order, not blocked
    const firstHalfRight = Array.from(v.slice(0, n / 2)).filter((t) => t > -0.5).length / (n / 2);
    expect(firstHalfRight).toBeGreaterThan(0.6);
    expect(firstHalfRight).toBeLessThan(0.9);
    s.dispose();
  });

  it('gives −Infinity, not NaN, where every component is zero', () => {
    const m = new Mixture([new Uniform({ dim: 1, low: 0, high: 1 }), new Uniform({ dim: 1, low: 2, high: 4 })]);
    const x = tf.tensor2d([[0.5], [1.5], [3]]);
    const lp = Array.from(m.logProb(x).dataSync());
    expect(lp[0]).toBeCloseTo(Math.log(0.5), 5);
    expect(lp[1]).toBe(-Infinity);
    expect(lp[2]).toBeCloseTo(Math.log(0.25), 5);
    tf.dispose(x);
  });

  it('round-trips nested configs, rejects bad input and does not leak', () => {
    const m = mk();
    const r = distributionFromConfig(JSON.parse(JSON.stringify(m.toConfig())));
    const x = tf.tensor2d([[0.3], [2.2]]);
    const a = m.logProb(x).arraySync() as number[];
    const b = r.logProb(x).arraySync() as number[];
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    expect(() => new Mixture([Normal.standard(1), Normal.standard(2)])).toThrow(/'components\[1\]'/);
    expect(() => new Mixture([Normal.standard(1)], [-1])).toThrow(/'weights'/);
    expect(() => new Mixture([Normal.standard(1)], [1, 2])).toThrow(/'weights'/);
    expect(() => new Mixture([])).toThrow(/'components'/);
    const rng = createRng(2);
    expect(
      leakCount(() => {
        tf.dispose([m.sample(7, rng), m.logProb(x)]);
        const o = m.sampleWithLogProb(7, rng);
        tf.dispose([o.x, o.logProb]);
      }),
    ).toBe(0);
    tf.dispose(x);
  });
});

describe('twoMoons', () => {
  it('without noise puts half the points on each half circle, in random order', () => {
    const n = 400;
    const t = twoMoons(n, 0, createRng(1));
    expect(t.shape).toEqual([n, 2]);
    const rows = t.arraySync() as number[][];
    let outer = 0;
    let firstHalfOuter = 0;
    rows.forEach(([x, y], i) => {
      const onOuter = Math.abs(Math.hypot(x, y) - 1) < 1e-5 && y >= -1e-6;
      const onInner = Math.abs(Math.hypot(x - 1, y - 0.5) - 1) < 1e-5 && y <= 0.5 + 1e-6;
      expect(onOuter || onInner).toBe(true);
      if (onOuter) {
        outer++;
        if (i < n / 2) firstHalfOuter++;
      }
    });
    expect(outer).toBe(n / 2);
    expect(firstHalfOuter).toBeGreaterThan(60);
    expect(firstHalfOuter).toBeLessThan(140);
    t.dispose();
  });

  it('adds Gaussian noise with the requested scale; seeded', () => {
    const n = 2000;
    const noise = 0.1;
    const a = twoMoons(n, noise, createRng(5));
    const b = twoMoons(n, noise, createRng(5));
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    const clean = twoMoons(n, 0, createRng(5));
    // same permutation is drawn first, so the difference is pure noise
    const d = tf.sub(a, clean).dataSync();
    let ss = 0;
    for (const v of d) ss += v * v;
    const sd = Math.sqrt(ss / d.length);
    expect(Math.abs(sd - noise)).toBeLessThan(5 * noise * Math.sqrt(1 / (2 * d.length)));
    expect(() => twoMoons(10, -1, createRng(0))).toThrow(/'noise'/);
    expect(() => twoMoons(1.5, 0.1, createRng(0))).toThrow(/'n'/);
    tf.dispose([a, b, clean]);
  });
});
