import { z } from 'zod';
import { GaussianMixtureEnergy } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { linspace, round } from '@boltzflow/samplers';
import {
  DEFAULT_2D_SAMPLERS,
  GMM_ENERGY_ONLY_SAMPLERS,
  QUICK_2D_ENERGY_ONLY_PARAMS,
  TINY_2D_ENERGY_ONLY_PARAMS,
  comparisonFields,
  runComparison2D,
} from './comparison2d.js';
import { normalCdf } from '@boltzflow/distributions';

export const Gmm40Params = z
  .object({
    energy: z
      .object({
        /** Seed of the component means (fixed by default, so every run seed samples the same problem). */
        meansSeed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1)
          .default(0),
        modes: z.number().int().min(2).max(200).default(40),
        bound: z.number().positive().default(40),
      })
      .strict()
      .prefault({}),
    ...comparisonFields([...DEFAULT_2D_SAMPLERS, ...GMM_ENERGY_ONLY_SAMPLERS]),
  })
  .strict();

export type Gmm40ParamsT = z.infer<typeof Gmm40Params>;

export const gmm40 = defineExperiment<Gmm40ParamsT>({
  name: 'gmm-40',
  description: 'GMM-40 (FAB): 40 equal-weight Gaussians (σ = 1.3133) with means in [−40, 40]²; ΔF = F(x₁>0) − F(x₁<0) against its closed form',
  params: Gmm40Params as z.ZodType<Gmm40ParamsT>,
  baseParams: {
    rwm: { scan: [0.5, 1, 2, 4, 8, 16, 32] },
    replicaExchange: { temperatures: [1, 6, 36, 216], stepSize: 1.5 },
    flow: { dataStepSize: 3, hidden: 64 },
    flowMcmc: { localStepSize: 1.5 },
    snf: { stepSize: 1 },
    // FAB from the energy alone: the initial flow must cover the means' box [−40, 40]² (σ 20), and 600 gradient steps
    // find all 40 modes with every population within ±30 % (BENCHMARKS.md, issue #15); the recipe's default 2000 costs 3×.
    fab: { trainSteps: 600, initialScale: 20 },
    // TA-BG from the energy alone (tuned 2026-12-03, BENCHMARKS.md "Temperature-annealed training"): spline 6 × 64 with
    // 16 bins, reverse KL at T₀ = 20 (1500 steps of 512), 12 geometric steps down (ratio ≈ 1.28, buffer ESS fractions
    // 0.60–0.90) with 300 ML steps on each buffer of 20 000 resampled by weight (≈ 9.5 min on 2 cores).
    ta: {
      kind: 'spline',
      layers: 6,
      hidden: 64,
      bins: 16,
      bound: 4,
      initialTemperature: 20,
      levels: 12,
      klSteps: 1500,
      klBatchSize: 512,
      bufferSize: 20_000,
      stepsPerTemperature: 300,
      batchSize: 512,
    },
  },
  quickParams: QUICK_2D_ENERGY_ONLY_PARAMS,
  tinyParams: {
    ...TINY_2D_ENERGY_ONLY_PARAMS,
    samplers: [...TINY_2D_ENERGY_ONLY_PARAMS.samplers, 'ta-is'],
    ta: { klSteps: 3, klBatchSize: 16, levels: 2, bufferSize: 64, stepsPerTemperature: 2, batchSize: 16, layers: 2, hidden: 4 },
  },
  async run(params, ctx) {
    const energy = GaussianMixtureEnergy.gmm40(params.energy.meansSeed, { modes: params.energy.modes, bound: params.energy.bound });
    const wSum = energy.weights.reduce((a, b) => a + b, 0);
    const w = energy.weights.map((v) => v / wSum);
    const sd = energy.scales;
    // Closed forms: P(x₁ > 0) = Σ w_k Φ(μ_k1/σ_k); the x₁ marginal is the 1D mixture Σ w_k N(x₁; μ_k1, σ_k²).
    const pAbove = energy.means.reduce((acc, m, k) => acc + w[k] * normalCdf(m[0] / sd[k]), 0);
    const deltaF = -Math.log(pAbove / (1 - pAbove));
    const b = params.energy.bound + 5;
    const profileX = linspace(-b, b, 181);
    const f = profileX.map(
      (x) => -Math.log(energy.means.reduce((acc, m, k) => acc + (w[k] * Math.exp(-0.5 * ((x - m[0]) / sd[k]) ** 2)) / (sd[k] * Math.sqrt(2 * Math.PI)), 0)),
    );
    const keep = f.map(Number.isFinite);
    const exact = { x: profileX.filter((_, i) => keep[i]), f: f.filter((_, i) => keep[i]) };
    ctx.progress.log(`exact ΔF = ${deltaF.toFixed(4)} kT (closed form)`);
    return runComparison2D(energy, params, ctx, {
      spec: { index: 0, name: 'x₁', threshold: 0, deadZone: 2, profileEdges: linspace(-b, b, 61), profileMin: Math.min(...exact.f), referenceDeltaF: deltaF },
      reference: {
        deltaF,
        // The mixture of normals is normalised, so log Z = 0 exactly. The method names the reference rows of the ΔF and
        // log Z tables ("exact (closed form)"): kept short so that the row label does not wrap.
        logZ: 0,
        method: 'closed form',
        definition: 'ΔF = F(x₁>0) − F(x₁<0) = −ln(P(x₁>0)/P(x₁<0)) in kT',
      },
      exactProfile: exact,
      exactModeFractions: { 'exact P(x₁>0)': round(pAbove, 6) },
      basins: params.energy.modes,
      gridX: [-b, b],
      gridY: [-b, b],
      start: { center: [0, 0], scale: params.energy.bound / 2 },
      components: { means: energy.means, scales: energy.scales, weights: energy.weights },
    });
  },
});
