import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@boltzflow/core';
import { realNVP } from '@boltzflow/bijectors';
import { Normal } from '@boltzflow/distributions';
import { StochasticNormalizingFlow, langevinBlock, linearLambdas, metropolisBlock, type SnfLayer } from '../src/flow/index.js';
import { gaussianEnergy } from './flowFixtures.js';

/**
 * The SNF's path weights are unbiased for any flow layers, trained or not: E[w] = Z. Checked with perturbed (random,
 * untrained) RealNVP couplings interleaved with Metropolis or MALA blocks at λ_k = k/K, on a Gaussian with known Z,
 * from independent batches (the spread of the batch means is the Monte-Carlo error).
 */
describe('StochasticNormalizingFlow path weights', () => {
  const { energy, logZ } = gaussianEnergy([1.5, -0.5], [0.7, 1.3], 0.4);
  // Perturbation of the couplings' weights. With MALA blocks and 0.3 the weights are so heavy-tailed (single weights
  // ≈ 10³·Z among 5·10³ draws) that 12 × 400-draw batch means sit near 0.8 for most seeds, with a spread that
  // misses the rare large weights: measured with the Mersenne Twister (seeds 22, 23 fail) and with xoshiro128**
  // (seeds 19, 20, 22 fail). At 0.1 all of seeds 19–24 pass with xoshiro128**.
  const blocks: [string, (lambda: number) => SnfLayer, number][] = [
    ['Metropolis', (lambda) => metropolisBlock({ lambda, steps: 2, stepSize: 0.4 }), 0.3],
    ['MALA', (lambda) => langevinBlock({ lambda, steps: 2, stepSize: 0.15, metropolize: true }), 0.1],
  ];
  for (const [name, block, perturb] of blocks) {
    it(`E[w] = Z for untrained RealNVP layers interleaved with ${name} blocks`, () => {
      const couplings = realNVP({ dim: 2, layers: 3, hidden: [8], rng: createRng(17) });
      // perturb the (near-identity) initial weights so the layers are a genuinely poor, non-trivial proposal
      const prng = createRng(18);
      for (const v of couplings.trainableVariables) v.assign(tf.tidy(() => tf.add(v, tf.mul(prng.normal(v.shape), perturb))));
      const flowLayers = (couplings as unknown as { bijectors: SnfLayer[] }).bijectors;
      const lambdas = linearLambdas(flowLayers.length);
      const layers = flowLayers.flatMap((b, k) => [b, block(lambdas[k])]);
      const snf = new StochasticNormalizingFlow({ base: Normal.standard(2), target: energy, layers });
      const batches = 12;
      const n = 400;
      const means: number[] = [];
      const rng = createRng(19);
      for (let b = 0; b < batches; b++) {
        const s = snf.sample(n, rng);
        const lw = s.logWeights.dataSync();
        means.push(Array.from(lw).reduce((acc, l) => acc + Math.exp(l - logZ), 0) / n);
        tf.dispose([s.x, s.logWeights, s.energy]);
      }
      const mean = means.reduce((a, b) => a + b, 0) / batches;
      const se = Math.sqrt(means.reduce((a, m) => a + (m - mean) ** 2, 0) / (batches - 1) / batches);
      expect(Math.abs(mean - 1)).toBeLessThan(4 * se + 0.02);
      expect(se).toBeLessThan(0.15);
      couplings.dispose();
    });
  }
});
