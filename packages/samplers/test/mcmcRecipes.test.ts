import { describe, expect, it } from 'vitest';
import { countingEnergy, GaussianMixtureEnergy } from '@boltzflow/energies';
import { compareSamplers } from '../src/index.js';
import { normalCdf } from '@boltzflow/distributions';

describe('nuts, hmc and smc recipes', () => {
  it('ΔF of a shifted Gaussian (closed form), log Z for smc, budget kept, warm-up and pilot counted as setup', async () => {
    const inner = new GaussianMixtureEnergy({ means: [[0.5, 0]], scale: 1 }); // normalised: log Z = 0
    const exact = -Math.log(normalCdf(0.5) / (1 - normalCdf(0.5)));
    for (const name of ['nuts', 'hmc', 'smc']) {
      const u = countingEnergy(inner);
      const [o] = await compareSamplers(u, [name], { budget: { evaluations: 12_000, chains: 16, warmup: 60 }, seed: 6 });
      const r = o.result;
      expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0), name).toBe(u.counts.energy + u.counts.gradient);
      expect(r.setupEnergyEvaluations, name).toBeGreaterThan(0);
      expect(Math.abs(r.energyEvaluations - 12_000) / 12_000, name).toBeLessThan(name === 'smc' ? 0.35 : 0.05);
      expect(Math.abs(r.deltaF!.estimate - exact), name).toBeLessThan(4 * r.deltaF!.stderr);
      if (name === 'smc') expect(Math.abs(r.metrics!.logZ as number)).toBeLessThan(4 * (r.metrics!.logZStderr as number) + 0.02);
    }
  });
});
