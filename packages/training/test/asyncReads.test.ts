import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRng } from '@boltzflow/core';
import { EGNNVectorField, MLPVectorField, realNVP } from '@boltzflow/bijectors';
import { MeanFreeNormal, Normal, TransformedDistribution } from '@boltzflow/distributions';
import { energyFromFunction } from '@boltzflow/energies';
import {
  annealingBuffer,
  annealingBufferAsync,
  pairBatch,
  pairBatchAsync,
  trainFlowMatching,
  trainTemperatureAnnealed,
  type TrainResult,
} from '../src/index.js';

// Temperature-annealed training and flow matching read host values asynchronously (WebGPU in Node has no dataSync).
// Here, on wasm/cpu: the synchronous and asynchronous drivers give bit-identical values on the same seed, and the
// training runs need no synchronous read once they are running.

/** u = 2(x₁² − 1)² + x₂²/2, a double well. */
const doubleWell = energyFromFunction(
  (x) =>
    tf.tidy(() => {
      const a = x.slice([0, 0], [-1, 1]).reshape([-1]);
      const b = x.slice([0, 1], [-1, 1]).reshape([-1]);
      return tf.add(tf.mul(tf.square(tf.sub(tf.square(a), 1)), 2), tf.mul(tf.square(b), 0.5)) as tf.Tensor1D;
    }),
  2,
  'double well',
);

const weights = (vars: readonly tf.Variable[]): number[][] => vars.map((v) => Array.from(v.dataSync()));

/**
 * Runs `train` in one of two modes: 'sync' serves every asynchronous read with dataSync (the synchronous path);
 * 'async' makes dataSync throw from the first progress report on (a backend without synchronous reads).
 */
async function runIn<R extends TrainResult>(mode: 'sync' | 'async', train: (onProgress: () => void) => Promise<R>): Promise<R> {
  const proto = tf.Tensor.prototype as unknown as { data: () => Promise<unknown>; dataSync: () => unknown };
  const ban = (): void => {
    if (mode === 'async' && !vi.isMockFunction(proto.dataSync)) {
      vi.spyOn(proto, 'dataSync').mockImplementation(() => {
        throw new Error('synchronous read in the per-step path');
      });
    }
  };
  if (mode === 'sync') {
    vi.spyOn(proto, 'data').mockImplementation(async function (this: tf.Tensor) {
      return this.dataSync();
    });
  }
  try {
    return await train(ban);
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('asynchronous host reads of temperature-annealed training and flow matching', () => {
  it('annealingBufferAsync gives the buffer of annealingBuffer bit for bit (same seed)', async () => {
    const flow = new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 2, hidden: [8], rng: createRng(1) }));
    const before = tf.memory().numTensors;
    const s = annealingBuffer(flow, doubleWell, 2, 300, createRng(4));
    const a = await annealingBufferAsync(flow, doubleWell, 2, 300, createRng(4));
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(s.x.dataSync()));
    expect(a.logWeights).toEqual(s.logWeights);
    expect(a.weights).toEqual(s.weights);
    expect([a.ess, a.essFraction, a.logZ]).toEqual([s.ess, s.essFraction, s.logZ]);
    tf.dispose([s.x, a.x]);
    expect(tf.memory().numTensors).toBe(before);
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('pairBatchAsync gives the pairs of pairBatch bit for bit (OT, equivariant OT, random)', async () => {
    const base = new MeanFreeNormal({ particles: 4, spatialDim: 2 });
    const rng = createRng(4);
    const x0 = base.sample(12, rng);
    const x1 = tf.tidy(() => tf.mul(base.sample(12, rng), 2) as tf.Tensor2D);
    const before = tf.memory().numTensors;
    for (const o of [{ pairing: 'ot' as const }, { alignment: 'equivariant-ot' as const, pairing: 'ot' as const, particles: 4, spatialDim: 2 }, {}]) {
      const s = pairBatch(x0, x1, o);
      const a = await pairBatchAsync(x0, x1, o);
      expect(Array.from(a.dataSync())).toEqual(Array.from(s.dataSync()));
      tf.dispose([s, a]);
    }
    expect(tf.memory().numTensors).toBe(before);
    await expect(pairBatchAsync(x0, x1, { alignment: 'equivariant-ot' })).rejects.toThrow(/particle layout/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x0, x1]);
  });

  it('trainTemperatureAnnealed: no synchronous read per step, and the same weights as with synchronous reads (seeded)', async () => {
    const run = async (mode: 'sync' | 'async') => {
      const flow = new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers: 2, hidden: [8], rng: createRng(1) }));
      const tensors = tf.memory().numTensors;
      const r = await runIn(mode, (ban) =>
        trainTemperatureAnnealed(flow, doubleWell, {
          temperatures: [4, 2, 1],
          klSteps: 3,
          klBatchSize: 32,
          bufferSize: 200,
          stepsPerTemperature: 3,
          batchSize: 32,
          minEssFraction: 0,
          seed: 2,
          progressEvery: 1,
          onProgress: ban,
        }),
      );
      return { ...r, w: weights(flow.trainableVariables as tf.Variable[]), leaked: tf.memory().numTensors - tensors };
    };
    const sync = await run('sync');
    const async = await run('async');
    expect(async.steps).toBe(9);
    expect(async.temperatureSteps.map((t) => t.to)).toEqual([2, 1]);
    expect(async.history.map((p) => p.loss)).toEqual(sync.history.map((p) => p.loss));
    expect(async.temperatureSteps).toEqual(sync.temperatureSteps);
    expect(async.w).toEqual(sync.w);
    expect([sync.leaked, async.leaked]).toEqual([0, 0]);
  });

  it('trainFlowMatching with OT pairing and equivariant OT: no synchronous read per step, same weights as with synchronous reads', async () => {
    const mlp = async (mode: 'sync' | 'async') => {
      const rng = createRng(5);
      const data = tf.tidy(() => tf.add(tf.mul(rng.normal([96, 2]), 0.5), tf.tensor1d([1, -1])) as tf.Tensor2D);
      const field = new MLPVectorField({ dim: 2, hidden: [8], rng: createRng(6) });
      const r = await runIn(mode, (ban) =>
        trainFlowMatching(field, data, {
          base: Normal.standard(2),
          steps: 6,
          batchSize: 32,
          pairing: 'ot',
          sigma: 0.1,
          seed: 7,
          progressEvery: 1,
          onProgress: ban,
        }),
      );
      data.dispose();
      return { ...r, w: weights(field.trainableVariables as tf.Variable[]) };
    };
    const egnn = async (mode: 'sync' | 'async') => {
      const base = new MeanFreeNormal({ particles: 3, spatialDim: 2 });
      const data = tf.tidy(() => tf.mul(base.sample(48, createRng(9)), 2) as tf.Tensor2D);
      const field = new EGNNVectorField({ particles: 3, spatialDim: 2, hidden: 8, layers: 1, rng: createRng(10) });
      const r = await runIn(mode, (ban) =>
        trainFlowMatching(field, data, {
          base,
          steps: 4,
          batchSize: 16,
          alignment: 'equivariant-ot',
          pairing: 'ot',
          sigma: 0.05,
          seed: 3,
          progressEvery: 1,
          onProgress: ban,
        }),
      );
      data.dispose();
      return { ...r, w: weights(field.trainableVariables as tf.Variable[]) };
    };
    for (const train of [mlp, egnn]) {
      const sync = await train('sync');
      const async = await train('async');
      expect(async.history.map((p) => p.loss)).toEqual(sync.history.map((p) => p.loss));
      expect(async.w).toEqual(sync.w);
    }
  });
});
