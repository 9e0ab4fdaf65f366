import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { DoubleWell, DoubleWell1D, ManyWell, energyGrad } from '../src/index.js';
import { fdGrad, leakCount, roots, rows } from './helpers.js';

// Independent float64 re-implementation of the published formula x₁⁴ − 6x₁² − 0.5x₁ + ½x₂².
const uSnf = (x: number[]): number => x[0] ** 4 - 6 * x[0] ** 2 - 0.5 * x[0] + 0.5 * x[1] ** 2;
const uBg = (x: number[]): number => x[0] ** 4 - 6 * x[0] ** 2 + x[0] + 0.5 * x[1] ** 2;

/** Trapezoid log ∫∫ exp(−u) over a box, in float64 (independent of the library's Simpson rule). */
function logZ2D(u: (x: number[]) => number, L1: number, L2: number, n: number): number {
  const h1 = (2 * L1) / n;
  const h2 = (2 * L2) / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const wi = i === 0 || i === n ? 0.5 : 1;
    for (let j = 0; j <= n; j++) {
      const wj = j === 0 || j === n ? 0.5 : 1;
      s += wi * wj * Math.exp(-u([-L1 + i * h1, -L2 + j * h2]) - 10);
    }
  }
  return Math.log(s * h1 * h2) + 10;
}

describe('DoubleWell', () => {
  const dw = new DoubleWell();

  it('uses the SNF/FAB defaults and matches the formula', () => {
    expect(dw.coefficients()).toEqual({ a: -0.5, b: -6, c: 1, d: 1 });
    const pts = rows(createRng(1).normal([16, 2]).mul(2));
    const x = tf.tensor2d(pts);
    const u = dw.energy(x).arraySync() as number[];
    pts.forEach((p, i) => expect(u[i]).toBeCloseTo(uSnf(p), 3));
    tf.dispose(x);
  });

  it('analytic gradient matches float64 finite differences and autodiff', () => {
    const pts = rows(createRng(2).normal([16, 2]).mul(2));
    const x = tf.tensor2d(pts);
    const g = rows(dw.grad(x));
    const auto = rows(tf.grad((xx: tf.Tensor) => tf.sum(dw.energy(xx as tf.Tensor2D)))(x));
    pts.forEach((p, i) => {
      const fd = fdGrad(uSnf, p);
      for (let k = 0; k < 2; k++) {
        expect(Math.abs(g[i][k] - fd[k])).toBeLessThan(1e-3 * (1 + Math.abs(fd[k])));
        expect(Math.abs(auto[i][k] - g[i][k])).toBeLessThan(1e-3 * (1 + Math.abs(fd[k])));
      }
    });
    tf.dispose(x);
  });

  it('minima and barrier agree with root finding on u′', () => {
    const du = (t: number): number => 4 * t ** 3 - 12 * t - 0.5;
    const r = roots(du, -4, 4);
    expect(r.length).toBe(3);
    const [left, top, right] = r;
    expect(left).toBeCloseTo(-1.71, 1);
    expect(right).toBeCloseTo(1.75, 1);
    const x = tf.tensor2d([
      [left, 0],
      [top, 0],
      [right, 0],
    ]);
    const u = dw.energy(x).arraySync() as number[];
    const g = rows(dw.grad(x));
    for (const gi of g) expect(Math.abs(gi[0]) + Math.abs(gi[1])).toBeLessThan(2e-4 * 50);
    // barrier heights measured from each minimum
    expect(u[1] - u[0]).toBeCloseTo(uSnf([top, 0]) - uSnf([left, 0]), 3);
    expect(u[1] - u[2]).toBeCloseTo(uSnf([top, 0]) - uSnf([right, 0]), 3);
    expect(u[2]).toBeLessThan(u[0]); // tilt −0.5·x₁ makes the right well deeper
    tf.dispose(x);
  });

  it('log Z, P(x₁>0), ΔF match an independent 2D quadrature and the published ΔF', () => {
    expect(dw.logZ()).toBeCloseTo(logZ2D(uSnf, 5, 9, 1200), 5);
    // P(x₁ > 0) by a 1D trapezoid in the test
    let pos = 0;
    let all = 0;
    const h = 1e-3;
    for (let t = -6; t <= 6 + 1e-12; t += h) {
      const w = Math.exp(-uSnf([t, 0]));
      all += w;
      if (t > 0) pos += w;
    }
    expect(dw.probabilityPositive()).toBeCloseTo(pos / all, 4);
    expect(dw.deltaF()).toBeCloseTo(-Math.log(pos / (all - pos)), 3);
    expect(Math.abs(dw.deltaF() - -1.6906)).toBeLessThan(1e-3);
  });

  it('free-energy profile is −ln p(x₁): normalised, with differences equal to energy differences', () => {
    const prof = dw.freeEnergyProfile({ min: -5, max: 5, points: 4001 });
    let mass = 0;
    const h = prof.x[1] - prof.x[0];
    for (let i = 0; i < prof.x.length; i++) mass += (i === 0 || i === prof.x.length - 1 ? 0.5 : 1) * Math.exp(-prof.f[i]) * h;
    expect(mass).toBeCloseTo(1, 6);
    expect(prof.f[3000] - prof.f[1000]).toBeCloseTo(uSnf([prof.x[3000], 0]) - uSnf([prof.x[1000], 0]), 8);
    const p2 = dw.freeEnergyProfile([0, 1]);
    expect(Array.from(p2.x)).toEqual([0, 1]);
  });

  it('Boltzmann-generator preset has a = +1 and a deeper left well', () => {
    const bg = DoubleWell.boltzmannGenerator();
    expect(bg.a).toBe(1);
    expect(bg.deltaF()).toBeGreaterThan(0);
    expect(bg.logZ()).toBeCloseTo(logZ2D(uBg, 5, 9, 1200), 5);
    const x = tf.tensor2d([[0.3, -0.7]]);
    expect((bg.energy(x).arraySync() as number[])[0]).toBeCloseTo(uBg([0.3, -0.7]), 4);
    tf.dispose(x);
  });

  it('marginal is a dim-1 energy with the x₁ part', () => {
    const m = dw.marginal();
    expect(m).toBeInstanceOf(DoubleWell1D);
    expect(m.dim).toBe(1);
    const x = tf.tensor2d([[-1.2], [0.4], [2]]);
    const u = m.energy(x).arraySync() as number[];
    [-1.2, 0.4, 2].forEach((t, i) => expect(u[i]).toBeCloseTo(uSnf([t, 0]), 4));
    const g = rows(energyGrad(m, x));
    [-1.2, 0.4, 2].forEach((t, i) => expect(g[i][0]).toBeCloseTo(4 * t ** 3 - 12 * t - 0.5, 3));
    expect(m.logZ() + 0.5 * Math.log(2 * Math.PI)).toBeCloseTo(dw.logZ(), 10);
    tf.dispose(x);
  });

  it('rejects bad input naming the argument', () => {
    const x = tf.zeros([3, 3]) as tf.Tensor2D;
    expect(() => dw.energy(x)).toThrow(BoltzflowError);
    expect(() => dw.energy(x)).toThrow(/'x'.*\[n, 2\].*\[3, 3\]/);
    expect(() => new DoubleWell({ c: 0 })).toThrow(/'c'/);
    expect(() => new DoubleWell({ d: -1 })).toThrow(/'d'/);
    expect(() => new DoubleWell({ a: NaN })).toThrow(/'a'/);
    tf.dispose(x);
  });

  it('does not leak tensors', () => {
    const x = tf.tensor2d([
      [0.1, 0.2],
      [1, -1],
    ]);
    expect(leakCount(() => tf.dispose([dw.energy(x), dw.grad(x)]))).toBe(0);
    tf.dispose(x);
  });
});

describe('ManyWell', () => {
  it('defaults to d = 32 and sums the double well over pairs', () => {
    const mw = new ManyWell();
    expect(mw.dim).toBe(32);
    const pts = rows(createRng(3).normal([4, 32]).mul(1.5));
    const x = tf.tensor2d(pts);
    const u = mw.energy(x).arraySync() as number[];
    pts.forEach((p, i) => {
      let ref = 0;
      for (let k = 0; k < 16; k++) ref += uSnf([p[2 * k], p[2 * k + 1]]);
      expect(Math.abs(u[i] - ref)).toBeLessThan(1e-3 * (1 + Math.abs(ref)));
    });
    tf.dispose(x);
  });

  it('gradient matches finite differences', () => {
    const mw = new ManyWell({ dim: 6 });
    const f = (p: number[]): number => uSnf([p[0], p[1]]) + uSnf([p[2], p[3]]) + uSnf([p[4], p[5]]);
    const pts = rows(createRng(4).normal([5, 6]).mul(1.5));
    const x = tf.tensor2d(pts);
    const g = rows(mw.grad(x));
    pts.forEach((p, i) => fdGrad(f, p).forEach((v, k) => expect(Math.abs(g[i][k] - v)).toBeLessThan(1e-3 * (1 + Math.abs(v)))));
    tf.dispose(x);
  });

  it('log Z equals (d/2) × a 2D quadrature of the double well', () => {
    const z2 = logZ2D(uSnf, 5, 9, 1200);
    expect(new ManyWell().logZ()).toBeCloseTo(16 * z2, 3);
    expect(new ManyWell({ dim: 4 }).logZ()).toBeCloseTo(2 * z2, 4);
  });

  it('rejects odd dimensions and wrong widths', () => {
    expect(() => new ManyWell({ dim: 5 })).toThrow(/'dim'/);
    const x = tf.zeros([2, 30]) as tf.Tensor2D;
    expect(() => new ManyWell().energy(x)).toThrow(/\[n, 32\]/);
    tf.dispose(x);
  });

  it('does not leak tensors', () => {
    const mw = new ManyWell({ dim: 8 });
    const x = tf.ones([3, 8]) as tf.Tensor2D;
    expect(leakCount(() => tf.dispose([mw.energy(x), mw.grad(x)]))).toBe(0);
    tf.dispose(x);
  });
});
