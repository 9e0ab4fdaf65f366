import { z } from 'zod';
import { DoubleWell, ManyWell } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { linspace, round } from './common.js';
import { comparisonFields, runComparison2D, type ComparisonParams } from './comparison2d.js';

export const ManyWellParams = z
  .object({
    energy: z.object({ dim: z.number().int().min(2).max(256).multipleOf(2).default(32) }).strict().prefault({}),
    ...comparisonFields(),
  })
  .strict();

export type ManyWellParamsT = z.infer<typeof ManyWellParams>;

const PROFILE_RANGE: [number, number] = [-2.75, 2.75];

export const manyWell32 = defineExperiment<ManyWellParamsT>({
  name: 'many-well-32',
  description: "FAB's many-well-32: 16 independent copies of the double well (2¹⁶ modes); ΔF and profile of x₁ (one double-well pair) against quadrature",
  params: ManyWellParams as z.ZodType<ManyWellParamsT>,
  // In 32 dimensions random-walk steps must be small; the flow needs wider layers. Samples are plotted in (x₁, x₂).
  baseParams: {
    rwm: { scan: [0.05, 0.1, 0.2, 0.3, 0.5, 0.8] },
    replicaExchange: { stepSize: 0.25 },
    flow: { hidden: 64, layers: 6, dataStepSize: 0.35, dataSamples: 8192 },
    flowMcmc: { localStepSize: 0.2 },
    snf: { stepSize: 0.1 },
  },
  quickParams: { budget: 24_000, chains: 16, training: { steps: 60, batchSize: 128 }, flow: { dataSamples: 2048, layers: 4 }, plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 } },
  async run(params, ctx) {
    const energy = new ManyWell({ dim: params.energy.dim });
    const pair = new DoubleWell();
    const deltaF = pair.deltaF();
    const exact = pair.freeEnergyProfile(linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 111));
    ctx.progress.log(`exact ΔF of x₁ = ${deltaF.toFixed(4)} kT (quadrature); exact log Z = ${energy.logZ().toFixed(4)}`);
    return runComparison2D(energy, params as ComparisonParams, ctx, {
      spec: { index: 0, name: 'x₁', threshold: 0, deadZone: 1, profileEdges: linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 45), profileMin: Math.min(...exact.f), referenceDeltaF: deltaF },
      reference: { deltaF, method: 'quadrature', definition: 'ΔF = F(x₁>0) − F(x₁<0) in kT for the first double-well pair (all pairs are independent copies)' },
      exactProfile: { x: Array.from(exact.x), f: Array.from(exact.f) },
      exactModeFractions: { 'exact P(x₁>0)': round(pair.probabilityPositive(), 6) },
      start: { center: new Array(params.energy.dim).fill(0), scale: 1.5 },
    });
  },
});
