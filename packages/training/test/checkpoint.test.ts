import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError, type Distribution } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { loadFlow, readCheckpoint, saveFlow, train, trainKL, type TrainOptions } from '../src/index.js';
import { affineFlow, affineOf, weightsOf } from './affineFlow.js';
import { gaussianData } from './gaussian.js';

const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'boltzflow-ckpt-'));
afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});
let dirCounter = 0;
const freshDir = (): string => path.join(tmpRoot, `c${dirCounter++}`);

const energy = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.square(tf.sub(x, tf.tensor1d([1, -1]))), 1), 0.5) as tf.Tensor1D), 2, 'shifted');

async function expectCheckpointError(p: Promise<unknown>): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(isBoltzflowError(err) && err.code).toBe('CHECKPOINT');
}

describe('checkpoints', () => {
  it('round-trips architecture, weights, non-trainable state, optimizer, RNG, step and extra', async () => {
    const dir = freshDir();
    const flow = affineFlow(2, {
      shift: [0.3, -0.2],
      logDiag: [0.1, -0.3],
      offDiag: [
        [0, 0],
        [0.4, 0],
      ],
    });
    affineOf(flow).updateSpectralNorm();
    const optimizer = tf.train.adam(0.01);
    const x = tf.tensor2d([
      [0.5, 1],
      [-1, 2],
      [0.1, 0.1],
    ]);
    for (let i = 0; i < 3; i++) {
      optimizer.minimize(() => tf.neg(tf.mean(flow.logProb(x))) as tf.Scalar, false, flow.trainableVariables);
    }
    const rng = createRng(42);
    rng.normalArray(17);
    await saveFlow(flow, dir, { optimizer, rng, step: 3, extra: { note: 'hi', n: [1, 2] } });
    const loaded = await loadFlow(dir);
    expect(loaded.step).toBe(3);
    expect(loaded.extra).toEqual({ note: 'hi', n: [1, 2] });
    expect(loaded.flow.toConfig()).toEqual(flow.toConfig());
    expect(weightsOf(loaded.flow)).toEqual(weightsOf(flow));
    expect(Array.from(loaded.rng!.normalArray(5))).toEqual(Array.from(rng.normalArray(5)));
    const lp1 = flow.logProb(x);
    const lp2 = loaded.flow.logProb(x);
    expect(Array.from(lp2.dataSync())).toEqual(Array.from(lp1.dataSync()));
    // The restored optimizer continues exactly like the original one.
    const step = (f: Distribution, o: tf.Optimizer): void => {
      o.minimize(() => tf.neg(tf.mean(f.logProb(x))) as tf.Scalar, false, f.trainableVariables);
    };
    step(flow, optimizer);
    step(loaded.flow, loaded.optimizer!);
    expect(weightsOf(loaded.flow)).toEqual(weightsOf(flow));
    tf.dispose([x, lp1, lp2]);
    optimizer.dispose();
    loaded.optimizer!.dispose();
    flow.dispose();
    (loaded.flow as typeof flow).dispose();
  });

  it('a resumed run (train, crash after a checkpoint, resume) ends with exactly the weights of an uninterrupted run', async () => {
    const rng = createRng(8);
    const data = gaussianData(
      200,
      [1, -1],
      [
        [1, 0.3],
        [0.3, 0.5],
      ],
      rng,
    );
    // ML minibatches (epochs of 5 steps: checkpoint at step 6 is mid-epoch) + KL with annealing + cosine schedule.
    const options = (extra: Partial<TrainOptions>): TrainOptions => ({
      data: data.x,
      energy,
      weights: { ml: 1, kl: 0.5 },
      batchSize: 32,
      klBatchSize: 16,
      steps: 20,
      temperatureSchedule: { from: 3, steps: 15 },
      learningRate: { type: 'cosine', initial: 0.05, warmupSteps: 2 },
      clipGradNorm: 5,
      seed: 5,
      progressEvery: 1,
      ...extra,
    });
    const straight = affineFlow(2);
    await train(straight, options({}));

    const dir = freshDir();
    const crashed = affineFlow(2);
    await expect(
      train(
        crashed,
        options({
          checkpoint: { dir, every: 3 },
          onProgress: (p) => {
            if (p.step === 8) throw new Error('simulated crash');
          },
        }),
      ),
    ).rejects.toThrow('simulated crash');
    expect((await readCheckpoint(dir)).step).toBe(6);

    const resumed = affineFlow(2, { shift: [5, 5] });
    const res = await train(resumed, options({ resumeFrom: dir }));
    expect(res.steps).toBe(20);
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    // Non-trainable state (the spectral-norm counter) was restored too.
    expect(affineOf(resumed).counter.dataSync()[0]).toBe(20);
    data.x.dispose();
    [straight, crashed, resumed].forEach((f) => f.dispose());
  });

  it('rejects corrupted, truncated and foreign checkpoints with CHECKPOINT, without touching the flow', async () => {
    const dir = freshDir();
    const flow = affineFlow(2, { shift: [1, 2] });
    await trainKL(flow, energy, { steps: 4, batchSize: 16, checkpoint: { dir, every: 2 } });
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
    const weightsFile = path.join(dir, manifest.weights.file);
    const original = await fs.readFile(weightsFile);

    // A half-written later save (data file and temp manifest, no renamed manifest) does not disturb loading.
    await fs.writeFile(path.join(dir, 'weights-99-deadbeef.bin'), Buffer.alloc(12));
    await fs.writeFile(path.join(dir, '.manifest.json.x.tmp'), '{');
    const ok = await loadFlow(dir);
    expect(ok.step).toBe(4);
    (ok.flow as typeof flow).dispose();
    ok.optimizer?.dispose();

    const target = affineFlow(2, { shift: [7, 7] });
    const before = weightsOf(target);
    // Flipped byte → checksum failure.
    const flipped = Buffer.from(original);
    flipped[5] ^= 0x40;
    await fs.writeFile(weightsFile, flipped);
    await expectCheckpointError(loadFlow(dir));
    await expectCheckpointError(trainKL(target, energy, { steps: 6, batchSize: 16, resumeFrom: dir }));
    expect(weightsOf(target)).toEqual(before);
    // Truncated file.
    await fs.writeFile(weightsFile, original.subarray(0, original.length - 4));
    await expectCheckpointError(loadFlow(dir));
    await fs.writeFile(weightsFile, original);
    // NaN weights with a matching checksum are still rejected.
    const nan = Buffer.from(original);
    nan.writeFloatLE(NaN, 0);
    const { createHash } = await import('node:crypto');
    const m2 = { ...manifest, weights: { ...manifest.weights, sha256: createHash('sha256').update(nan).digest('hex') } };
    await fs.writeFile(weightsFile, nan);
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(m2));
    await expectCheckpointError(loadFlow(dir));
    await fs.writeFile(weightsFile, original);
    // Shapes table not matching the file, and path traversal in file names.
    await fs.writeFile(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ ...manifest, weights: { ...manifest.weights, tensors: manifest.weights.tensors.slice(1) } }),
    );
    await expectCheckpointError(loadFlow(dir));
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, weights: { ...manifest.weights, file: '../x.bin' } }));
    await expectCheckpointError(loadFlow(dir));
    // Foreign and garbage manifests; saveFlow refuses to overwrite a foreign one.
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ format: 'tfjs-layers', weightsManifest: [] }));
    await expectCheckpointError(loadFlow(dir));
    await expectCheckpointError(saveFlow(flow, dir));
    expect(JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')).format).toBe('tfjs-layers');
    await fs.writeFile(path.join(dir, 'manifest.json'), 'not json');
    await expectCheckpointError(loadFlow(dir));
    await expectCheckpointError(loadFlow(path.join(dir, 'missing')));
    // Restore the real manifest: loads again.
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const again = await loadFlow(dir);
    (again.flow as typeof flow).dispose();
    again.optimizer?.dispose();
    // A different architecture cannot resume from it, and its weights stay untouched.
    const other = affineFlow(1);
    const otherBefore = weightsOf(other);
    await expectCheckpointError(
      trainKL(
        other,
        energyFromFunction((x) => tf.sum(tf.square(x), 1) as tf.Tensor1D, 1),
        { steps: 6, resumeFrom: dir },
      ),
    );
    expect(weightsOf(other)).toEqual(otherBefore);
    [flow, target, other].forEach((f) => f.dispose());
  });

  it('a diverging run leaves its last good checkpoint loadable', async () => {
    const dir = freshDir();
    let calls = 0;
    const bad = energyFromFunction((x) => {
      calls++;
      const u = energy.energy(x);
      if (calls <= 5) return u;
      const nan = tf.mul(u, NaN) as tf.Tensor1D;
      u.dispose();
      return nan;
    }, 2);
    const flow = affineFlow(2);
    let err: unknown;
    try {
      await trainKL(flow, bad, { steps: 30, batchSize: 16, maxNonFiniteSteps: 3, checkpoint: { dir, every: 2 } });
    } catch (e) {
      err = e;
    }
    expect(isBoltzflowError(err) && err.code).toBe('DIVERGED');
    expect((err as Error).message).toContain(dir);
    const loaded = await loadFlow(dir);
    expect(loaded.step).toBe(4);
    (loaded.flow as typeof flow).dispose();
    loaded.optimizer?.dispose();
    flow.dispose();
  });
});
