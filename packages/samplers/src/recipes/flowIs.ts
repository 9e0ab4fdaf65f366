import { z } from 'zod';
import { logPartition } from '@boltzflow/estimators';
import type { Rng } from '@boltzflow/core';
import type { TransformedDistribution } from '@boltzflow/distributions';
import { defineRecipe, type RecipeRun, type SamplerTarget } from '../recipe.js';
import type { Progress } from '../types.js';
import { flowWeightedSamplesAsync } from '../flowSamplers.js';
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
    return flowImportanceRun('flow-is', flow, target, ctx.params.samples ?? budget.evaluations, rng, ctx.progress);
  },
});

/** `n` independent samples of `flow` reweighted by exp(−u − log q), with log Z and its error: every flow-IS row (asynchronous reads). */
export async function flowImportanceRun(
  name: string,
  flow: TransformedDistribution,
  target: SamplerTarget,
  n: number,
  rng: Rng,
  progress: Progress,
): Promise<RecipeRun> {
  const bar = progress.bar(`sampling ${name}`, n);
  const { x, logW } = await flowWeightedSamplesAsync(flow, target.energy, n, rng, { bar });
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
}
