import { describe, expect, it } from 'vitest';
import { countingEnergy, GaussianMixtureEnergy } from '@boltzflow/energies';
import { compareSamplers } from '../src/index.js';

/** Φ by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

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
