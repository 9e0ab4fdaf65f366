import { z } from 'zod';
import { logPartition } from '@boltzflow/estimators';
import { defineRecipe } from '../recipe.js';
import { flowWeightedSamples } from '../flowSamplers.js';
import { round } from '../util.js';

export const flowIs = defineRecipe({
  name: 'flow-is',
  description: 'the trained Boltzmann generator alone: independent flow samples reweighted by exp(−u − log q)',
  schema: z
    .object({
      /** Flow samples (one energy evaluation each); default: the comparison's budget. */
      samples: z.number().int().min(2).optional(),
    })
    .strict(),
  needsFlow: true,
  async run(target, budget, rng, ctx) {
    const { flow } = await ctx.flow();
    const n = ctx.params.samples ?? budget.evaluations;
    const bar = ctx.progress.bar('sampling flow-is', n);
    const { x, logW } = flowWeightedSamples(flow, target.energy, n, rng, { bar });
    bar.stop();
    const z = logPartition(logW);
    return {
      kind: 'weighted',
      draws: { data: x, shape: [n, 1, target.energy.dim] },
      logWeights: logW,
      energyEvaluations: n,
      setupEnergyEvaluations: 0,
      acceptanceRate: null,
      metrics: {
        logZ: round(z.logZ, 6),
        logZStderr: round(z.stderr, 6),
        ...(target.referenceLogZ !== undefined ? { logZError: round(z.logZ - target.referenceLogZ, 6) } : {}),
      },
    };
  },
});
