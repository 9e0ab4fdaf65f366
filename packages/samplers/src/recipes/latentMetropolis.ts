import { z } from 'zod';
import type { Energy } from '@boltzflow/core';
import { latentMetropolis as latentKernel, randomWalkMetropolis } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { adaptedChains } from './local.js';

export const latentMetropolis = defineRecipe({
  name: 'latent-metropolis',
  description: 'random-walk Metropolis in the latent space of the trained flow',
  schema: z.object({ targetAcceptance: z.number().gt(0).lt(1).default(0.3), initialStepSize: z.number().positive().default(0.5) }).strict(),
  needsFlow: true,
  async run(target, budget, rng, ctx) {
    const { flow } = await ctx.flow();
    // The step size lives in latent space; the factory ignores the data-space target adaptStepSize passes.
    const factory = (_t: Energy, o: { stepSize: number }) => latentKernel(flow, target.energy, (lt) => randomWalkMetropolis(lt, { stepSize: o.stepSize }));
    return adaptedChains('latent-metropolis', factory, target, budget, ctx.params, rng, ctx.progress);
  },
});
