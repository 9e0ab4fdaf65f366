import { describe, expect, it } from 'vitest';
import { chainWellPopulations, weightedWellPopulations } from '../src/experiments/manyWell32.js';

describe('weightedWellPopulations', () => {
  it('self-normalised P(x₁ > 0) per well and its delta-method error, by hand on 4 weighted samples of 2 wells', () => {
    // Rows [x₁, x₂] per well; well 0 positive in samples 0 and 2, well 1 in sample 3 only.
    const data = Float32Array.from([1, 0, -1, 0, -1, 0, -2, 0, 0.5, 0, -0.3, 0, -1, 0, 2, 0]);
    const w = [1, 2, 3, 4];
    const logW = w.map((v) => Math.log(v) + 7); // a common offset must not matter
    const r = weightedWellPopulations({ data, shape: [4, 1, 4] }, logW, 2, 0.5);
    const sw = 10;
    const p0 = (1 + 3) / sw;
    const p1 = 4 / sw;
    expect(r.p[0]).toBeCloseTo(p0, 6);
    expect(r.p[1]).toBeCloseTo(p1, 6);
    const se = (ind: number[], p: number) => Math.sqrt(w.reduce((a, wi, i) => a + wi * wi * (ind[i] - p) ** 2, 0)) / sw;
    expect(r.stderr[0]).toBeCloseTo(se([1, 0, 1, 0], p0), 6);
    expect(r.stderr[1]).toBeCloseTo(se([0, 0, 0, 1], p1), 6);
    expect(r.maxZ).toBeCloseTo(Math.max(Math.abs(p0 - 0.5) / r.stderr[0], Math.abs(p1 - 0.5) / r.stderr[1]), 6);
    expect(r.within3).toBe(2);
  });

  it('a well with every sample on one side has an unbounded |z| unless its exact value is that side', () => {
    const data = Float32Array.from([1, 0, 1, 0]);
    const r = weightedWellPopulations({ data, shape: [2, 1, 2] }, [0, 0], 1, 0.8);
    expect(r.p[0]).toBe(1);
    expect(r.maxZ).toBe(Infinity);
    expect(r.within3).toBe(0);
    expect(weightedWellPopulations({ data, shape: [2, 1, 2] }, [0, 0], 1, 1).within3).toBe(1);
  });
});

describe('chainWellPopulations', () => {
  it('pooled P(x₁ > 0) per well; a well that never flips is not estimable and never counts as within 3 s.e.', () => {
    // 4 draws × 2 chains × 4 coordinates (2 wells); well 0 constant at x₁ = 1.5, well 1 flips every draw (|x₁| = 1.5).
    const kept = 4;
    const chains = 2;
    const data = new Float32Array(kept * chains * 4);
    for (let i = 0; i < kept; i++)
      for (let c = 0; c < chains; c++) {
        data[(i * chains + c) * 4] = 1.5;
        data[(i * chains + c) * 4 + 2] = (i + c) % 2 === 0 ? 1.5 : -1.5;
      }
    const r = chainWellPopulations({ data, shape: [kept, chains, 4] }, 2, 1);
    expect(r.p).toEqual([1, 0.5]);
    expect(r.stderr[0]).toBe(Infinity);
    expect(r.maxZ).toBe(Infinity);
    // well 1: 6 flips (< 20), so its ESS is capped at 6 and stderr ≥ √(¼/6)
    expect(r.stderr[1]).toBeGreaterThanOrEqual(Math.sqrt(0.25 / 6) - 1e-12);
    // well 0 equals the "exact" value 1 but has no effective sample: not counted; only well 1 can be
    expect(r.within3).toBe(Math.abs(0.5 - 1) / r.stderr[1]! <= 3 ? 1 : 0);
  });
});
