import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { autocorrelation, autocovariance, effectiveSampleSize, integratedAutocorrTime, splitRHat } from '../src/index.js';
import { readFileSync } from 'node:fs';
import { normalQuantile } from '../src/rankNormalize.js';
import { ar1, sampleMean, sampleSd } from './helpers.js';

function directAutocov(x: ArrayLike<number>): number[] {
  const n = x.length;
  const m = sampleMean(x);
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let i = 0; i + t < n; i++) s += (x[i] - m) * (x[i + t] - m);
    out.push(s / n);
  }
  return out;
}

describe('autocorrelation (FFT)', () => {
  it('equals the direct O(n²) computation, for power-of-two and other lengths', () => {
    for (const n of [1, 2, 7, 64, 137, 1000]) {
      const x = ar1(n, 0.5, n);
      const direct = directAutocov(x);
      const acov = autocovariance(x);
      expect(acov.length).toBe(n);
      for (let t = 0; t < n; t++) expect(acov[t]).toBeCloseTo(direct[t], 12);
      if (n >= 2) {
        const rho = autocorrelation(Array.from(x));
        expect(rho[0]).toBe(1);
        for (let t = 0; t < n; t++) expect(rho[t]).toBeCloseTo(direct[t] / direct[0], 12);
      }
    }
  });
  it('accepts Float32Array and [n] tensors; rejects constant, NaN and empty input', () => {
    const x = ar1(50, 0.3, 1);
    const t = tf.tensor1d(Float32Array.from(x));
    const a = autocorrelation(Float32Array.from(x));
    const b = autocorrelation(t);
    t.dispose();
    for (let i = 0; i < 50; i++) expect(b[i]).toBeCloseTo(a[i], 12);
    expect(() => autocorrelation([1, 1, 1])).toThrow(BoltzflowError);
    expect(() => autocorrelation([1, NaN, 2])).toThrow(/series/);
    expect(() => autocovariance([])).toThrow(/series/);
  });
});

describe('integratedAutocorrTime (emcee window)', () => {
  it('recovers τ = (1+ρ)/(1−ρ) for AR(1), single and multi-chain, within Sokal error bars', () => {
    for (const rho of [0, 0.6, 0.9]) {
      const tauTrue = (1 + rho) / (1 - rho);
      const n = 20000;
      const single = integratedAutocorrTime(ar1(n, rho, 11));
      // Sokal: Var(τ̂) ≈ 2(2M+1)/N · τ²
      const se1 = tauTrue * Math.sqrt((2 * (2 * single.window + 1)) / n);
      expect(Math.abs(single.tau - tauTrue)).toBeLessThan(5 * se1);
      expect(single.window).toBeGreaterThanOrEqual(5 * single.tau);
      expect(single.reliable).toBe(true);
      const chains = [1, 2, 3, 4].map((s) => ar1(n, rho, 100 * s + 7));
      const multi = integratedAutocorrTime(chains, { c: 5 });
      const se4 = tauTrue * Math.sqrt((2 * (2 * multi.window + 1)) / (4 * n));
      expect(Math.abs(multi.tau - tauTrue)).toBeLessThan(5 * se4);
      expect(multi.chains).toBe(4);
    }
  });
  it('flags short chains as unreliable (N < 50 τ)', () => {
    const r = integratedAutocorrTime(ar1(300, 0.95, 3));
    expect(r.reliable).toBe(false);
  });
});

describe('effectiveSampleSize (Stan/ArviZ)', () => {
  it('gives N/τ for AR(1) chains over several seeds', () => {
    const rho = 0.6;
    const tau = (1 + rho) / (1 - rho);
    const m = 4;
    const n = 10000;
    const rel: number[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const chains = Array.from({ length: m }, (_, c) => ar1(n, rho, 1000 * seed + c));
      const ess = effectiveSampleSize(chains);
      rel.push(ess / ((m * n) / tau) - 1);
      // 'mean' and 'basic' estimate the same quantity for Gaussian chains
      const essBasic = effectiveSampleSize(chains, { method: 'basic' });
      expect(Math.abs(essBasic / ess - 1)).toBeLessThan(0.15);
    }
    // Sokal-type bound with a Geyer window ≲ 10τ: relative sd ≈ √(2(20τ+1)/(MN)) per seed
    const sePerSeed = Math.sqrt((2 * (20 * tau + 1)) / (m * n));
    for (const r of rel) expect(Math.abs(r)).toBeLessThan(5 * sePerSeed);
    expect(Math.abs(sampleMean(rel))).toBeLessThan((4 * sePerSeed) / Math.sqrt(rel.length));
  });
  it('single chain and tensor input; i.i.d. draws have ESS ≈ N', () => {
    const x = ar1(4000, 0, 5);
    const ess = effectiveSampleSize(x);
    expect(Math.abs(ess / 4000 - 1)).toBeLessThan(5 * Math.sqrt(2 / 4000) * 3);
    const t = tf.tensor2d(Float32Array.from([...ar1(1000, 0.5, 1), ...ar1(1000, 0.5, 2)]), [2, 1000]);
    const essT = effectiveSampleSize(t);
    t.dispose();
    expect(essT).toBeGreaterThan(2000 / 3 / 2);
    expect(essT).toBeLessThan((2000 / 3) * 2);
    const tail = effectiveSampleSize([ar1(2000, 0.5, 8), ar1(2000, 0.5, 9)], { method: 'tail' });
    expect(tail).toBeGreaterThan(100);
    expect(tail).toBeLessThan(4000 * 1.5);
  });
  it('rejects bad input naming the argument', () => {
    expect(() => effectiveSampleSize([ar1(100, 0.5, 1), ar1(90, 0.5, 2)])).toThrow(/chains\[1\]/);
    expect(() => effectiveSampleSize([1, 2])).toThrow(BoltzflowError);
    expect(() => effectiveSampleSize([[1, 2, NaN, 4, 5]])).toThrow(/chains\[0\]/);
    expect(() => effectiveSampleSize([] as number[][])).toThrow(BoltzflowError);
    expect(() => effectiveSampleSize([3, 3, 3, 3, 3])).toThrow(/constant/);
  });
});

describe('splitRHat (rank-normalised)', () => {
  it('is < 1.01 for well-mixed i.i.d. chains', () => {
    const rng = createRng(42);
    const chains = Array.from({ length: 4 }, () => Array.from({ length: 1000 }, () => rng.nextNormal()));
    const r = splitRHat(chains);
    expect(r).toBeGreaterThan(0.99);
    expect(r).toBeLessThan(1.01);
  });
  it('is clearly > 1.1 for chains stuck in different wells', () => {
    const chains = [0, 1, 2, 3].map((c) => {
      const x = ar1(1000, 0.5, 77 + c);
      const centre = c % 2 === 0 ? -1.7 : 1.7;
      return x.map((v) => centre + 0.2 * v);
    });
    expect(splitRHat(chains)).toBeGreaterThan(1.1);
  });
  it('detects a drifting single chain and variance differences (folded R̂)', () => {
    const drift = ar1(2000, 0.5, 3).map((v, i) => v + i / 500);
    expect(splitRHat(drift)).toBeGreaterThan(1.1);
    // same location, different scales: only the folded (tail) R̂ sees it
    const rng = createRng(9);
    const narrow = Array.from({ length: 2000 }, () => 0.2 * rng.nextNormal());
    const wide = Array.from({ length: 2000 }, () => 3 * rng.nextNormal());
    expect(splitRHat([narrow, wide, narrow.slice().reverse(), wide.slice().reverse()])).toBeGreaterThan(1.1);
  });
  it('matches R̂ = √((B/W + N − 1)/N) on rank-normalised split chains computed here', () => {
    // split → [1,2], [5,6], [3,4], [7,8]; ranks equal the values (S = 8)
    const z = (r: number): number => normalQuantile((r - 0.375) / 8.25);
    const halves = [
      [1, 2],
      [5, 6],
      [3, 4],
      [7, 8],
    ].map((h) => h.map(z));
    const means = halves.map((h) => (h[0] + h[1]) / 2);
    const w = sampleMean(halves.map((h) => sampleSd(h) ** 2));
    const b = 2 * sampleSd(means) ** 2;
    const bulk = Math.sqrt((b / w + 1) / 2);
    const r = splitRHat([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(r).toBeGreaterThanOrEqual(bulk - 1e-12);
    expect(bulk).toBeGreaterThan(2);
  });
  it('normal quantile is accurate (scipy norm.ppf reference values)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 6);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.5244005127080407, 6);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.9)).toBe(-normalQuantile(1 - 0.9));
  });
});

describe('agreement with a numpy/scipy transcription of ArviZ and emcee (test/fixtures/arviz_reference.py)', () => {
  const ref = JSON.parse(readFileSync(new URL('./fixtures/arviz-reference.json', import.meta.url), 'utf8')) as Record<string, number> & { chains: number[][] };
  // the normal quantile is polished to ~1e-7, so rank-based values agree to ~1e-6 relative
  const close = (got: number, want: number, rel = 1e-6) => expect(Math.abs(got - want)).toBeLessThan(rel * Math.abs(want));
  it('ESS (bulk, mean, basic, tail) and rank-normalised split R̂, odd N with ties', () => {
    close(effectiveSampleSize(ref.chains), ref.essBulk);
    close(effectiveSampleSize(ref.chains, { method: 'mean' }), ref.essMean, 1e-10);
    close(effectiveSampleSize(ref.chains, { method: 'basic' }), ref.essBasic, 1e-10);
    close(effectiveSampleSize(ref.chains, { method: 'tail' }), ref.essTail, 1e-10);
    close(splitRHat(ref.chains), ref.rhat);
    close(effectiveSampleSize(ref.chains[0]), ref.essBulkSingle);
    close(splitRHat(ref.chains[0]), ref.rhatSingle);
  });
  it('emcee integrated autocorrelation time and window', () => {
    const r = integratedAutocorrTime(ref.chains);
    close(r.tau, ref.emceeTau, 1e-10);
    expect(r.window).toBe(ref.emceeWindow);
  });
});
