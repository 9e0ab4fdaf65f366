import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { distributionFromConfig, logBesselI0, Normal, ProductDistribution, VonMises } from '../src/index.js';

/** I_ν(κ) by its power series Σ (κ/2)^{2k+ν} / (k! (k+ν)!), float64 (independent of the library's polynomial fit). */
function besselI(nu: 0 | 1, kappa: number): number {
  let term = (kappa / 2) ** nu / (nu === 1 ? 1 : 1);
  let sum = term;
  for (let k = 1; k < 500; k++) {
    term *= (kappa / 2) ** 2 / (k * (k + nu));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

describe('VonMises', () => {
  it('logBesselI0 matches the power series (relative 1e-6) up to κ = 100', () => {
    for (const k of [0, 0.1, 1, 3.7, 3.8, 10, 30, 100])
      expect(Math.abs(logBesselI0(k) - Math.log(besselI(0, k)))).toBeLessThan(1e-6 * Math.max(1, Math.log(besselI(0, k))));
  });

  it('log-density is κ cos(x − μ) − log 2πI₀(κ) and integrates to 1 (trapezoid quadrature over the circle)', () => {
    const kappas = [0, 0.5, 2, 10, 50];
    const mus = [0.3, -2.5, 3.0, 1.0, -0.7];
    const d = new VonMises({ loc: mus, concentration: kappas });
    const M = 2000;
    const grid = Array.from({ length: M }, (_, j) => -Math.PI + (2 * Math.PI * (j + 1)) / M);
    const x = tf.tensor2d(grid.map((g) => kappas.map(() => g)));
    const per = kappas.map((k, i) => new VonMises({ dim: 1, loc: mus[i], concentration: k }));
    const cols = per.map((p, i) => tf.tidy(() => p.logProb(tf.slice(x, [0, i], [M, 1]) as tf.Tensor2D)).arraySync() as number[]);
    cols.forEach((lp, i) => {
      // Closed form at a few points.
      [0, 500, 1999].forEach((j) => expect(lp[j]!).toBeCloseTo(kappas[i]! * Math.cos(grid[j]! - mus[i]!) - Math.log(2 * Math.PI * besselI(0, kappas[i]!)), 3));
      // Periodic trapezoid = spectrally accurate; float32 log-densities limit it to ~1e-5.
      const integral = lp.reduce((s, v) => s + Math.exp(v), 0) * ((2 * Math.PI) / M);
      expect(Math.abs(integral - 1)).toBeLessThan(1e-4);
    });
    // The joint density is the product.
    const joint = d.logProb(x).arraySync() as number[];
    joint.forEach((v, j) =>
      expect(v).toBeCloseTo(
        cols.reduce((s, c) => s + c[j]!, 0),
        3,
      ),
    );
    tf.dispose(x);
    [d, ...per].forEach((p) => p.dispose());
  });

  it('samples lie in (−π, π] with E cos(x − μ) = I₁(κ)/I₀(κ) within 4 standard errors', () => {
    const kappas = [0, 0.7, 4, 40];
    const mu = [0, 3.1, -3.1, 1];
    const d = new VonMises({ loc: mu, concentration: kappas });
    const n = 20000;
    const { x, logProb } = d.sampleWithLogProb(n, createRng(11));
    const xv = x.arraySync() as number[][];
    expect(Array.from(logProb.dataSync()).every(Number.isFinite)).toBe(true);
    kappas.forEach((k, i) => {
      const c = xv.map((r) => Math.cos(r[i]! - mu[i]!));
      const s = xv.map((r) => Math.sin(r[i]! - mu[i]!));
      const mean = c.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      const target = k === 0 ? 0 : besselI(1, k) / besselI(0, k);
      expect(Math.abs(mean - target)).toBeLessThan(4 * (sd / Math.sqrt(n)) + 1e-6);
      // Symmetric about μ: E sin(x − μ) = 0.
      const ms = s.reduce((a, b) => a + b, 0) / n;
      const ss = Math.sqrt(s.reduce((a, b) => a + (b - ms) ** 2, 0) / (n - 1));
      expect(Math.abs(ms)).toBeLessThan(4 * (ss / Math.sqrt(n)) + 1e-6);
    });
    tf.dispose([x, logProb]);
    d.dispose();
  });

  it('log-density is differentiable in x: ∂/∂x = −κ sin(x − μ) (the base of a flow trained by maximum likelihood)', () => {
    const d = new VonMises({ loc: [0.4, -3], concentration: [2, 7] });
    const xs = [
      [1.2, 3.1],
      [-3.1, -2.2],
    ];
    const g = tf
      .grad((x: tf.Tensor) => tf.sum(d.logProb(x as tf.Tensor2D)))(tf.tensor2d(xs))
      .arraySync() as number[][];
    xs.forEach((row, i) => row.forEach((v, j) => expect(g[i]![j]!).toBeCloseTo(-[2, 7][j]! * Math.sin(v - [0.4, -3][j]!), 4)));
  });

  it('is −Infinity outside (−π, π], rebuilds from its config and rejects κ < 0', () => {
    const d = new VonMises({ dim: 2, concentration: 1 });
    const lp = d
      .logProb(
        tf.tensor2d([
          [0, 3.2],
          [-Math.PI, 0],
          [Math.PI, 0],
        ]),
      )
      .arraySync() as number[];
    expect(lp[0]).toBe(-Infinity);
    expect(lp[1]).toBe(-Infinity);
    expect(Number.isFinite(lp[2]!)).toBe(true);
    const c = distributionFromConfig(JSON.parse(JSON.stringify(d.toConfig())));
    expect(c.toConfig()).toEqual(d.toConfig());
    expect(() => new VonMises({ concentration: -1 })).toThrow(BoltzflowError);
    d.dispose();
  });
});

describe('ProductDistribution (normal bonds/angles beside von Mises torsions)', () => {
  it('log-density is the sum over blocks, samples are the blocks side by side, config round-trips', () => {
    const p = new ProductDistribution([Normal.standard(2), new VonMises({ dim: 1, concentration: 3, loc: 0.5 })]);
    expect(p.dim).toBe(3);
    const x = tf.tensor2d([
      [0.1, -1.2, 0.4],
      [2, 0.3, -3],
    ]);
    const lp = p.logProb(x).arraySync() as number[];
    const xv = x.arraySync() as number[][];
    xv.forEach((r, i) => {
      const ref = -0.5 * (r[0]! ** 2 + r[1]! ** 2) - Math.log(2 * Math.PI) + 3 * Math.cos(r[2]! - 0.5) - Math.log(2 * Math.PI * besselI(0, 3));
      expect(lp[i]!).toBeCloseTo(ref, 4);
    });
    const { x: s, logProb } = p.sampleWithLogProb(500, createRng(2));
    const direct = p.logProb(s);
    expect(tf.max(tf.abs(tf.sub(direct, logProb))).dataSync()[0]!).toBeLessThan(1e-4);
    const torsions = tf.slice(s, [0, 2], [500, 1]).dataSync();
    expect(Array.from(torsions).every((v) => v > -Math.PI && v <= Math.fround(Math.PI))).toBe(true);
    const c = distributionFromConfig(JSON.parse(JSON.stringify(p.toConfig())));
    expect(c.toConfig()).toEqual(p.toConfig());
    tf.dispose([x, s, logProb, direct]);
  });
});
