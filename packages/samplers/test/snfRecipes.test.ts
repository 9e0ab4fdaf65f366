import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countingEnergy, DoubleWell, energyFromFunction, GaussianMixtureEnergy } from '@boltzflow/energies';
import { compareSamplers, getRecipe } from '../src/index.js';
import { normalCdf } from '@boltzflow/distributions';

describe('snf and flow-mcmc-is recipes', () => {
  it('flow-mcmc-is is registered with the one-block, untrained defaults', () => {
    const p = getRecipe('flow-mcmc-is').schema.parse({}) as { blocks: number; trainSteps: number };
    expect(p.blocks).toBe(1);
    expect(p.trainSteps).toBe(0);
  });

  it("snf's defaults are the paper's layout: 3 Metropolis blocks of 20 steps (σ = 0.25), trained end to end by path KL + ML", () => {
    const p = getRecipe('snf').schema.parse({}) as Record<string, unknown>;
    expect(p).toMatchObject({ blocks: 3, block: 'metropolis', metropolisSteps: 20, stepSize: 0.25, klWeight: 1, mlWeight: 1 });
    expect(p.trainSteps as number).toBeGreaterThan(0);
  });

  // MALA blocks train by second-order autodiff through ∇u: the double well's polynomial gradient allows it (the
  // mixture energy's log-sum-exp gradient does not: tfjs has no gradient of its max mask).
  const dw = new DoubleWell();
  // u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂² in plain ops (twice differentiable by autodiff, unlike the clamped production form)
  const polynomialWell = (x: tf.Tensor2D) =>
    tf.tidy(() => {
      const [x1, x2] = tf.split(x, 2, 1);
      const s = tf.square(x1);
      return tf.reshape(tf.add(tf.sub(tf.sub(tf.square(s), tf.mul(s, 6)), tf.mul(x1, 0.5)), tf.mul(tf.square(x2), 0.5)), [-1]) as tf.Tensor1D;
    });
  const cases = [
    [
      'metropolis',
      'a shifted Gaussian',
      () => new GaussianMixtureEnergy({ means: [[0.5, 0]], scale: 1 }),
      () => -Math.log(normalCdf(0.5) / (1 - normalCdf(0.5))),
    ],
    // autodiff gradient (no analytic grad): a fused u + ∇u is one counted evaluation, as the kernels count it
    ['mala', 'the double well', () => energyFromFunction(polynomialWell, 2, 'dw'), () => dw.deltaF()],
  ] as const;
  for (const [block, what, makeEnergy, exactDeltaF] of cases) {
    it(`interleaved SNF (2 ${block} blocks, trained by path KL + ML on the flow's data): ΔF of ${what} against the closed form, all evaluations counted, per-block report`, async () => {
      const exact = exactDeltaF();
      const u = countingEnergy(makeEnergy());
      const params = { blocks: 2, block, metropolisSteps: 5, stepSize: block === 'mala' ? 0.05 : 0.5, trainSteps: 8, trainBatchSize: 16 };
      const [o] = await compareSamplers(u, [{ name: 'snf', params }], {
        budget: { evaluations: 6000, chains: 16, warmup: 20 },
        seed: 7,
        flowOptions: { layers: 2, hidden: 8, steps: 30, batchSize: 64, dataSamples: 256 },
      });
      const r = o.result;
      expect(Math.abs(r.deltaF!.estimate - exact)).toBeLessThan(4 * r.deltaF!.stderr + 0.02);
      // flow data + flow KL + SNF training paths (forward and backward) + sampling: every evaluation is in the row
      expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.counts.energy + u.counts.gradient);
      const s = r.settings!;
      expect(s.mlWeight).toBe(1);
      expect(s['block1.lambda']).toBeCloseTo(0.5, 12);
      expect(s['block2.lambda']).toBe(1);
      for (const b of [1, 2]) {
        const a = s[`block${b}.acceptance`] as number;
        expect(a).toBeGreaterThan(0);
        expect(a).toBeLessThanOrEqual(1);
        expect(s[`block${b}.varDeltaS`] as number).toBeGreaterThanOrEqual(0);
      }
    }, 60_000);
  }
});
