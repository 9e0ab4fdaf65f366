import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createRng, isBoltzflowError, kabsch, permuteParticles, randomPermutation, randomRotation, rotateParticles } from '@boltzflow/core';
import { ContinuousFlow, EGNNVectorField, MLPVectorField } from '@boltzflow/bijectors';
import { MeanFreeNormal, Normal } from '@boltzflow/distributions';
import { alignParticles, flowMatchingLoss, hungarian, pairBatch, trainFlowMatching } from '../src/index.js';

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)]));
}

describe('Hungarian matching', () => {
  it('matches brute force on random cost matrices (n = 1…6)', () => {
    const rng = createRng(1);
    for (let n = 1; n <= 6; n++) {
      for (let rep = 0; rep < 5; rep++) {
        const cost = Array.from({ length: n }, () => Array.from({ length: n }, () => Math.round(rng.nextUniform() * 20) / 2 - 3));
        const best = Math.min(...permutations(n).map((p) => p.reduce((s, j, i) => s + cost[i][j], 0)));
        const r = hungarian(cost);
        expect(new Set(r.assignment).size).toBe(n);
        expect(Math.abs(r.cost - best)).toBeLessThan(1e-9);
      }
    }
  });
  it('rejects non-square or non-finite costs', () => {
    for (const bad of [[[1, 2]], [[NaN]]]) {
      let err: unknown;
      try {
        hungarian(bad);
      } catch (e) {
        err = e;
      }
      expect(isBoltzflowError(err)).toBe(true);
    }
  });
});

describe('Kabsch and particle alignment', () => {
  it('recovers a known rotation in 2D and 3D', () => {
    const rng = createRng(2);
    for (const d of [2, 3]) {
      const R = randomRotation(d, rng);
      const b = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.nextNormal()));
      const mean = Array.from({ length: d }, (_, k) => b.reduce((s, p) => s + p[k], 0) / b.length);
      const bc = b.map((p) => p.map((v, k) => v - mean[k]));
      const a = bc.map((p) => R.map((row) => row.reduce((s, v, k) => s + v * p[k], 0)));
      const est = kabsch(a, bc);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(Math.abs(est[i][j] - R[i][j])).toBeLessThan(1e-9);
    }
  });

  it('undoes a permutation, rotation and translation of a configuration', () => {
    const rng = createRng(3);
    const P = 5;
    const S = 3;
    const x0 = rng.normal([1, P * S]) as tf.Tensor2D;
    const R = randomRotation(S, rng);
    const perm = randomPermutation(P, rng);
    const x1 = tf.tidy(() => tf.add(permuteParticles(rotateParticles(x0, R, P, S), perm, P, S), tf.tile(tf.tensor2d([[1, -2, 0.5]]), [1, P])) as tf.Tensor2D);
    const x0v = x0.dataSync();
    const mean = [0, 1, 2].map((k) => Array.from({ length: P }, (_, i) => x0v[i * S + k]).reduce((s, v) => s + v, 0) / P);
    const { aligned, distance2 } = alignParticles(x0v, x1.dataSync(), P, S);
    expect(distance2).toBeLessThan(1e-8);
    for (let i = 0; i < P * S; i++) expect(Math.abs(aligned[i] - (x0v[i] - mean[i % S]))).toBeLessThan(1e-5);
    tf.dispose([x0, x1]);
  });

  it('equivariant-OT pairing lowers the mean transport cost against random pairing', () => {
    const base = new MeanFreeNormal({ particles: 4, spatialDim: 2 });
    const rng = createRng(4);
    const x0 = base.sample(16, rng);
    const x1 = tf.tidy(() => tf.mul(base.sample(16, rng), 2) as tf.Tensor2D);
    const cost = (y: tf.Tensor2D) => tf.tidy(() => tf.mean(tf.sum(tf.square(tf.sub(x0, y)), 1)).dataSync()[0]);
    const none = pairBatch(x0, x1, {});
    const ot = pairBatch(x0, x1, { pairing: 'ot' });
    const eq = pairBatch(x0, x1, { alignment: 'equivariant-ot', pairing: 'ot', particles: 4, spatialDim: 2 });
    expect(cost(ot)).toBeLessThan(cost(none));
    expect(cost(eq)).toBeLessThan(cost(ot));
    tf.dispose([x0, x1, none, ot, eq]);
  });
});

describe('trainFlowMatching', () => {
  it('Gaussian → Gaussian: the loss falls and flow samples move to the target', async () => {
    const rng = createRng(5);
    const target = [3, -2];
    const data = tf.tidy(() => tf.add(tf.mul(rng.normal([512, 2]), 0.5), tf.tensor1d(target)) as tf.Tensor2D);
    const base = Normal.standard(2);
    const field = new MLPVectorField({ dim: 2, hidden: [32], rng: createRng(6) });
    const flow = new ContinuousFlow(field, { steps: 10 });
    const before = tf.memory().numTensors;
    const res = await trainFlowMatching(flow, data, { base, steps: 300, batchSize: 64, learningRate: 5e-3, pairing: 'ot', seed: 7, progressEvery: 10 });
    expect(tf.memory().numTensors).toBe(before);
    const first = res.history.slice(0, 3).reduce((s, p) => s + p.loss, 0) / 3;
    const last = res.history.slice(-3).reduce((s, p) => s + p.loss, 0) / 3;
    expect(last).toBeLessThan(0.5 * first);
    const z = base.sample(400, createRng(8));
    const { y, logDet } = flow.forward(z);
    const mean = tf.mean(y, 0).arraySync() as number[];
    const sd = tf.moments(y, 0).variance.sqrt().arraySync() as number[];
    // Target mean (3, −2), sd 0.5: the standard error of the sample mean is 0.025; allow model error 0.25.
    for (let k = 0; k < 2; k++) {
      expect(Math.abs(mean[k] - target[k])).toBeLessThan(0.25);
      expect(Math.abs(sd[k] - 0.5)).toBeLessThan(0.2);
    }
    tf.dispose([data, z, y, logDet]);
    flow.dispose();
  });

  it('equivariant OT flow matching with an EGNN field runs and reduces the loss (tiny particle system)', async () => {
    const P = 3;
    const S = 2;
    const base = new MeanFreeNormal({ particles: P, spatialDim: S });
    const rng = createRng(9);
    // Data: a rigid triangle of side ≈ 2, randomly rotated/permuted, plus a little noise.
    const tri = [0, 0, 2, 0, 1, Math.sqrt(3)];
    const rows = Array.from({ length: 128 }, () => tri.map((v) => v + 0.1 * rng.nextNormal()));
    const raw = tf.tensor2d(rows);
    const data = tf.tidy(() => rotateParticles(raw, tf.tensor3d(rows.map(() => randomRotation(S, rng))), P, S));
    const field = new EGNNVectorField({ particles: P, spatialDim: S, hidden: 16, layers: 2, rng: createRng(10) });
    const x0 = base.sample(64, createRng(11));
    const x1 = pairBatch(x0, data.slice(0, 64), { alignment: 'equivariant-ot', particles: P, spatialDim: S });
    const t = createRng(12).uniform([64]) as tf.Tensor1D;
    const l0 = flowMatchingLoss(field, x0, x1, t);
    await trainFlowMatching(field, data, { base, steps: 60, batchSize: 32, learningRate: 3e-3, alignment: 'equivariant-ot', sigma: 0.05, seed: 3 });
    const l1 = flowMatchingLoss(field, x0, x1, t);
    expect(l1.dataSync()[0]).toBeLessThan(0.8 * l0.dataSync()[0]);
    tf.dispose([raw, data, x0, x1, t, l0, l1]);
    field.dispose();
  });

  it('validates its inputs', async () => {
    const field = new MLPVectorField({ dim: 2, hidden: [4] });
    const data = tf.zeros([8, 3]) as tf.Tensor2D;
    await expect(trainFlowMatching(field, data, { base: Normal.standard(2) })).rejects.toSatisfy(isBoltzflowError);
    await expect(trainFlowMatching(field, tf.zeros([8, 2]) as tf.Tensor2D, { base: Normal.standard(2), alignment: 'equivariant-ot' })).rejects.toSatisfy(
      isBoltzflowError,
    );
    data.dispose();
    field.dispose();
  });
});
