import { z } from 'zod';
import { MuellerBrown } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { linspace, quadrature2D, round } from '@boltzflow/samplers';
import { comparisonFields, runComparison2D } from './comparison2d.js';

export const MuellerBrownParams = z
  .object({
    energy: z
      .object({ k: z.number().positive().default(0.1) })
      .strict()
      .prefault({}),
    ...comparisonFields(),
  })
  .strict();

export type MuellerBrownParamsT = z.infer<typeof MuellerBrownParams>;

const X: [number, number] = [-2, 1.4];
const Y: [number, number] = [-0.8, 2.4];
/** Dividing surface x₁ = −0.3 between minimum A (−0.56, 1.44) and minima B, C (x₁ ≈ 0.62, −0.05). */
const THRESHOLD = -0.3;

export const muellerBrown = defineExperiment<MuellerBrownParamsT>({
  name: 'mueller-brown',
  description:
    'Müller–Brown potential (k = 0.1, as in the Boltzmann-generator paper): the same sampler comparison, ΔF between basin A and basins B+C against 2D quadrature',
  params: MuellerBrownParams as z.ZodType<MuellerBrownParamsT>,
  // Length scale ~0.5 instead of the double well's ~2: smaller steps everywhere.
  baseParams: {
    rwm: { scan: [0.02, 0.05, 0.1, 0.2, 0.4, 0.8] },
    replicaExchange: { stepSize: 0.1 },
    flow: { dataStepSize: 0.3 },
    flowMcmc: { localStepSize: 0.1 },
    snf: { stepSize: 0.05 },
  },
  quickParams: {
    budget: 24_000,
    chains: 16,
    training: { steps: 80, batchSize: 128 },
    flow: { dataSamples: 2048 },
    // the SNF's end-to-end training (path KL + ML, 20 Metropolis steps × 3 blocks per path) is the slow part of a quick run
    snf: { trainSteps: 60 },
    plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 },
  },
  tinyParams: {
    budget: 1_000,
    chains: 4,
    rwm: { scan: [0.5, 1] },
    flow: { layers: 2, hidden: 4, dataSamples: 64 },
    training: { steps: 3, batchSize: 16 },
    snf: { metropolisSteps: 2, trainSteps: 2, trainBatchSize: 8 },
    plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
  },
  async run(params, ctx) {
    const energy = new MuellerBrown(params.energy);
    const profileX = linspace(X[0], X[1], 111);
    const q = quadrature2D(energy, X, Y, 801, 0, THRESHOLD, profileX);
    ctx.progress.log(`exact ΔF = ${q.deltaF.toFixed(4)} kT (2D quadrature)`);
    return runComparison2D(energy, params, ctx, {
      spec: {
        index: 0,
        name: 'x₁',
        threshold: THRESHOLD,
        deadZone: 0.15,
        profileEdges: linspace(X[0], X[1], 45),
        profileMin: Math.min(...q.profile.f),
        referenceDeltaF: q.deltaF,
      },
      reference: { deltaF: q.deltaF, method: 'quadrature (2D grid, 801²)', definition: `ΔF = F(x₁>${THRESHOLD}) − F(x₁<${THRESHOLD}) in kT` },
      exactProfile: q.profile,
      exactModeFractions: { [`exact P(x₁>${THRESHOLD})`]: round(q.pAbove, 6) },
      gridX: X,
      gridY: Y,
      start: { center: [-0.3, 0.8], scale: 0.5 },
    });
  },
});
