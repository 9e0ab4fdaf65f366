import { describe, expect, it } from 'vitest';
import { countingEnergy, GaussianMixtureEnergy } from '@boltzflow/energies';
import { compareSamplers } from '../src/index.js';
import { normalCdf } from '@boltzflow/distributions';

describe('fab-is and fab-imh recipes', () => {
  it('train from the energy alone: ΔF and log Z of a shifted Gaussian, FAB evaluations counted as setup', async () => {
    const inner = new GaussianMixtureEnergy({ means: [[0.5, 0]], scale: 1 }); // normalised: log Z = 0
    const exact = -Math.log(normalCdf(0.5) / (1 - normalCdf(0.5)));
    for (const name of ['fab-is', 'fab-imh']) {
      const u = countingEnergy(inner);
      const params = { trainSteps: 60, batchSize: 64, intermediateDistributions: 2, transition: 'metropolis', layers: 2, hidden: 8, learningRate: 3e-3 };
      const [o] = await compareSamplers(u, [{ name, params }], { budget: { evaluations: 6000, chains: 16, warmup: 20 }, seed: 5 });
      const r = o.result;
      expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.counts.energy + u.counts.gradient);
      expect(r.setupEnergyEvaluations).toBeGreaterThan((60 * 64) / 4);
      expect(Math.abs(r.deltaF!.estimate - exact)).toBeLessThan(4 * r.deltaF!.stderr);
      if (name === 'fab-is') expect(Math.abs((r.metrics!.logZ as number) - 0)).toBeLessThan(4 * (r.metrics!.logZStderr as number) + 0.01);
    }
  });
});
