import { describe, expect, it } from 'vitest';
import { countingEnergy, GaussianMixtureEnergy } from '@boltzflow/energies';
import { normalCdf } from '@boltzflow/distributions';
import { compareSamplers } from '../src/index.js';

describe('ta-is recipe', () => {
  it('trains from the energy alone: ΔF and log Z of a shifted Gaussian, training evaluations as setup, flow mode fraction checked', async () => {
    const inner = new GaussianMixtureEnergy({ means: [[0.5, 0]], scale: 1 }); // normalised: log Z = 0
    const exact = -Math.log(normalCdf(0.5) / (1 - normalCdf(0.5)));
    const u = countingEnergy(inner);
    const params = {
      initialTemperature: 4,
      levels: 2,
      klSteps: 60,
      klBatchSize: 64,
      bufferSize: 1000,
      stepsPerTemperature: 40,
      batchSize: 128,
      layers: 2,
      hidden: 8,
      learningRate: 3e-3,
    };
    const [o] = await compareSamplers(u, [{ name: 'ta-is', params }], {
      budget: { evaluations: 4000, chains: 16, warmup: 20 },
      seed: 5,
      target: { spec: { index: 0, name: 'x₁', threshold: 0, deadZone: 0.5, profileEdges: [-3, 0, 3], referenceDeltaF: exact } },
    });
    const r = o.result;
    // Every evaluation counted: sampling + setup = the counting wrapper's rows; setup = 60·64 KL rows + 2 buffers.
    expect(r.energyEvaluations + (r.setupEnergyEvaluations ?? 0)).toBe(u.counts.energy + u.counts.gradient);
    expect(r.setupEnergyEvaluations).toBe(60 * 64 + 2 * 1000);
    expect(r.metrics!.setupGradientEvaluations).toBe(60 * 64);
    expect(Math.abs(r.deltaF!.estimate - exact)).toBeLessThan(4 * r.deltaF!.stderr);
    expect(Math.abs((r.metrics!.logZ as number) - 0)).toBeLessThan(4 * (r.metrics!.logZStderr as number) + 0.01);
    // The mode-collapse guard ran on the row's own flow (against the exact P(x₁ > 0)).
    expect(r.metrics!.flowModeFraction).toBeGreaterThan(0);
    expect(r.metrics!.referenceModeFraction).toBeCloseTo(normalCdf(0.5), 6);
  });
});
