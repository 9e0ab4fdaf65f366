import { describe, expect, it } from 'vitest';
import { componentPopulations } from '../src/experiments/mixtureComponents.js';

// Three well-separated isotropic components in 2D with unequal weights.
const mixture = {
  means: [
    [-10, 0],
    [0, 10],
    [10, 0],
  ],
  scales: [1, 1, 2],
  weights: [2, 1, 1],
};

/** Seeded uniform in [0, 1) (mulberry32), so the test needs no library RNG. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('componentPopulations', () => {
  it('pooled draws: populations are the fractions of samples near each mean, by hand', () => {
    // 2 kept draws × 2 chains: three near component 0, one near component 2.
    const data = Float32Array.from([-10, 0.5, -9, 0, 11, 1, -10.5, -1]);
    const r = componentPopulations({ data, shape: [2, 2, 2] }, mixture);
    expect(r.exact).toEqual([0.5, 0.25, 0.25]);
    expect(r.p).toEqual([0.75, 0, 0.25]);
    expect(r.found).toBe(2);
    expect(r.within30Percent).toBe(1); // |0.75/0.5 − 1| = 0.5 and |0/0.25 − 1| = 1 fail; 0.25/0.25 passes
    expect(r.maxRelativeError).toBeCloseTo(1, 12);
  });

  it('importance-weighted uniform samples recover the exact weights within Monte-Carlo error', () => {
    const u = uniform(3);
    const n = 40_000;
    const data = new Float32Array(2 * n);
    const logW: number[] = [];
    const wSum = 4;
    for (let i = 0; i < n; i++) {
      const x = -20 + 40 * u();
      const y = -10 + 30 * u();
      data[2 * i] = x;
      data[2 * i + 1] = y;
      // log p(x) − log q(x) with q uniform: the mixture density up to a constant (a common offset must not matter).
      let p = 0;
      for (let k = 0; k < 3; k++) {
        const s = mixture.scales[k];
        const r2 = (x - mixture.means[k][0]) ** 2 + (y - mixture.means[k][1]) ** 2;
        p += ((mixture.weights[k] / wSum) * Math.exp((-0.5 * r2) / s ** 2)) / (2 * Math.PI * s * s);
      }
      logW.push(Math.log(p) + 5);
    }
    const r = componentPopulations({ data, shape: [n, 1, 2] }, mixture, logW);
    // Each component holds ≈ 2π s² / 1200 of the box: ≥ 0.5 % of 40 000 samples ⇒ relative errors of a few per cent.
    for (let k = 0; k < 3; k++) expect(Math.abs(r.p[k] / r.exact[k] - 1)).toBeLessThan(0.15);
    expect(r.found).toBe(3);
    expect(r.within30Percent).toBe(3);
  });
});

describe('the report’s modes table', () => {
  it('lists modes found and populations within ±30 % for rows that carry them, and nothing otherwise', async () => {
    const { headlineTables } = await import('../src/report/headline.js');
    const { syntheticResults } = await import('./syntheticResults.js');
    const plain = syntheticResults();
    expect(headlineTables(plain)).not.toContain('modes-table');
    const r = syntheticResults();
    const row = r.samplers[0];
    row.metrics = { ...row.metrics, modesFound: 39, modesWithin30Percent: 38, modeWeightMaxRelativeError: 0.41 };
    r.artifacts.extra = { ...r.artifacts.extra, componentPopulations: { [row.sampler]: new Array(40).fill(0.025) } };
    const html = headlineTables(r);
    expect(html).toContain('id="modes-table"');
    expect(html).toContain('39 of 40');
    expect(html).toContain('38 of 40');
  });
});
