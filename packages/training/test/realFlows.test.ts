import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, type Distribution } from '@boltzflow/core';
import { ResidualFlow } from '@boltzflow/bijectors';
import type { TransformedDistribution } from '@boltzflow/distributions';
import { energyFromFunction } from '@boltzflow/energies';
import { flowVariables, loadFlow, spectralNormOwners, trainKL, type TrainKLOptions } from '../src/index.js';
import { residualCouplingFlow } from './fixtures/residualCouplingFlow.js';

const values = (flow: Distribution): number[][] => {
  const { trainable, nonTrainable } = flowVariables(flow);
  return [...trainable, ...nonTrainable].map((v) => Array.from(v.dataSync()));
};

const energy = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.square(tf.sub(x, tf.tensor1d([0.5, -0.5]))), 1), 0.5) as tf.Tensor1D), 2);

describe('training library flows (AffineCoupling, Chain, ResidualFlow)', () => {
  it('finds the spectral-norm owner, saves its power-iteration state, resumes exactly and reloads via the registries', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'boltzflow-real-'));
    const opts = (extra: Partial<TrainKLOptions>): TrainKLOptions => ({ steps: 8, batchSize: 32, learningRate: 0.01, seed: 2, progressEvery: 1, ...extra });
    const straight = residualCouplingFlow(1);
    // The residual block (and the couplings' MLPs, whose update is a no-op without spectral norm) are found once each.
    const owners = spectralNormOwners(straight);
    expect(owners.filter((o) => o instanceof ResidualFlow).length).toBe(1);
    expect(new Set(owners).size).toBe(owners.length);
    expect(flowVariables(straight).nonTrainable.length).toBeGreaterThan(0);
    const u0 = Array.from(flowVariables(straight).nonTrainable[0].dataSync());
    await trainKL(straight, energy, opts({}));
    // The power-iteration vectors moved (updateSpectralNorm ran after the updates).
    expect(Array.from(flowVariables(straight).nonTrainable[0].dataSync())).not.toEqual(u0);

    const crashed = residualCouplingFlow(1);
    await expect(
      trainKL(
        crashed,
        energy,
        opts({
          checkpoint: { dir, every: 3 },
          onProgress: (p) => {
            if (p.step === 5) throw new Error('crash');
          },
        }),
      ),
    ).rejects.toThrow('crash');
    const resumed = residualCouplingFlow(9);
    await trainKL(resumed, energy, opts({ resumeFrom: dir }));
    expect(values(resumed)).toEqual(values(straight));

    // loadFlow with the default distributionFromConfig + bijectorFromConfig rebuilds the architecture.
    const loaded = await loadFlow(dir);
    expect(loaded.step).toBe(3);
    expect(loaded.flow.toConfig()).toEqual(straight.toConfig());
    const a = loaded.flow.sampleWithLogProb(16, createRng(4));
    expect(a.logProb.shape).toEqual([16]);
    tf.dispose([a.x, a.logProb]);
    loaded.optimizer?.dispose();
    [straight, crashed, resumed, loaded.flow as TransformedDistribution].forEach((f) => f.dispose());
    await fs.rm(dir, { recursive: true, force: true });
  });
});
