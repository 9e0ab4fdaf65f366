import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '@boltzflow/core';
import { ContinuousFlow, MLPVectorField } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { reparameterizedSample, trainKL, trainML } from '../src/index.js';
import { det, gaussianData, gaussianEnergy, gaussianNLL } from './gaussian.js';

// Likelihood training of a CNF differentiates its log-det Tr ∂f/∂x in the weights: second-order autodiff.
const MU = [1, -0.5];
const SIGMA = [
  [1.5, 0.6],
  [0.6, 0.8],
];
const logZ = 0.5 * Math.log((2 * Math.PI) ** 2 * det(SIGMA));

function cnf(trace: 'exact' | 'hutchinson'): { flow: ContinuousFlow; model: TransformedDistribution } {
  const flow = new ContinuousFlow(new MLPVectorField({ dim: 2, hidden: [32], activation: 'tanh', rng: createRng(1) }), { steps: 6, trace, rng: createRng(3) });
  return { flow, model: new TransformedDistribution(Normal.standard(2), flow) };
}

describe('likelihood training of a ContinuousFlow', () => {
  it('trainKL (exact trace) fits a Gaussian energy: KL(q‖p) from fresh samples and the closed-form log Z ≈ 0', async () => {
    const { model } = cnf('exact');
    const energy = gaussianEnergy(MU, SIGMA);
    const klOf = () =>
      tf.tidy(() => {
        const { x, logQ } = reparameterizedSample(model, 2000, createRng(5));
        const v = tf.add(energy.energy(x), logQ);
        const { mean, variance } = tf.moments(v);
        return { kl: mean.dataSync()[0] + logZ, se: Math.sqrt(variance.dataSync()[0] / 2000) };
      });
    const before = klOf();
    const res = await trainKL(model, energy, { batchSize: 128, steps: 100, learningRate: { type: 'cosine', initial: 0.02, final: 1e-4 }, seed: 1 });
    const after = klOf();
    expect(before.kl).toBeGreaterThan(0.3);
    expect(after.kl).toBeLessThan(0.03 + 4 * after.se);
    expect(res.essFraction).toBeGreaterThan(0.9);
    model.dispose();
  });

  it('trainML (Hutchinson trace) fits Gaussian data: held-out exact-trace NLL within 0.05 of the true density’s', async () => {
    const { flow, model } = cnf('hutchinson');
    const { x: data } = gaussianData(2000, MU, SIGMA, createRng(2));
    const { x: held, host } = gaussianData(1000, MU, SIGMA, createRng(4));
    await trainML(model, data, { batchSize: 128, steps: 150, learningRate: { type: 'cosine', initial: 0.02, final: 1e-4 }, validationData: held, seed: 1 });
    flow.trace = 'exact';
    const nll = tf.tidy(() => -tf.mean(model.logProb(held)).dataSync()[0]);
    // Same held-out points for both, so the difference estimates KL(p‖q) ≥ 0 with little noise.
    const gap = nll - gaussianNLL(host, MU, SIGMA);
    expect(gap).toBeLessThan(0.05);
    expect(gap).toBeGreaterThan(-0.02);
    tf.dispose([data, held]);
    model.dispose();
  });
});
