import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import {
  bennettAcceptanceRatio,
  freeEnergyDifference,
  freeEnergyProfile,
  importanceWeights,
  kishESS,
  logPartition,
  normalizedWeights,
  normalizeLogWeights,
  selfNormalizedEstimate,
  stateFreeEnergyDifference,
} from '../src/index.js';
import { sampleMean, sampleSd, simpson } from './helpers.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** x ~ N(0, 1) proposal, target p̃ = exp(−(x−μ)²/(2σ²)) with Z = σ√(2π); closed-form second moments of w. */
function gaussianSetup(mu: number, sigma: number) {
  const a = 1 / sigma ** 2 - 0.5;
  const m0 = mu / (sigma ** 2 * a);
  const c = mu ** 2 / (sigma ** 4 * a) - mu ** 2 / sigma ** 2;
  const z = sigma * Math.sqrt(2 * Math.PI);
  const ew2 = Math.sqrt(2 * Math.PI) * Math.sqrt(Math.PI / a) * Math.exp(c);
  return {
    logZ: Math.log(z),
    relVarW: ew2 / z ** 2 - 1,
    varSnisMean: (ew2 * (1 / (2 * a) + (m0 - mu) ** 2)) / z ** 2,
    draw(n: number, seed: number) {
      const x = createRng(seed).normalArray(n);
      const logTarget = Array.from(x, (v) => -((v - mu) ** 2) / (2 * sigma ** 2));
      const logProposal = Array.from(x, (v) => -0.5 * v * v - LOG_SQRT_2PI);
      return { x, logTarget, logProposal };
    },
  };
}

describe('importance weights, Kish ESS, log Z (Gaussian closed forms)', () => {
  const g = gaussianSetup(0.5, 0.8);

  it('log Z of N(μ, σ²) from N(0, 1) samples, with a stderr matching the closed form', () => {
    const n = 20000;
    const { logTarget, logProposal } = g.draw(n, 1);
    const iw = importanceWeights(logTarget, logProposal);
    const r = logPartition(iw.logWeights);
    const se = Math.sqrt(g.relVarW / n);
    expect(Math.abs(r.logZ - g.logZ)).toBeLessThan(5 * se);
    expect(iw.logMeanWeight).toBeCloseTo(r.logZ, 12);
    expect(r.stderr / se).toBeGreaterThan(0.8);
    expect(r.stderr / se).toBeLessThan(1.25);
    let s = 0;
    for (const w of iw.weights) s += w;
    expect(s).toBeCloseTo(1, 12);
    // Kish ESS fraction → 1/E[w²]/Z² asymptotically
    const k = kishESS(iw.logWeights);
    expect(k.fraction).toBeCloseTo(1 / (1 + g.relVarW), 1);
    expect(k.ess).toBeCloseTo(k.fraction * n, 6);
  });

  it('self-normalised estimate of E[x] = μ with calibrated delta-method stderr', () => {
    const n = 20000;
    const { x, logTarget, logProposal } = g.draw(n, 2);
    const lw = importanceWeights(logTarget, logProposal).logWeights;
    const r = selfNormalizedEstimate(x, lw);
    const se = Math.sqrt(g.varSnisMean / n);
    expect(Math.abs(r.estimate - 0.5)).toBeLessThan(5 * se);
    expect(r.stderr / se).toBeGreaterThan(0.8);
    expect(r.stderr / se).toBeLessThan(1.25);
  });

  it('stderr is calibrated across seeds (RMS z-score ≈ 1)', () => {
    const zs: number[] = [];
    const zm: number[] = [];
    for (let seed = 0; seed < 40; seed++) {
      const { x, logTarget, logProposal } = g.draw(1000, 100 + seed);
      const lw = importanceWeights(logTarget, logProposal).logWeights;
      const r = logPartition(lw);
      zs.push((r.logZ - g.logZ) / r.stderr);
      const m = selfNormalizedEstimate(x, lw);
      zm.push((m.estimate - 0.5) / m.stderr);
    }
    // RMS of 40 standard normals: sd ≈ 1/√80 ≈ 0.11
    for (const z of [zs, zm]) {
      const rms = Math.sqrt(sampleMean(z.map((v) => v * v)));
      expect(rms).toBeGreaterThan(0.65);
      expect(rms).toBeLessThan(1.4);
    }
  });

  it('is stable for huge log weights and accepts tensors', () => {
    const lw = [1000, 1000 + Math.log(3), -Infinity];
    const k = kishESS(lw);
    expect(k.ess).toBeCloseTo(16 / 10, 12);
    expect(Array.from(normalizedWeights(lw))).toEqual([expect.closeTo(0.25, 12), expect.closeTo(0.75, 12), 0]);
    expect(Math.exp(normalizeLogWeights(lw)[0])).toBeCloseTo(0.25, 12);
    expect(logPartition(lw).logZ).toBeCloseTo(1000 + Math.log(4) - Math.log(3), 10);
    const lt = tf.tensor1d([0, -1, -2]);
    const lq = tf.tensor1d([-1, -1, -1]);
    const iw = importanceWeights(lt, lq);
    expect(Array.from(iw.logWeights)).toEqual([1, 0, -1]);
    expect(lt.isDisposed).toBe(false);
    tf.dispose([lt, lq]);
    expect(kishESS([0, 0, 0, 0]).fraction).toBeCloseTo(1, 12);
  });

  it('rejects NaN, empty and mismatched input naming the argument', () => {
    const expectArg = (f: () => unknown, arg: RegExp) => {
      expect(f).toThrow(BoltzflowError);
      expect(f).toThrow(arg);
    };
    expectArg(() => importanceWeights([0, NaN], [0, 0]), /logTarget/);
    expectArg(() => importanceWeights([0, 1], [0]), /logProposal/);
    expectArg(() => importanceWeights([0, 1], [0, -Infinity]), /logProposal/);
    expectArg(() => kishESS([]), /logWeights/);
    expectArg(() => kishESS([0, NaN]), /logWeights/);
    expectArg(() => kishESS([-Infinity, -Infinity]), /logWeights/);
    expectArg(() => logPartition([Infinity]), /logWeights/);
    expectArg(() => selfNormalizedEstimate([1, 2], [0]), /logWeights/);
    expectArg(() => selfNormalizedEstimate([1, NaN], [0, 0]), /values/);
    expectArg(() => freeEnergyDifference([]), /work/);
    expectArg(() => bennettAcceptanceRatio([], [1]), /forwardWork/);
    expectArg(() => bennettAcceptanceRatio([1], [NaN]), /reverseWork/);
    expectArg(() => freeEnergyProfile([1, 2, 3], { logWeights: [0, 0] }), /logWeights/);
    expectArg(() => freeEnergyProfile([1, 2, 3], { edges: [0, 2, 1] }), /edges/);
    expectArg(() => stateFreeEnergyDifference([1, 2], [0, 0], NaN), /threshold/);
    expectArg(() => stateFreeEnergyDifference([1, 2], [0], 0), /logWeights/);
  });
});

describe('Zwanzig and BAR on Gaussian work distributions', () => {
  // Crooks-consistent Gaussian works: W_F ~ N(ΔF + s²/2, s²), W_R ~ N(−ΔF + s²/2, s²)
  function works(n: number, deltaF: number, s: number, seed: number, sign: 1 | -1): number[] {
    const z = createRng(seed).normalArray(n);
    return Array.from(z, (v) => sign * deltaF + (s * s) / 2 + s * v);
  }

  /** BAR asymptotic stderr at the true ΔF by quadrature over the Gaussian work densities. */
  function barSe(deltaF: number, s: number, nf: number, nr: number): number {
    const m = Math.log(nf / nr);
    const moments = (mean: number, arg: (w: number) => number) => {
      const pdf = (w: number) => Math.exp(-((w - mean) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI));
      const f = (w: number) => 1 / (1 + Math.exp(arg(w)));
      const e1 = simpson((w) => pdf(w) * f(w), mean - 12 * s, mean + 12 * s);
      const e2 = simpson((w) => pdf(w) * f(w) ** 2, mean - 12 * s, mean + 12 * s);
      return e2 / (e1 * e1) - 1;
    };
    const vf = moments(deltaF + (s * s) / 2, (w) => m + w - deltaF);
    const vr = moments(-deltaF + (s * s) / 2, (w) => -m + w + deltaF);
    return Math.sqrt(vf / nf + vr / nr);
  }

  it('Zwanzig forward and reverse recover ΔF within the closed-form error', () => {
    const n = 5000;
    const s = 1;
    const se = Math.sqrt((Math.exp(s * s) - 1) / n);
    const f = freeEnergyDifference(works(n, 2, s, 1, 1));
    expect(Math.abs(f.deltaF - 2)).toBeLessThan(5 * se);
    expect(f.stderr / se).toBeGreaterThan(0.7);
    expect(f.stderr / se).toBeLessThan(1.4);
    const r = freeEnergyDifference(works(n, 2, s, 2, -1), { direction: 'reverse' });
    expect(Math.abs(r.deltaF - 2)).toBeLessThan(5 * se);
  });

  it('BAR recovers ΔF with the asymptotic stderr, for unequal sample sizes and large ΔF', () => {
    for (const [deltaF, s] of [
      [2, 2],
      [-50, 1.5],
    ]) {
      const nf = 1000;
      const nr = 1500;
      const se = barSe(deltaF, s, nf, nr);
      const r = bennettAcceptanceRatio(works(nf, deltaF, s, 3, 1), works(nr, deltaF, s, 4, -1));
      expect(Math.abs(r.deltaF - deltaF)).toBeLessThan(5 * se);
      expect(r.stderr / se).toBeGreaterThan(0.7);
      expect(r.stderr / se).toBeLessThan(1.4);
    }
  });

  it('BAR stderr is calibrated across seeds and beats Zwanzig for wide work distributions', () => {
    const z: number[] = [];
    const errBar: number[] = [];
    const errZw: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const wf = works(500, 3, 2.5, 10 + seed, 1);
      const wr = works(500, 3, 2.5, 50 + seed, -1);
      const r = bennettAcceptanceRatio(wf, wr);
      z.push((r.deltaF - 3) / r.stderr);
      errBar.push((r.deltaF - 3) ** 2);
      errZw.push((freeEnergyDifference(wf).deltaF - 3) ** 2);
    }
    const rms = Math.sqrt(sampleMean(z.map((v) => v * v)));
    expect(rms).toBeGreaterThan(0.6);
    expect(rms).toBeLessThan(1.5);
    expect(sampleMean(errBar)).toBeLessThan(sampleMean(errZw));
  });
});

describe('2D double well u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂² (importance sampling from a broad Gaussian)', () => {
  const u1 = (x: number) => x ** 4 - 6 * x * x - 0.5 * x;
  const below = simpson((x) => Math.exp(-u1(x)), -6, 0);
  const above = simpson((x) => Math.exp(-u1(x)), 0, 6);
  const exactDeltaF = -Math.log(above / below);
  const exactLogZ = Math.log(above + below) + LOG_SQRT_2PI; // x₂ integrates to √(2π)
  const sq = [2, 1.5];

  function sample(n: number, seed: number) {
    const rng = createRng(seed);
    const x1 = new Float64Array(n);
    const lw = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = sq[0] * rng.nextNormal();
      const b = sq[1] * rng.nextNormal();
      const logq = -(a * a) / (2 * sq[0] ** 2) - (b * b) / (2 * sq[1] ** 2) - Math.log(sq[0] * sq[1]) - 2 * LOG_SQRT_2PI;
      x1[i] = a;
      lw[i] = -(u1(a) + 0.5 * b * b) - logq;
    }
    return { x1, lw };
  }

  it('quadrature reference agrees with the published ΔF', () => {
    expect(exactDeltaF).toBeCloseTo(-1.6906, 3);
  });

  it('ΔF between wells and log Z, with stderr matching the spread across seeds', () => {
    const est: number[] = [];
    const ses: number[] = [];
    for (let seed = 0; seed < 8; seed++) {
      const { x1, lw } = sample(4000, 500 + seed);
      const r = stateFreeEnergyDifference(x1, lw, 0);
      est.push(r.deltaF);
      ses.push(r.stderr);
      expect(r.pAbove + r.pBelow).toBeCloseTo(1, 12);
      const z = logPartition(lw);
      expect(Math.abs(z.logZ - exactLogZ)).toBeLessThan(5 * z.stderr);
    }
    const spread = sampleSd(est);
    expect(Math.abs(sampleMean(est) - exactDeltaF)).toBeLessThan((4 * spread) / Math.sqrt(est.length));
    const ratio = sampleMean(ses) / spread;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('free-energy profile matches the quadrature profile; bootstrap and delta stderr agree', () => {
    const { x1, lw } = sample(20000, 7);
    const edges = Array.from({ length: 21 }, (_, i) => -2.5 + 0.25 * i);
    const prof = freeEnergyProfile(x1, { logWeights: lw, edges });
    const boot = freeEnergyProfile(x1, { logWeights: lw, edges, bootstrap: { samples: 60, rng: createRng(1) } });
    const mass = edges.slice(0, -1).map((e, k) => simpson((x) => Math.exp(-u1(x)), e, edges[k + 1], 200));
    const total = mass.reduce((s, v) => s + v, 0);
    let checked = 0;
    for (let k = 0; k < 20; k++) {
      expect(Number.isNaN(prof.F[k])).toBe(false);
      if (prof.counts[k] < 100) continue;
      checked++;
      const ref = -Math.log(mass[k] / total);
      const got = -Math.log(prof.probabilities[k]);
      expect(Math.abs(got - ref)).toBeLessThan(5 * prof.stderr[k]);
      expect(boot.stderr[k] / prof.stderr[k]).toBeGreaterThan(0.6);
      expect(boot.stderr[k] / prof.stderr[k]).toBeLessThan(1.6);
    }
    expect(checked).toBeGreaterThan(8);
    expect(Math.min(...prof.F)).toBe(0);
    expect(boot.stderrMethod).toBe('bootstrap');
    expect(Array.from(boot.F)).toEqual(Array.from(prof.F));
  });

  it('empty bins give F = Infinity, never NaN', () => {
    const prof = freeEnergyProfile([0.1, 0.2, 0.3, 2.5], { edges: [0, 1, 2, 3] });
    expect(Array.from(prof.counts)).toEqual([3, 0, 1]);
    expect(prof.F[1]).toBe(Infinity);
    expect(prof.stderr[1]).toBe(Infinity);
    expect(prof.F[0]).toBe(0);
    expect(prof.F[2]).toBeCloseTo(Math.log(3), 12);
    const def = freeEnergyProfile([0, 1, 1, 2], { bins: 2 });
    expect(Array.from(def.counts)).toEqual([1, 3]);
    expect(Array.from(def.centers)).toEqual([0.5, 1.5]);
  });
});
