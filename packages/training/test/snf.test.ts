import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, type Bijector } from '@boltzflow/core';
import { realNVP } from '@boltzflow/bijectors';
import { Normal } from '@boltzflow/distributions';
import { countingEnergy, DoubleWell, energyFromFunction } from '@boltzflow/energies';
import { StochasticNormalizingFlow, linearLambdas, metropolisBlock, type SnfLayer } from '@boltzflow/mcmc';
import { trainSNF } from '../src/index.js';

describe('trainSNF', () => {
  it('trains flow layers interleaved with Metropolis blocks end to end by path KL, counting evaluations', async () => {
    // A Gaussian far from the base: the path KL starts near |m|²/2 − log 2π ≈ 4.7 and its floor is −log Z = −log 2π.
    const energy = energyFromFunction((x) => tf.tidy(() => tf.sum(tf.square(tf.sub(x, tf.tensor1d([3, -2]))), 1).mul(0.5) as tf.Tensor1D), 2);
    const couplings = realNVP({ dim: 2, layers: 3, hidden: [16, 16], rng: createRng(1) });
    const flowLayers = (couplings as unknown as { bijectors: Bijector[] }).bijectors;
    // The paper's architecture: each flow block followed by a Metropolis block at λ_k = k/K.
    const lambdas = linearLambdas(flowLayers.length);
    const layers: SnfLayer[] = flowLayers.flatMap((b, k) => [b, metropolisBlock({ lambda: lambdas[k], steps: 5, stepSize: 0.3 })]);
    const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: energy, layers });
    const before = tf.memory().numTensors;
    const result = await trainSNF(snf, { steps: 60, batchSize: 64, learningRate: 3e-3, seed: 2, progressEvery: 1 });
    expect(tf.memory().numTensors).toBe(before);
    // every training path evaluates u at each Metropolis step: 3 blocks × 5 steps × 128 paths × 150 steps (+ energies at λ > 0)
    expect(result.energyEvaluations).toBeGreaterThanOrEqual(3 * 5 * 64 * 60);
    // the path KL falls: mean of the last 15 steps' losses against the first 15
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const losses = result.history.map((h) => h.loss);
    expect(mean(losses.slice(-15))).toBeLessThan(mean(losses.slice(0, 15)) - 1);
  });

  it('counts exactly what a counting wrapper sees', async () => {
    const target = countingEnergy(new DoubleWell());
    const couplings = realNVP({ dim: 2, layers: 1, hidden: [8], rng: createRng(4) });
    const snf = new StochasticNormalizingFlow({
      base: Normal.standard(2),
      target,
      layers: [couplings, metropolisBlock({ lambda: 1, steps: 2, stepSize: 0.3 })],
    });
    const r = await trainSNF(snf, { steps: 3, batchSize: 16, seed: 1 });
    expect(r.energyEvaluations).toBe(target.counts.energy + target.counts.gradient);
    expect(r.energyEvaluations).toBeGreaterThan(0);
  });
});
