import { describe, expect, it } from 'vitest';
import { createRng } from '@boltzflow/core';
import { importanceOutcome, mcmcOutcome, type CoordinateSpec } from '../src/index.js';

const spec: CoordinateSpec = { index: 0, name: 'x₁', threshold: 0, deadZone: 1, profileEdges: Array.from({ length: 21 }, (_, i) => -3 + (6 * i) / 20) };
const plot = { samplesPerSampler: 50, tracePoints: 50, acfLags: 20 };

/** `[kept, chains, 2]` draws from a per-chain generator. */
function draws(kept: number, chains: number, gen: (i: number, c: number) => [number, number]) {
  const data = new Float32Array(kept * chains * 2);
  for (let i = 0; i < kept; i++) for (let c = 0; c < chains; c++) data.set(gen(i, c), (i * chains + c) * 2);
  return { data, shape: [kept, chains, 2] as [number, number, number] };
}

describe('sampler metrics', () => {
  it('independent draws: ESS ≈ N and ΔF within 5 stderr of −ln(p/(1−p))', () => {
    const rng = createRng(3);
    const p = 0.8;
    const d = draws(2000, 4, () => [(rng.nextUniform() < p ? 1.7 : -1.7) + 0.2 * rng.nextNormal(), rng.nextNormal()]);
    const o = mcmcOutcome({ sampler: 'iid', description: '', draws: d, energyEvaluations: 8000, wallSeconds: 1, acceptanceRate: 1, spec, plot });
    expect(o.result.ess).toBeGreaterThan(0.7 * 8000);
    const exact = -Math.log(p / (1 - p));
    // iid stderr of ΔF by the delta method: 1/√(N p (1−p)).
    const se = 1 / Math.sqrt(8000 * p * (1 - p));
    expect(o.result.deltaF!.stderr).toBeGreaterThan(0.7 * se);
    expect(o.result.deltaF!.stderr).toBeLessThan(1.5 * se);
    expect(Math.abs(o.result.deltaF!.estimate - exact)).toBeLessThan(5 * o.result.deltaF!.stderr);
    expect(o.result.transitions).toBeGreaterThan(1000);
    expect(o.result.iact).toBeCloseTo(8000 / o.result.ess, 10);
    // The ESS carries its jackknife error (for iid draws a few per cent of N, never zero).
    const essSe = o.result.metrics!.essStderr as number;
    expect(essSe).toBeGreaterThan(0);
    expect(essSe).toBeLessThan(0.2 * o.result.ess);
  });

  it('chains stuck in their wells get a large ΔF error and no transitions', () => {
    const rng = createRng(4);
    // 6 of 8 chains in the right well: the naive iid error would be ~0.01, the honest one is of order 1/√chains.
    const d = draws(2000, 8, (_i, c) => [(c < 6 ? 1.7 : -1.7) + 0.2 * rng.nextNormal(), rng.nextNormal()]);
    const o = mcmcOutcome({ sampler: 'stuck', description: '', draws: d, energyEvaluations: 16000, wallSeconds: 1, acceptanceRate: 0.5, spec, plot });
    expect(o.result.transitions).toBe(0);
    expect(o.result.deltaF === null || o.result.deltaF.stderr > 0.3).toBe(true);
    expect(o.result.ess).toBeLessThan(100);
    // The multi-chain autocorrelation does not decay for stuck chains.
    expect(o.artifacts.acf!.values.at(-1)!).toBeGreaterThan(0.5);
  });

  it('importance sampling: weighted ΔF matches the target, Kish ESS, no transitions/IACT', () => {
    const rng = createRng(5);
    // Proposal: wells equally likely; target: right well with probability 0.8 → weights 1.6 / 0.4.
    const n = 4000;
    const d = draws(n, 1, () => [(rng.nextUniform() < 0.5 ? 1.7 : -1.7) + 0.2 * rng.nextNormal(), rng.nextNormal()]);
    const logW = new Float64Array(n);
    for (let i = 0; i < n; i++) logW[i] = Math.log(d.data[2 * i] > 0 ? 1.6 : 0.4);
    const o = importanceOutcome({
      sampler: 'is',
      description: '',
      x: d,
      logWeights: logW,
      energyEvaluations: n,
      wallSeconds: 1,
      acceptanceRate: null,
      spec,
      plot,
    });
    // Kish ESS (Σw)²/Σw², computed directly from the weights.
    let s1 = 0;
    let s2 = 0;
    for (const lw of logW) {
      s1 += Math.exp(lw);
      s2 += Math.exp(2 * lw);
    }
    expect(Math.abs(o.result.ess - (s1 * s1) / s2) / o.result.ess).toBeLessThan(1e-9);
    expect(Math.abs(o.result.deltaF!.estimate + Math.log(4))).toBeLessThan(5 * o.result.deltaF!.stderr);
    expect(o.result.transitions).toBeNull();
    expect(o.result.iact).toBeNull();
  });
});
