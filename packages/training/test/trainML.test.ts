import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { trainML } from '../src/index.js';
import { affineFlow, gaussianOf } from './affineFlow.js';
import { gaussianData, gaussianMLE, gaussianNLL } from './gaussian.js';

describe('trainML', () => {
  it('recovers the closed-form MLE of a 2D Gaussian with an affine flow, and reports the held-out NLL', async () => {
    const rng = createRng(1);
    const train = gaussianData(
      300,
      [1, -2],
      [
        [2, 0.8],
        [0.8, 1],
      ],
      rng,
    );
    const val = gaussianData(
      200,
      [1, -2],
      [
        [2, 0.8],
        [0.8, 1],
      ],
      rng,
    );
    const flow = affineFlow(2);
    const reports: number[] = [];
    const res = await trainML(flow, train.x, {
      batchSize: 300,
      steps: 600,
      learningRate: { type: 'cosine', initial: 0.05, final: 1e-4 },
      validationData: val.x,
      seed: 3,
      onProgress: (p) => {
        if (p.validationNLL !== undefined) reports.push(p.validationNLL);
      },
    });
    const mle = gaussianMLE(train.host);
    const fit = gaussianOf(flow);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(fit.mean[i] - mle.mean[i])).toBeLessThan(2e-3);
      for (let j = 0; j < 2; j++) expect(Math.abs(fit.cov[i][j] - mle.cov[i][j])).toBeLessThan(5e-3);
    }
    // Held-out NLL reported by training = the Gaussian NLL of the fitted parameters, computed here independently.
    expect(res.validationNLL).toBeDefined();
    expect(Math.abs(res.validationNLL! - gaussianNLL(val.host, fit.mean, fit.cov))).toBeLessThan(1e-4);
    expect(reports.length).toBeGreaterThan(0);
    expect(res.steps).toBe(600);
    expect(res.skippedSteps).toEqual([]);
    tf.dispose([train.x, val.x]);
    flow.dispose();
  });

  it('recovers a 1D Gaussian MLE with minibatches and a seeded held-out split', async () => {
    const rng = createRng(2);
    const data = gaussianData(500, [0.5], [[0.25]], rng);
    const flow = affineFlow(1);
    const res = await trainML(flow, data.x, {
      batchSize: 100,
      epochs: 80,
      learningRate: { type: 'cosine', initial: 0.05, final: 0 },
      validationFraction: 0.2,
      seed: 4,
    });
    expect(res.epochs).toBe(80);
    expect(res.steps).toBe(80 * 4);
    // Minibatch noise vanishes as the cosine schedule goes to 0; compare with the MLE of all data within its standard error.
    const mle = gaussianMLE(data.host);
    const fit = gaussianOf(flow);
    const se = Math.sqrt(mle.cov[0][0] / 400);
    expect(Math.abs(fit.mean[0] - mle.mean[0])).toBeLessThan(5 * se);
    expect(Math.abs(fit.cov[0][0] / mle.cov[0][0] - 1)).toBeLessThan(5 * Math.sqrt(2 / 400));
    expect(res.validationNLL).toBeLessThan(gaussianNLL(data.host, [0], [[1]]));
    data.x.dispose();
    flow.dispose();
  });

  it('rejects data whose width differs from the flow dimension', async () => {
    const flow = affineFlow(2);
    const x = tf.zeros([10, 3]) as tf.Tensor2D;
    await expect(trainML(flow, x, { steps: 1 })).rejects.toMatchObject({ code: 'INVALID_SHAPE' });
    x.dispose();
    flow.dispose();
  });

  it('stops with DIVERGED at learning rate 1e3 and keeps finite last good weights', async () => {
    const rng = createRng(5);
    const data = gaussianData(
      200,
      [0, 0],
      [
        [1, 0],
        [0, 1],
      ],
      rng,
    );
    const flow = affineFlow(2);
    let err: unknown;
    try {
      await trainML(flow, data.x, { batchSize: 50, steps: 200, learningRate: 1e3, maxNonFiniteSteps: 3, validationFraction: 0 });
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err) && err.code).toBe('DIVERGED');
    const step = (err as { details: { step: number } }).details.step;
    expect((err as Error).message).toContain(`step ${step}`);
    // The restored weights give a finite likelihood.
    const lp = flow.logProb(data.x);
    expect(Number.isFinite(tf.sum(lp).dataSync()[0])).toBe(true);
    tf.dispose([lp, data.x]);
    flow.dispose();
  });
});
