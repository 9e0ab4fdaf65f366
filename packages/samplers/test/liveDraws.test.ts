import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Energy } from '@boltzflow/core';
import { compareSamplers, type Draws, type Progress } from '../src/index.js';

/** u(x) = ½‖x‖² (a standard normal). */
class Gaussian implements Energy {
  readonly dim = 2;
  readonly name = 'Gaussian';
  energy(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.mul(tf.sum(tf.square(x), 1), 0.5) as tf.Tensor1D);
  }
}

describe('live hooks of Progress (ProgressBar.draws, Progress.sampler)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('streams chunks whose concatenation is exactly the run’s draws, and announces each sampler with its spec and budget', async () => {
    const announced: { name: string; evaluations: number; chains: number; threshold: number }[] = [];
    const blocks = new Map<string, Draws[]>();
    const lastValue = new Map<string, number>();
    const progress: Progress = {
      log: () => undefined,
      sampler: (name, t) => announced.push({ name, evaluations: t.evaluations, chains: t.chains, threshold: t.spec.threshold }),
      bar: (label) => ({
        update: (v) => void lastValue.set(label, v),
        stop: () => undefined,
        draws: (b) => {
          const list = blocks.get(label) ?? [];
          list.push({ data: b.data.slice(), shape: [...b.shape] as Draws['shape'] });
          blocks.set(label, list);
        },
      }),
    };
    const outcomes = await compareSamplers(new Gaussian(), ['rwm', 'mala'], { budget: { evaluations: 3000, chains: 4, warmup: 20 }, seed: 5, progress });
    expect(announced.map((a) => a.name)).toEqual(['rwm', 'mala']);
    expect(announced[0]).toMatchObject({ evaluations: 3000, chains: 4, threshold: 0 });
    for (const o of outcomes) {
      const list = blocks.get(`sampling ${o.result.sampler}`) ?? [];
      expect(list.length).toBeGreaterThan(2); // several chunks: live, not one block at the end
      const d = o.draws as Draws;
      expect(list.every((b) => b.shape[1] === d.shape[1] && b.shape[2] === d.shape[2])).toBe(true);
      expect(list.reduce((k, b) => k + b.shape[0], 0)).toBe(d.shape[0]);
      const joined = new Float32Array(d.data.length);
      let off = 0;
      for (const b of list) {
        joined.set(b.data, off);
        off += b.data.length;
      }
      expect(joined).toEqual(d.data);
      expect(lastValue.get(`sampling ${o.result.sampler}`)).toBe(Math.min(o.result.energyEvaluations, 3000));
    }
  });
});
