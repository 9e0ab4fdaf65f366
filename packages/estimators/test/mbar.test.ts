import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { freeEnergyProfile, mbar, mbarReweight, symmetricEigen, symmetricPseudoInverse } from '../src/index.js';

/** K harmonic states u_k = ½κ_k(x − μ_k)²: f_k − f_0 = ½ log(κ_k / κ_0) exactly (Z_k = √(2π/κ_k)). */
function harmonic(seed: number, nPer: number[], mu: number[], kappa: number[]) {
  const rng = createRng(seed);
  const xs: number[] = [];
  nPer.forEach((n, k) => {
    for (let i = 0; i < n; i++) xs.push(mu[k] + rng.nextNormal() / Math.sqrt(kappa[k]));
  });
  const u = mu.map((m, k) => xs.map((x) => 0.5 * kappa[k] * (x - m) ** 2));
  const exact = kappa.map((kk) => 0.5 * Math.log(kk / kappa[0]));
  return { xs, u, exact };
}

const MU = [0, 0.5, 1.0, 1.4, 2.0];
const KAPPA = [1, 2, 4, 3, 8];

describe('mbar', () => {
  it('recovers the closed-form free energies of harmonic oscillators within its own standard errors', () => {
    const nPer = [400, 400, 400, 400, 400];
    const { u, exact } = harmonic(11, nPer, MU, KAPPA);
    const r = mbar(u, nPer);
    expect(r.converged).toBe(true);
    expect(r.f[0]).toBe(0);
    for (let k = 1; k < MU.length; k++) {
      expect(r.deltaFError[0][k]).toBeGreaterThan(0);
      expect(Math.abs(r.deltaF[0][k] - exact[k])).toBeLessThan(4 * r.deltaFError[0][k]);
    }
  });

  it('standard errors match the spread of estimates over independent seeds', () => {
    const nPer = [200, 200, 200, 200, 200];
    const est: number[] = [];
    const se: number[] = [];
    const seeds = 30;
    for (let s = 0; s < seeds; s++) {
      const { u } = harmonic(100 + s, nPer, MU, KAPPA);
      const r = mbar(u, nPer);
      est.push(r.deltaF[0][4]);
      se.push(r.deltaFError[0][4]);
    }
    const mean = est.reduce((a, b) => a + b, 0) / seeds;
    const sd = Math.sqrt(est.reduce((a, b) => a + (b - mean) ** 2, 0) / (seeds - 1));
    const meanSe = se.reduce((a, b) => a + b, 0) / seeds;
    // The sample sd of 30 normal draws has relative sd ≈ 1/√58 ≈ 0.13: a ratio within [0.6, 1.5] is > 3 sd.
    expect(sd / meanSe).toBeGreaterThan(0.6);
    expect(sd / meanSe).toBeLessThan(1.5);
    expect(Math.abs(mean - 0.5 * Math.log(8))).toBeLessThan((4 * sd) / Math.sqrt(seeds));
  });

  it('handles an unsampled state (counts 0) and reweights to it', () => {
    const nPer = [500, 0, 500];
    const { u, exact, xs } = harmonic(5, nPer, [0, 0.5, 1], [1, 2, 1]);
    const r = mbar(u, nPer);
    expect(Math.abs(r.f[1] - exact[1])).toBeLessThan(4 * r.deltaFError[0][1]);
    // Reweighting to state 1 gives E_1[x] = 0.5.
    const { logWeights, f } = mbarReweight(r, u[1]);
    expect(f).toBeCloseTo(r.f[1], 8);
    const m = xs.reduce((a, x, n) => a + Math.exp(logWeights[n]) * x, 0);
    expect(Math.abs(m - 0.5)).toBeLessThan(0.1);
  });

  it('agrees with Debian pymbar on free energies and uncertainties', (ctx) => {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import pymbar, numpy'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.warn('pymbar peer test skipped: /usr/bin/python3 cannot import pymbar (apt-get install python3-pymbar)');
      ctx.skip();
      return;
    }
    const nPer = [150, 100, 200, 120, 80];
    const { u } = harmonic(21, nPer, MU, KAPPA);
    const dir = mkdtempSync(join(tmpdir(), 'mbar-'));
    try {
      writeFileSync(join(dir, 'in.json'), JSON.stringify({ u, n: nPer }));
      const script = [
        'import json, sys, numpy as np',
        'from pymbar import MBAR',
        `d = json.load(open(${JSON.stringify(join(dir, 'in.json'))}))`,
        "m = MBAR(np.array(d['u']), np.array(d['n']), relative_tolerance=1e-12)",
        'r = m.getFreeEnergyDifferences(compute_uncertainty=True, return_dict=True)',
        "print(json.dumps({'df': r['Delta_f'].tolist(), 'ddf': r['dDelta_f'].tolist()}))",
      ].join('\n');
      const out = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      const peer = JSON.parse(out.stdout.trim().split('\n').pop() as string) as { df: number[][]; ddf: number[][] };
      const r = mbar(u, nPer);
      for (let i = 0; i < MU.length; i++) {
        for (let j = 0; j < MU.length; j++) {
          expect(Math.abs(r.deltaF[i][j] - peer.df[i][j])).toBeLessThan(1e-6);
          expect(Math.abs(r.deltaFError[i][j] - peer.ddf[i][j])).toBeLessThan(1e-5 + 1e-4 * peer.ddf[i][j]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('feeds freeEnergyProfile as an alternative to plain log weights', () => {
    const nPer = [800, 800];
    const { u, xs } = harmonic(8, nPer, [-1, 1], [1, 1]);
    // Target: unbiased N(0, 1) (reduced energy ½x²).
    const target = xs.map((x) => 0.5 * x * x);
    const p = freeEnergyProfile(xs, { mbar: { reducedEnergies: u, counts: nPer, targetReducedEnergies: target }, edges: [-1.5, -0.5, 0.5, 1.5] });
    // Exact F of N(0,1) on these bins: −log P(bin)/width, shifted to the central bin.
    const Phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
    const pb = [Phi(-0.5) - Phi(-1.5), Phi(0.5) - Phi(-0.5), Phi(1.5) - Phi(0.5)];
    const F = pb.map((q) => -Math.log(q / pb[1]));
    for (let b = 0; b < 3; b++) expect(Math.abs(p.F[b] - F[b])).toBeLessThan(4 * p.stderr[b] + 1e-9);
    expect(() => freeEnergyProfile(xs, { mbar: { reducedEnergies: u, counts: nPer, targetReducedEnergies: target }, logWeights: target })).toThrow(
      BoltzflowError,
    );
  });

  it('rejects bad input with typed errors', () => {
    expect(() => mbar([[0, 1]], [3])).toThrow(BoltzflowError);
    expect(() => mbar([[0, 1], [0]], [1, 1])).toThrow(/reducedEnergies\[1\]|length/);
    expect(() => mbar([[0, NaN]], [2])).toThrow(BoltzflowError);
    expect(() => mbar([[0, 1]], [1.5])).toThrow(BoltzflowError);
  });

  it('symmetric eigen-decomposition and pseudo-inverse reproduce their definitions', () => {
    const a = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 1],
    ];
    const { values, vectors } = symmetricEigen(a);
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 3; i++) {
        const av = a[i].reduce((s, aik, k) => s + aik * vectors[k][j], 0);
        expect(av).toBeCloseTo(values[j] * vectors[i][j], 10);
      }
    }
    const p = symmetricPseudoInverse(a);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(a[i].reduce((s, aik, k) => s + aik * p[k][j], 0)).toBeCloseTo(i === j ? 1 : 0, 10);
  });
});

/** Abramowitz–Stegun 7.1.26 is too coarse here: series/continued fraction via the complementary function. */
function erf(x: number): number {
  // erf by its Taylor series (|x| ≤ 3 here, 60 terms is far past double precision).
  let sum = 0;
  let term = x;
  for (let n = 0; n < 80; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
