import { describe, expect, it } from 'vitest';
import { countingEnergy, GaussianMixtureEnergy } from '@boltzflow/energies';
import { compareSamplers, getRecipe } from '../src/index.js';
import { normalCdf } from '@boltzflow/distributions';

describe('snf and flow-mcmc-is recipes', () => {
  it('flow-mcmc-is is registered with the one-block, untrained defaults', () => {
    const p = getRecipe('flow-mcmc-is').schema.parse({}) as { blocks: number; trainSteps: number };
    expect(p.blocks).toBe(1);
    expect(p.trainSteps).toBe(0);
  });

  it('interleaved SNF (2 blocks): ΔF of a shifted Gaussian against the closed form, all evaluations counted, per-block report', async () => {
    const inner = new GaussianMixtureEnergy({ means: [[0.5, 0]], scale: 1 });
    const exact = -Math.log(normalCdf(0.5) / (1 - normalCdf(0.5)));
    const u = countingEnergy(inner);
    const [o] = await compareSamplers(u, [{ name: 'snf', params: { blocks: 2, metropolisSteps: 5, stepSize: 0.5 } }], {
      budget: { evaluations: 6000, chains: 16, warmup: 20 },
      seed: 7,
      flowOptions: { layers: 2, hidden: 8, steps: 30, batchSize: 64, dataSamples: 256 },
    });
    const r = o.result;
    expect(Math.abs(r.deltaF!.estimate - exact)).toBeLessThan(4 * r.deltaF!.stderr + 0.02);
    expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.counts.energy + u.counts.gradient);
    const s = r.settings!;
    expect(s['block1.lambda']).toBeCloseTo(0.5, 12);
    expect(s['block2.lambda']).toBe(1);
    for (const b of [1, 2]) {
      const a = s[`block${b}.acceptance`] as number;
      expect(a).toBeGreaterThan(0);
      expect(a).toBeLessThanOrEqual(1);
      expect(s[`block${b}.varDeltaS`] as number).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);
});
