import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, type Bijector } from '@boltzflow/core';
import { realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { countingEnergy, DoubleWell } from '@boltzflow/energies';
import { kishESS } from '@boltzflow/estimators';
import { StochasticNormalizingFlow, linearLambdas, metropolisBlock, type SnfLayer } from '@boltzflow/mcmc';
import { trainSNF } from '../src/index.js';

/** i.i.d. double-well samples by inverse CDF of the x₁ marginal on a fine grid (test data; x₂ ~ N(0, 1/d)). */
function doubleWellSamples(energy: DoubleWell, n: number, seed: number): tf.Tensor2D {
  const grid = Array.from({ length: 4001 }, (_, i) => -4 + (8 * i) / 4000);
  const f = energy.freeEnergyProfile(grid).f;
  const cdf: number[] = [];
  let acc = 0;
  for (const v of f) cdf.push((acc += Math.exp(-v)));
  const rng = createRng(seed);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.nextUniform() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    rows.push(grid[lo] + (rng.nextUniform() - 0.5) * 0.002, rng.nextNormal() / Math.sqrt(energy.d));
  }
  return tf.tensor2d(rows, [n, 2]);
}

describe('SNF trained end to end on the double well (path KL + ML through the backward path)', () => {
  it('has a higher Kish ESS than the same trained flow layers without the stochastic blocks, and ML keeps the minority well', async () => {
    const energy = new DoubleWell();
    const data = doubleWellSamples(energy, 1024, 3);
    const steps = 50;

    // Two couplings, each followed by Metropolis blocks, trained end to end.
    const snfChain = realNVP({ dim: 2, layers: 2, hidden: [16, 16], rng: createRng(11) });
    const n = 2000;
    const couplings = (snfChain as unknown as { bijectors: Bijector[] }).bijectors;
    // two annealing blocks after each coupling, λ = 1/4 … 1 (the last one at the target)
    const lambdas = linearLambdas(2 * couplings.length);
    const layers: SnfLayer[] = couplings.flatMap((c, k) => [
      c,
      metropolisBlock({ lambda: lambdas[2 * k], steps: 5, stepSize: 0.3 }),
      metropolisBlock({ lambda: lambdas[2 * k + 1], steps: 5, stepSize: 0.3 }),
    ]);
    const counted = countingEnergy(energy);
    const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: counted, layers });
    const before = tf.memory().numTensors;
    const r = await trainSNF(snf, { steps, batchSize: 32, learningRate: 3e-3, weights: { kl: 1, ml: 1 }, data, seed: 4 });
    expect(tf.memory().numTensors).toBe(before); // ML minibatches and backward paths are freed
    // every path's Metropolis steps are counted: forward (KL) and backward (ML) paths, 4 blocks × 5 steps × 32 rows per step
    expect(r.energyEvaluations).toBeGreaterThanOrEqual(2 * 4 * 5 * 32 * steps);
    const s = snf.sample(n, createRng(5));
    const lw = s.logWeights.dataSync();
    const essSnf = kishESS(Float64Array.from(lw)).fraction;
    // ΔF = F(x₁ > 0) − F(x₁ < 0) from the path weights, against quadrature (mode-seeking KL alone loses the minority well)
    const x1 = s.x.dataSync();
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(lw[i]);
      if (x1[2 * i] > 0) pos += w;
      else neg += w;
    }
    const deltaF = -Math.log(pos / neg);
    tf.dispose([s.x, s.logWeights, s.energy]);
    // The same trained couplings without the stochastic blocks: plain flow importance sampling.
    const flow = new TransformedDistribution(Normal.standard(2), snfChain);
    const x = flow.sample(n, createRng(5));
    const lwFlow = tf.tidy(() => tf.neg(tf.add(energy.energy(x), flow.logProb(x))) as tf.Tensor1D);
    const essFlow = kishESS(Float64Array.from(lwFlow.dataSync())).fraction;
    tf.dispose([x, lwFlow]);
    expect(essSnf).toBeGreaterThan(essFlow);
    expect(Math.abs(deltaF - energy.deltaF())).toBeLessThan(0.5);
    snfChain.dispose();
    data.dispose();
  }, 60_000);
});
