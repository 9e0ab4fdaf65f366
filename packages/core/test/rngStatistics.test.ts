// Statistical tests of the seeded generator (xoshiro128** + ziggurat, issue #20). References are independent of the
// code: the published xoshiro128** output for state {1,2,3,4}, and the normal/uniform CDFs (KS, tail mass, moments).
import { describe, expect, it } from 'vitest';
import { createRng, Rng } from '../src/index.js';

/** Φ via the Abramowitz–Stegun 7.1.26 erf (absolute error < 1.5e-7, far below the KS bands used here). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Kolmogorov–Smirnov statistic D of a sample against a CDF. */
function ksStatistic(sample: Float32Array, cdf: (x: number) => number): number {
  const s = Float64Array.from(sample).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

// P(√n·D > 1.95) ≈ 0.001 (Kolmogorov distribution): the bound at the 0.1 % level.
const KS_CRIT = 1.95;

describe('Rng generator (xoshiro128**)', () => {
  it('matches the reference xoshiro128** outputs for the state {1, 2, 3, 4}', () => {
    const r = createRng(0);
    (r as unknown as { s: Int32Array }).s.set([1, 2, 3, 4]);
    const words = Array.from({ length: 10 }, () => r.nextUint32());
    // From Blackman & Vigna's xoshiro128starstar.c seeded with s = {1, 2, 3, 4}.
    expect(words).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('bulk and scalar draws consume the same stream (uniformArray ≡ nextUniform, state round trip)', () => {
    const a = createRng(21);
    const b = createRng(21);
    const bulk = a.uniformArray(257);
    for (let i = 0; i < 257; i++) expect(bulk[i]).toBe(Math.fround(b.nextUniform()));
    a.normalArray(10_001); // crosses many slow-path (wedge/tail) draws
    for (let i = 0; i < 10_001; i++) b.nextNormal();
    expect(a.getState()).toEqual(b.getState());
    expect(a.nextUint32()).toBe(b.nextUint32());
    const restored = Rng.fromState(JSON.parse(JSON.stringify(a.getState())));
    expect(Array.from(restored.normalArray(100))).toEqual(Array.from(a.normalArray(100)));
  });

  it('normals pass a KS test against Φ for three seeds, with the right tail mass and fourth moment', () => {
    const n = 200_000;
    for (const seed of [1, 2, 3]) {
      const z = createRng(seed).normalArray(n);
      expect(Math.sqrt(n) * ksStatistic(z, normalCdf)).toBeLessThan(KS_CRIT);
      let m4 = 0;
      let tail = 0;
      for (const v of z) {
        m4 += v ** 4;
        if (Math.abs(v) > 3.442619855899) tail++; // beyond the ziggurat's base: Marsaglia's tail algorithm
      }
      // E z⁴ = 3, Var z⁴ = 105 − 9 = 96.
      expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
      const p = 2 * (1 - normalCdf(3.442619855899));
      expect(Math.abs(tail - n * p)).toBeLessThan(5 * Math.sqrt(n * p));
    }
  });

  it('normals through the tail have the normal conditional law (KS of |z| beyond r)', () => {
    const r = 3.442619855899;
    const z = createRng(4).normalArray(4_000_000);
    const tail = new Float32Array(
      Array.from(z)
        .filter((v) => Math.abs(v) > r)
        .map(Math.abs),
    );
    const pr = 1 - normalCdf(r);
    const d = ksStatistic(tail, (x) => (normalCdf(x) - normalCdf(r)) / pr);
    expect(Math.sqrt(tail.length) * d).toBeLessThan(KS_CRIT);
  });

  it('uniforms pass a KS test against U(0, 1) and lie in the open interval; rademacher is balanced', () => {
    const n = 200_000;
    for (const seed of [5, 6]) {
      const u = createRng(seed).uniformArray(n);
      let lo = 1;
      let hi = 0;
      for (const v of u) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      // Open at 0; at 1 only float32 rounding of (w + ½)/2³² for the top 2⁷ words (p ≈ 3·10⁻⁸) can reach 1.
      expect(lo).toBeGreaterThan(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(Math.sqrt(n) * ksStatistic(u, (x) => Math.min(1, Math.max(0, x)))).toBeLessThan(KS_CRIT);
    }
    const s = createRng(7).rademacher([100_000]);
    const mean = s.mean().arraySync() as number;
    s.dispose();
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(100_000));
  });

  it('consecutive normals are uncorrelated (lag-1 correlation within Monte-Carlo error)', () => {
    const n = 200_000;
    const z = createRng(8).normalArray(n);
    let c = 0;
    for (let i = 1; i < n; i++) c += z[i] * z[i - 1];
    expect(Math.abs(c / (n - 1))).toBeLessThan(5 / Math.sqrt(n));
  });
});
