import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { importanceSummary, reparameterizedSample, train, trainKL, type TrainingProgress } from '../src/index.js';
import { affineFlow, affineOf, gaussianOf, weightsOf } from './affineFlow.js';
import { gaussianData, gaussianEnergy, gaussianKL } from './gaussian.js';

const MU = [1, -0.5];
const SIGMA = [
  [1.5, 0.6],
  [0.6, 0.8],
];

describe('trainKL', () => {
  it('fits a Gaussian energy with an affine flow: closed-form KL ≈ 0 and ESS fraction ≈ 1', async () => {
    const flow = affineFlow(2);
    const res = await trainKL(flow, gaussianEnergy(MU, SIGMA), {
      batchSize: 256,
      steps: 400,
      learningRate: { type: 'cosine', initial: 0.05, final: 1e-4 },
      seed: 7,
    });
    const fit = gaussianOf(flow);
    expect(gaussianKL(fit.mean, fit.cov, MU, SIGMA)).toBeLessThan(1e-3);
    expect(res.essFraction).toBeGreaterThan(0.98);
    // Independent check on fresh samples: log w = −u − log q is constant (= log Z) when q = p.
    const rng = createRng(99);
    const { x, logQ } = reparameterizedSample(flow, 2000, rng);
    const u = gaussianEnergy(MU, SIGMA).energy(x);
    const lw = tf.neg(tf.add(u, logQ));
    const s = importanceSummary(lw.dataSync());
    const logZ = Math.log(2 * Math.PI) + 0.5 * Math.log(SIGMA[0][0] * SIGMA[1][1] - SIGMA[0][1] ** 2);
    expect(s.essFraction).toBeGreaterThan(0.99);
    expect(Math.abs(s.logZ - logZ)).toBeLessThan(0.01);
    // The reported loss is KL − log Z.
    expect(Math.abs(res.loss + logZ)).toBeLessThan(0.02);
    tf.dispose([x, logQ, u, lw]);
    flow.dispose();
  });

  it('stops with DIVERGED (naming the step) when the energy turns NaN, restoring the last finite-loss weights', async () => {
    let calls = 0;
    const base = gaussianEnergy(MU, SIGMA);
    const energy = energyFromFunction((x) => {
      calls++;
      const u = base.energy(x);
      if (calls <= 5) return u;
      const nan = tf.mul(u, NaN) as tf.Tensor1D;
      u.dispose();
      return nan;
    }, 2);
    const flow = affineFlow(2);
    const seen: Record<number, number[][]> = {};
    const reports: TrainingProgress[] = [];
    let err: unknown;
    try {
      await trainKL(flow, energy, {
        batchSize: 64,
        steps: 50,
        learningRate: 0.05,
        maxNonFiniteSteps: 3,
        progressEvery: 1,
        onProgress: (p) => {
          reports.push(p);
          if (!p.skipped) seen[p.step] = weightsOf(flow);
        },
      });
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err) && err.code).toBe('DIVERGED');
    expect((err as { details: { step: number } }).details.step).toBe(8);
    expect((err as Error).message).toContain('step 8');
    expect(reports.filter((r) => r.skipped).map((r) => r.step)).toEqual([6, 7, 8]);
    // Steps 1–5 had finite losses; the weights that gave step 5 its finite loss are those after step 4's update.
    const w = weightsOf(flow);
    expect(w.slice(0, 3)).toEqual(seen[4].slice(0, 3));
    flow.dispose();
  });

  it('rejects an energy whose dimension differs from the flow', async () => {
    const flow = affineFlow(2);
    await expect(
      trainKL(
        flow,
        gaussianEnergy(
          [0, 0, 0],
          [
            [1, 0],
            [0, 1],
          ],
        ),
        { steps: 1 },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_SHAPE' });
    flow.dispose();
  });

  it('keeps tf.memory().numTensors flat over 200 mixed steps and calls updateSpectralNorm after every update', async () => {
    const rng = createRng(11);
    const data = gaussianData(256, MU, SIGMA, rng);
    const flow = affineFlow(2);
    const energy = gaussianEnergy(MU, SIGMA);
    const before = tf.memory().numTensors;
    const counts: Record<number, number> = {};
    await train(flow, {
      data: data.x,
      energy,
      weights: { ml: 1, kl: 1 },
      batchSize: 32,
      klBatchSize: 32,
      steps: 200,
      temperatureSchedule: { from: 4, steps: 100 },
      learningRate: { type: 'exponential', initial: 0.01, decayRate: 0.5, decaySteps: 100 },
      clipGradNorm: 10,
      progressEvery: 1,
      validateEvery: 50,
      onProgress: (p) => {
        counts[p.step] = tf.memory().numTensors;
      },
    });
    expect(counts[200]).toBe(counts[10]);
    expect(counts[150]).toBe(counts[10]);
    expect(tf.memory().numTensors).toBe(before);
    expect(affineOf(flow).counter.dataSync()[0]).toBe(200);
    data.x.dispose();
    flow.dispose();
  });
});
