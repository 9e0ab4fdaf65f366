import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, type Energy } from '@boltzflow/core';
import { randomWalkMetropolis } from '@boltzflow/mcmc';
import {
  accountCosts,
  betweenChainStderr,
  checkModeCoverage,
  comparisonVerdicts,
  compareSamplers,
  pointsOf,
  runToBudget,
  verdictLine,
  type CoordinateSpec,
  type SamplerResult,
} from '../src/index.js';

class Gaussian implements Energy {
  readonly dim = 2;
  readonly name = 'gaussian';
  energy(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D);
  }
}

function row(sampler: string, o: Partial<SamplerResult> = {}): SamplerResult {
  const r: SamplerResult = {
    sampler,
    energyEvaluations: 10_000,
    setupEnergyEvaluations: 0,
    totalEnergyEvaluations: 0,
    wallSeconds: 1,
    totalWallSeconds: 1,
    acceptanceRate: 0.5,
    transitions: 100,
    iact: 10,
    ess: 100,
    essPerEnergyEvaluation: 0,
    essPerSecond: 0,
    essPerTotalEnergyEvaluation: 0,
    essPerTotalSecond: 0,
    trainingData: 'none',
    flags: [],
    deltaF: { estimate: 1, stderr: 0.1, reference: 1 },
    ...o,
  };
  return accountCosts(r, r.totalWallSeconds - r.wallSeconds);
}

describe('report numbers of @boltzflow/samplers', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('pointsOf thins per chain: with 192 = 3·64 draws per kept step the plotted fraction matches every chain, not chain 0', () => {
    // 3 chains · 64 kept · dim 2 with chain c at x₁ = c − 1.5 + tiny: chains 0, 1 left (x₁ < 0), chain 2 right.
    const kept = 64;
    const chains = 3;
    const data = new Float32Array(kept * chains * 2);
    for (let i = 0; i < kept; i++) for (let c = 0; c < chains; c++) data[(i * chains + c) * 2] = c - 1.5 + i * 1e-3;
    const pts = pointsOf({ data, shape: [kept, chains, 2] }, 64);
    const left = pts.filter(([x]) => x < 0).length / pts.length;
    expect(left).toBeCloseTo(2 / 3, 6);
    expect(pts.length).toBeLessThanOrEqual(64);
    expect(new Set(pts.map(([x]) => Math.round(x + 1.5))).size).toBe(3);
  });

  it('runToBudget lands within half a step of the budget (1 % for ≥ 50 steps), small budgets included', () => {
    const u = new Gaussian();
    for (const [budget, chains] of [
      [1280, 64],
      [1000, 4],
      [6400, 16],
      [24_000, 16],
    ] as const) {
      const x0 = tf.zeros([chains, 2]) as tf.Tensor2D;
      const r = runToBudget(randomWalkMetropolis(u, { stepSize: 0.5 }), x0, budget, createRng(1));
      // rwm: one evaluation per chain per step, so the closest reachable count is a multiple of `chains`.
      expect(Math.abs(r.energyEvaluations - budget), `${budget}/${chains}`).toBeLessThanOrEqual(Math.max(chains / 2, 0.01 * budget));
      expect(r.draws.shape[0]).toBeGreaterThan(0);
      x0.dispose();
      tf.dispose(r.finalState as unknown as tf.Tensor[]);
    }
  });

  it('betweenChainStderr: chains stuck in their starting basins give the delta-method error of the chain fractions', () => {
    // 4 chains always right, 12 always left: p = 1/4, sd of fractions = √(16/15 · p(1 − p)).
    const ind = Array.from({ length: 16 }, (_, c) => new Float64Array(100).fill(c < 4 ? 1 : 0));
    const p = 0.25;
    const expected = Math.sqrt(((16 / 15) * p * (1 - p)) / 16) / (p * (1 - p));
    expect(betweenChainStderr(ind)).toBeCloseTo(expected, 10);
    // Chains that all mix equally have no between-chain spread.
    const mixed = Array.from({ length: 8 }, () => Float64Array.from({ length: 100 }, (_, i) => i % 2));
    expect(betweenChainStderr(mixed)).toBe(0);
  });

  it('mode coverage flags a collapsed flow (P = 0.001 vs exact 0.0329) and not a flow within its error', () => {
    const spec: CoordinateSpec = {
      index: 0,
      name: 'x₁',
      threshold: 0,
      deadZone: 1,
      profileEdges: [-1, 0, 1],
      referenceDeltaF: -Math.log(0.0329 / (1 - 0.0329)),
    };
    const collapsed = row('flow-imh');
    const fine = row('flow-is');
    checkModeCoverage([collapsed], { p: 0.00098, stderr: Math.sqrt((0.00098 * (1 - 0.00098)) / 2048), n: 2048 }, [collapsed], spec);
    checkModeCoverage([fine], { p: 0.031, stderr: Math.sqrt((0.031 * 0.969) / 2048), n: 2048 }, [fine], spec);
    expect(collapsed.flags).toContain('mode-mismatch');
    expect(collapsed.metrics!.referenceModeFraction).toBeCloseTo(0.0329, 6);
    expect(fine.flags).not.toContain('mode-mismatch');
  });

  it('verdict: ΔF misses, mode mismatch, few transitions, degenerate weights and ESS 0 never win; oracles never win on total cost; ratios are of ESS per evaluation', () => {
    const rows = [
      row('rwm', { ess: 50 }),
      row('mala', { ess: 80, metrics: { essStderr: 8 } }),
      row('flow-imh', { ess: 400, setupEnergyEvaluations: 30_000, trainingData: 'mcmc', metrics: { essStderr: 30 } }),
      row('flow-is', { ess: 5000, deltaF: { estimate: 2, stderr: 0.1, reference: 1 } }),
      row('snf', { ess: 3000, flags: ['mode-mismatch'] }),
      row('latent-metropolis', { ess: 300, setupEnergyEvaluations: 0, trainingData: 'exact' }),
      row('rwm-scan', { ess: 0 }),
      // Unreliable ESS: a chain with 3 crossings and weights with Kish ESS 12 neither win nor serve as the baseline.
      row('replica-exchange', { ess: 900, transitions: 3, flags: ['few-transitions'] }),
      row('fab-is', { ess: 12, flags: ['degenerate-weights'] }),
    ];
    const [total, sampling] = comparisonVerdicts(rows, 1);
    // Sampling: latent-metropolis 300/1e4 (oracles may win here) vs flow-imh 400/1e4 → flow-imh; baseline mala 80/1e4.
    expect(sampling.best).toBe('flow-imh');
    expect(sampling.baseline).toBe('mala');
    expect(sampling.ratio).toBeCloseTo(400 / 80, 10);
    // ±2σ on the log scale from the two relative errors, 10 % and 7.5 %.
    const rel = Math.hypot(8 / 80, 30 / 400);
    expect(sampling.ratioInterval![0]).toBeCloseTo(5 * Math.exp(-2 * rel), 10);
    expect(sampling.ratioInterval![1]).toBeCloseTo(5 * Math.exp(2 * rel), 10);
    // Total: flow-imh 400/4e4 = 0.01 vs mala 0.008: flow-imh, ratio 1.25; latent-metropolis is an oracle.
    expect(total.best).toBe('flow-imh');
    expect(total.ratio).toBeCloseTo(400 / 40_000 / (80 / 10_000), 10);
    expect(total.excluded.join(' ')).toMatch(/latent-metropolis: oracle/);
    for (const v of [total, sampling]) {
      expect(v.excluded.join(' ')).toMatch(/flow-is: ΔF 10\.0 stderr/);
      expect(v.excluded.join(' ')).toMatch(/snf: mode mismatch/);
      expect(v.excluded.join(' ')).toMatch(/rwm-scan: ESS 0/);
      expect(v.excluded.join(' ')).toMatch(/replica-exchange: few transitions \(3 < 20\)/);
      expect(v.excluded.join(' ')).toMatch(/fab-is: degenerate weights \(Kish ESS 12\.0 < 50\)/);
    }
    expect(verdictLine([total, sampling])).toMatch(
      /^verdict — total cost: best flow-imh, 1\.3× \[0\.97, 1\.6\] the ESS per evaluation of mala \(the interval includes 1: not a clear win\); sampling cost: best flow-imh, 5\.0× \[3\.9, 6\.4\] the ESS per evaluation of mala$/,
    );
  });

  it('compareSamplers rows: totals are setup + sampling, flow rows name their training data and report the flow mode fraction', async () => {
    const u = new Gaussian();
    const out = await compareSamplers(u, ['rwm', 'flow-is'], {
      budget: { evaluations: 2000, chains: 8, warmup: 20 },
      seed: 2,
      flowOptions: { layers: 2, hidden: 4, steps: 5, batchSize: 32, dataSamples: 64 },
    });
    for (const { result: r } of out) {
      expect(r.totalEnergyEvaluations).toBe(r.energyEvaluations + r.setupEnergyEvaluations);
      expect(r.essPerTotalEnergyEvaluation).toBeCloseTo(r.ess / r.totalEnergyEvaluations, 12);
      expect(r.totalWallSeconds).toBeGreaterThanOrEqual(r.wallSeconds);
    }
    expect(out[0].result.trainingData).toBe('none');
    expect(out[1].result.trainingData).toBe('mcmc');
    expect(out[1].result.setupEnergyEvaluations).toBeGreaterThan(0);
    // The flow's own fraction is its unweighted proposals' (flow-is draws), compared with no reference here.
    const xs = out[1].draws!;
    let above = 0;
    for (let i = 0; i < xs.shape[0]; i++) if (xs.data[i * 2] > 0) above++;
    expect(out[1].result.metrics!.flowModeFraction).toBeCloseTo(above / xs.shape[0], 5);
  }, 60_000);

  it('without an importance sampler the flow is sampled once for its mode fraction (flow-imh alone)', async () => {
    const out = await compareSamplers(new Gaussian(), ['flow-imh'], {
      budget: { evaluations: 800, chains: 8, warmup: 10 },
      seed: 5,
      flowOptions: { layers: 2, hidden: 4, steps: 3, batchSize: 32, dataSamples: 64 },
    });
    const m = out[0].result.metrics!;
    expect(m.flowModeFraction).toBeGreaterThan(0);
    expect(m.flowModeFraction).toBeLessThan(1);
    expect(m.flowModeFractionStderr).toBeCloseTo(Math.sqrt((m.flowModeFraction! * (1 - m.flowModeFraction!)) / 2048), 5);
  }, 60_000);
});
