import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, isBoltzflowError, type Energy } from '@boltzflow/core';
import { compareSamplers, getRecipe, recipeNames, samplerStreams } from '../src/index.js';
import { createRng } from '@boltzflow/core';
import { normalCdf } from '@boltzflow/distributions';

/** u(x) = ½‖x − μ‖², μ = (0.5, 0): Z = 2π, P(x₁ > 0) = Φ(0.5). Counts the rows it evaluates. */
class ShiftedGaussian implements Energy {
  readonly dim = 2;
  readonly name = 'shifted Gaussian';
  rows = 0;
  energy(x: tf.Tensor2D): tf.Tensor1D {
    this.rows += x.shape[0];
    return tf.tidy(() => tf.mul(tf.sum(tf.square(tf.sub(x, tf.tensor1d([0.5, 0]))), 1), 0.5) as tf.Tensor1D);
  }
}

const exactDeltaF = -Math.log(normalCdf(0.5) / (1 - normalCdf(0.5)));

describe('compareSamplers', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('rwm and rwm-scan: ΔF matches the closed form, and sampling + setup evaluations equal the energy rows evaluated', async () => {
    for (const name of ['rwm', 'rwm-scan']) {
      const u = new ShiftedGaussian();
      const [o] = await compareSamplers(u, [name], { budget: { evaluations: 16_000, chains: 16, warmup: 50 }, seed: 3 });
      const r = o.result;
      expect(r.sampler).toBe(name);
      expect(r.energyEvaluations).toBeGreaterThanOrEqual(16_000);
      expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.rows);
      expect(r.deltaF).not.toBeNull();
      expect(Math.abs(r.deltaF!.estimate - exactDeltaF)).toBeLessThan(4 * r.deltaF!.stderr);
      expect(o.draws!.shape[1]).toBe(16);
    }
  }, 120_000);

  it('flow-is: log Z of the default Boltzmann generator within its error of log 2π; the flow setup is counted', async () => {
    const u = new ShiftedGaussian();
    const [o] = await compareSamplers(u, ['flow-is'], {
      budget: { evaluations: 4000, chains: 16, warmup: 50 },
      seed: 4,
      flowOptions: { layers: 2, hidden: 8, steps: 40, batchSize: 64, dataSamples: 256 },
    });
    const m = o.result.metrics!;
    expect(Math.abs(m.logZ! - Math.log(2 * Math.PI))).toBeLessThan(5 * m.logZStderr! + 0.02);
    expect(o.logWeights!.length).toBe(4000);
    // Setup: the training data walk (16 chains × (400 burn-in + 16 per chain × 5 thinning)) and 40 KL batches of 64.
    expect(o.result.setupEnergyEvaluations).toBe(16 * (400 + 16 * 5) + 40 * 64);
    expect(o.result.energyEvaluations).toBe(4000);
  }, 120_000);

  it('a sampler’s numbers do not depend on which other samplers run', async () => {
    const u = new ShiftedGaussian();
    const layout = ['rwm', 'mala', 'flow'];
    const budget = { evaluations: 2000, chains: 8, warmup: 20 };
    const [alone] = await compareSamplers(u, ['rwm'], { budget, streams: samplerStreams(createRng(9), layout) });
    const both = await compareSamplers(u, ['mala', 'rwm'], { budget, streams: samplerStreams(createRng(9), layout) });
    expect(both[1].result.sampler).toBe('rwm');
    expect(both[1].result.ess).toBe(alone.result.ess);
    expect(both[1].draws!.data).toEqual(alone.draws!.data);
  }, 60_000);

  it('unknown samplers and bad parameters throw BoltzflowErrors naming them', async () => {
    const u = new ShiftedGaussian();
    const errorOf = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = await errorOf(() => compareSamplers(u, ['hmc-typo'], { budget: 2000 }));
    expect(isBoltzflowError(e1)).toBe(true);
    expect((e1 as Error).message).toMatch(/hmc-typo/);
    const e2 = await errorOf(() => compareSamplers(u, [{ name: 'rwm', params: { targetAcceptance: 2 } }], { budget: 2000 }));
    expect(isBoltzflowError(e2)).toBe(true);
    expect((e2 as Error).message).toMatch(/rwm\.targetAcceptance/);
    const e3 = await errorOf(() => compareSamplers(u, ['rwm'], { budget: { evaluations: 0, chains: 4, warmup: 0 } }));
    expect(isBoltzflowError(e3)).toBe(true);
    expect(u.rows).toBe(0);
  });

  it('every registered recipe has a name, a description and a schema whose defaults parse', () => {
    for (const name of recipeNames()) {
      const r = getRecipe(name);
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.schema.safeParse({}).success).toBe(true);
    }
  });
});
