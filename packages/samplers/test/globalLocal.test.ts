import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { countingEnergy, GaussianMixtureEnergy } from '@boltzflow/energies';
import { compareSamplers, globalLocalSampler } from '../src/index.js';

describe('globalLocalSampler (flowMC)', () => {
  // Two modes 8 apart (σ = 0.7): no local move crosses; weights 0.3 / 0.7.
  const target = () =>
    countingEnergy(
      new GaussianMixtureEnergy({
        means: [
          [-4, 0],
          [4, 0],
        ],
        scale: 0.7,
        weights: [0.3, 0.7],
      }),
    );
  const start = (chains: number) => tf.tensor2d(Array.from({ length: chains }, (_, c) => [c % 2 === 0 ? -4 : 4, 0]).flat(), [chains, 2]);

  for (const globalMove of ['flow-imh', 'latent-metropolis'] as const) {
    it(`${globalMove}: production samples recover the mode weights from a 50/50 start, every evaluation counted`, async () => {
      const energy = target();
      const flow = new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 4, hidden: [16, 16], rng: createRng(1) }));
      const chains = 64;
      const before = tf.memory().numTensors;
      const x0 = start(chains);
      const r = await globalLocalSampler(flow, energy, x0, {
        localStepSize: 0.5,
        localSteps: 20,
        globalSteps: 20,
        globalMove,
        latentStepSize: 1.5,
        trainingLoops: 4,
        productionLoops: 4,
        trainStepsPerLoop: 100,
        learningRate: 5e-3,
        rng: createRng(2),
      });
      x0.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const [kept, c, dim] = r.samples.shape;
      expect([kept, c, dim]).toEqual([4 * 40, chains, 2]);
      // per-chain fractions at x₁ > 0 are independent across chains: their spread is the Monte-Carlo error
      const fractions = Array.from({ length: chains }, (_, k) => {
        const s = r.samples.series(k, 0);
        return s.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) / s.length;
      });
      const mean = fractions.reduce((a, b) => a + b, 0) / chains;
      const se = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / (chains - 1) / chains);
      expect(Math.abs(mean - 0.7)).toBeLessThan(4 * se + 0.02);
      expect(r.globalAcceptance).toBeGreaterThan(0.05);
      expect(r.energyEvaluations + r.setupEnergyEvaluations).toBe(energy.counts.energy + energy.counts.gradient);
      flow.trainableVariables.forEach((v) => v.dispose());
    });
  }

  it('overdispersed starts: a wrong start population is corrected by the frozen flow, the start counted as setup', async () => {
    const energy = target();
    const flow = new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 4, hidden: [16, 16], rng: createRng(3) }));
    const chains = 64;
    const before = tf.memory().numTensors;
    const x0 = start(chains);
    // N((−2.5, 0), 3²): P(x₁ > 0) ≈ Φ(−2.5/3) ≈ 0.2 of the chains start on the right, against 0.7 at equilibrium.
    let startedRight = NaN;
    const draw = (n: number, rng: ReturnType<typeof createRng>) => {
      const d = tf.tidy(() => tf.add(tf.tensor2d([[-2.5, 0]]), tf.mul(rng.normal([n, 2]), 3)) as tf.Tensor2D);
      const v = d.dataSync();
      startedRight = Array.from({ length: n }, (_, i) => (v[2 * i] > 0 ? 1 : 0)).reduce<number>((a, b) => a + b, 0) / n;
      return d;
    };
    let countedAtFirstLoop = NaN;
    const frozen: Float32Array[][] = [];
    const r = await globalLocalSampler(flow, energy, x0, {
      localStepSize: 0.5,
      localSteps: 20,
      globalSteps: 20,
      trainingLoops: 4,
      productionLoops: 4,
      trainStepsPerLoop: 100,
      learningRate: 5e-3,
      start: 'overdispersed',
      overdispersed: { draw, relaxSteps: 30, relaxMaxStep: 0.3, burnInSteps: 10 },
      logZSamples: 4000,
      rng: createRng(5),
      onLoop: (rep) => {
        if (rep.loop === 1) countedAtFirstLoop = energy.counts.energy + energy.counts.gradient;
        // the flow's weights in every production loop: frozen, so the production chain is one fixed MH kernel
        if (rep.phase === 'production') frozen.push(flow.trainableVariables.map((v) => v.dataSync() as Float32Array).map((a) => Float32Array.from(a)));
      },
    });
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(startedRight).toBeLessThan(0.35);
    // start = 30 relaxation gradients + a 10-step MALA block (its init and one gradient per step) per chain
    expect(r.startEnergyEvaluations).toBe(countedAtFirstLoop - r.history[0]!.energyEvaluations);
    expect(r.startEnergyEvaluations).toBe(chains * (30 + 11));
    expect(r.energyEvaluations + r.setupEnergyEvaluations).toBe(energy.counts.energy + energy.counts.gradient);
    expect(r.setupEnergyEvaluations).toBe(
      r.startEnergyEvaluations + r.history.filter((h) => h.phase === 'training').reduce((a, h) => a + h.energyEvaluations, 0),
    );
    // log Z of the frozen flow by importance sampling: exp(−u) is a normalised density, log Z = 0 exactly
    expect(r.logZ!.samples).toBe(4000);
    expect(Math.abs(r.logZ!.logZ)).toBeLessThan(4 * r.logZ!.stderr + 1e-3);
    expect(r.logZ!.stderr).toBeLessThan(0.1);
    expect(frozen).toHaveLength(4);
    for (const snap of frozen.slice(1)) snap.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(frozen[0]![i]!)));
    const fractions = Array.from({ length: chains }, (_, k) => {
      const s = r.samples.series(k, 0);
      return s.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) / s.length;
    });
    const mean = fractions.reduce((a, b) => a + b, 0) / chains;
    const se = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / (chains - 1) / chains);
    expect(Math.abs(mean - 0.7)).toBeLessThan(4 * se + 0.02);
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('refuses an unknown start and a draw of the wrong shape', async () => {
    const flow = new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 2, hidden: [8], rng: createRng(1) }));
    const x0 = start(4);
    const bad = await globalLocalSampler(flow, target(), x0, { localStepSize: 0.5, rng: createRng(0), start: 'random' as 'given' }).catch((err) => err);
    expect(isBoltzflowError(bad) && (bad as Error).message).toMatch(/Unknown chain start/);
    const shape = await globalLocalSampler(flow, target(), x0, {
      localStepSize: 0.5,
      rng: createRng(0),
      start: 'overdispersed',
      overdispersed: { draw: (n) => tf.zeros([n, 3]) as tf.Tensor2D },
    }).catch((err) => err);
    expect(isBoltzflowError(shape) && (shape as Error).message).toMatch(/wrong shape/);
    x0.dispose();
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('refuses a flow of the wrong dimension', async () => {
    const flow = new TransformedDistribution(Normal.standard(3), realNVP({ dim: 3, layers: 2, hidden: [8], rng: createRng(1) }));
    const x0 = start(4);
    const e = await globalLocalSampler(flow, target(), x0, { localStepSize: 0.5, rng: createRng(0) }).catch((err) => err);
    x0.dispose();
    expect(isBoltzflowError(e) && (e as Error).message).toMatch(/different dimensions/);
  });
});

describe('flowmc and bg-loop recipes', () => {
  it('run through compareSamplers from the energy alone: ΔF of a shifted Gaussian, budget kept, setup counted', async () => {
    const inner = new GaussianMixtureEnergy({ means: [[0.5, 0]], scale: 1 });
    const exact = -Math.log((1 - 0.5 * (1 + erf(-0.5 / Math.SQRT2))) / (0.5 * (1 + erf(-0.5 / Math.SQRT2))));
    for (const name of ['flowmc', 'bg-loop']) {
      const u = countingEnergy(inner);
      const params = { localSteps: 10, globalSteps: 10, trainingLoops: 2, trainStepsPerLoop: 30, layers: 2, hidden: 8 };
      const [o] = await compareSamplers(u, [{ name, params }], { budget: { evaluations: 8000, chains: 16, warmup: 20 }, seed: 4 });
      const r = o.result;
      expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.counts.energy + u.counts.gradient);
      expect(r.setupEnergyEvaluations).toBeGreaterThan(0);
      expect(Math.abs(r.energyEvaluations - 8000)).toBeLessThan(0.05 * 8000);
      expect(Math.abs(r.deltaF!.estimate - exact)).toBeLessThan(4 * r.deltaF!.stderr);
    }
  });
});

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
