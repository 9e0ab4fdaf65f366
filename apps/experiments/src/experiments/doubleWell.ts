import { z } from 'zod';
import { DoubleWell } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { linspace, round } from '@boltzflow/samplers';
import { comparisonFields, runComparison2D } from './comparison2d.js';

export const DoubleWellParams = z
  .object({
    energy: z
      .object({
        a: z.number().default(-0.5),
        b: z.number().default(-6),
        c: z.number().positive().default(1),
        d: z.number().positive().default(1),
      })
      .strict()
      .prefault({}),
    ...comparisonFields(),
  })
  .strict();

export type DoubleWellParamsT = z.infer<typeof DoubleWellParams>;

const PROFILE_RANGE: [number, number] = [-2.75, 2.75];

export const doubleWell = defineExperiment<DoubleWellParamsT>({
  name: 'double-well',
  description: '2D double well u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²: MCMC vs flow-assisted samplers at equal energy-evaluation budget, ΔF against quadrature',
  params: DoubleWellParams as z.ZodType<DoubleWellParamsT>,
  quickParams: { budget: 24_000, chains: 16, training: { steps: 80, batchSize: 128 }, flow: { dataSamples: 2048 }, plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 } },
  tinyParams: { budget: 1_000, chains: 4, rwm: { scan: [0.5, 1] }, flow: { layers: 2, hidden: 4, dataSamples: 64 }, training: { steps: 3, batchSize: 16 }, snf: { metropolisSteps: 2 }, plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 } },
  async run(params, ctx) {
    const energy = new DoubleWell(params.energy);
    const exactDeltaF = energy.deltaF();
    const exact = energy.freeEnergyProfile(linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 111));
    ctx.progress.log(`exact ΔF = ${exactDeltaF.toFixed(4)} kT (quadrature)`);
    return runComparison2D(energy, params, ctx, {
      spec: {
        index: 0,
        name: 'x₁',
        threshold: 0,
        deadZone: 1,
        profileEdges: linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 45),
        profileMin: Math.min(...exact.f),
        referenceDeltaF: exactDeltaF,
      },
      reference: { deltaF: exactDeltaF, method: 'quadrature', definition: 'ΔF = F(x₁>0) − F(x₁<0) = −ln(P(x₁>0)/P(x₁<0)) in kT' },
      exactProfile: { x: Array.from(exact.x), f: Array.from(exact.f) },
      exactModeFractions: { 'exact P(x₁>0)': round(energy.probabilityPositive(), 6) },
      gridX: [-3, 3],
      gridY: [-3.5, 3.5],
      start: { center: [0, 0], scale: 1.5 },
    });
  },
});
