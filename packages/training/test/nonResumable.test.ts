import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoltzflowError, type Distribution, type Energy, type Rng } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { loadFlow, trainFAB, trainTemperatureAnnealed, type AisRunner } from '../src/index.js';
import { NonResumableObjective } from '../src/objective.js';
import type { PreparedStep } from '../src/trainer.js';
import { affineFlow } from './affineFlow.js';

const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'boltzflow-noresume-'));
afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

const quadratic = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D), 2, 'quadratic');

/** Plain importance sampling from q towards the target (no intermediate distributions). */
const importanceOnly: AisRunner = async (flow: Distribution, target: Energy, n: number, rng: Rng) => {
  const { x, logProb } = flow.sampleWithLogProb(n, rng);
  const lw = tf.tidy(() => tf.neg(tf.add(target.energy(x), logProb)));
  const logWeights = (await lw.data()) as Float32Array;
  tf.dispose([lw, logProb]);
  return { x, logWeights, energyEvaluations: n };
};

async function errorOf(p: Promise<unknown>): Promise<BoltzflowError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(BoltzflowError);
  return e as BoltzflowError;
}

describe('trainings that cannot resume (one mechanism: NonResumableObjective + assertNoResume)', () => {
  it('FAB refuses resumeFrom up front but writes checkpoints that record its AIS iterations', async () => {
    const flow = affineFlow(2);
    const w0 = flow.trainableVariables.map((v) => Array.from(v.dataSync()));
    const e = await errorOf(trainFAB(flow, quadratic, { ais: importanceOnly, steps: 2, resumeFrom: path.join(tmpRoot, 'none') } as never));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.details).toEqual({ argument: 'resumeFrom', expected: 'unset' });
    expect(e.message).toMatch(/^FAB training cannot resume: its replay buffer is not stored in checkpoints/);
    expect(flow.trainableVariables.map((v) => Array.from(v.dataSync()))).toEqual(w0);

    const dir = path.join(tmpRoot, 'fab');
    const r = await trainFAB(flow, quadratic, {
      ais: importanceOnly,
      steps: 2,
      batchSize: 16,
      gradientStepsPerIteration: 1,
      buffer: { maxLength: 256, minSampleLength: 32 },
      checkpoint: { dir, every: 1 },
      seed: 1,
    });
    const saved = await loadFlow(dir);
    expect(saved.step).toBe(2);
    // 2 batches of 16 fill the buffer to 32; then one AIS batch per gradient step, the last one before step 2.
    expect(r.aisIterations).toBe(4);
    expect((saved.extra as { training: unknown }).training).toEqual({ kind: 'fab', aisIterations: r.aisIterations });
    saved.flow.trainableVariables.forEach((v) => v.dispose());
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('temperature-annealed training refuses both checkpoint and resumeFrom up front, naming which', async () => {
    const flow = affineFlow(2);
    const small = { temperatures: [2, 1], klSteps: 1, stepsPerTemperature: 1, bufferSize: 8, batchSize: 4, klBatchSize: 4 };
    const c = await errorOf(trainTemperatureAnnealed(flow, quadratic, { ...small, checkpoint: { dir: path.join(tmpRoot, 'ta'), every: 1 } } as never));
    expect(c.code).toBe('INVALID_CONFIG');
    expect(c.details).toEqual({ argument: 'checkpoint', expected: 'unset' });
    expect(c.message).toMatch(/^Temperature-annealed training cannot checkpoint or resume: its buffer is not stored in checkpoints/);
    const r = await errorOf(
      trainTemperatureAnnealed(flow, quadratic, { ...small, resumeFrom: path.join(tmpRoot, 'ta'), checkpoint: { dir: tmpRoot, every: 1 } } as never),
    );
    expect(r.details.argument).toBe('resumeFrom');
    await expect(fs.access(path.join(tmpRoot, 'ta'))).rejects.toThrow();
    flow.trainableVariables.forEach((v) => v.dispose());
  });

  it('setState (resume) of such an objective throws CHECKPOINT naming the training and what checkpoints lack', () => {
    class Probe extends NonResumableObjective {
      init(): void {}
      prepareStep(): PreparedStep {
        throw new Error('not used');
      }
      getState(): unknown {
        return { kind: 'probe' };
      }
      dispose(): void {}
    }
    const o = new Probe({ training: 'Probe training', missing: 'its pool', writesCheckpoints: true });
    expect(o.usesData || o.hasValidation).toBe(false);
    expect(o.validationNLL()).toBeUndefined();
    let e: unknown;
    try {
      o.setState({ kind: 'probe' });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(BoltzflowError);
    expect((e as BoltzflowError).code).toBe('CHECKPOINT');
    expect((e as BoltzflowError).details).toEqual({ argument: 'resumeFrom', expected: 'a fresh run' });
    expect((e as Error).message).toMatch(/^Probe training cannot resume: its pool is not stored in checkpoints/);
  });
});
