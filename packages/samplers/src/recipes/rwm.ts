import { z } from 'zod';
import { randomWalkMetropolis } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { adaptedChains } from './local.js';

export const rwm = defineRecipe({
  name: 'rwm',
  description: 'random-walk Metropolis, step size adapted by dual averaging to the target acceptance',
  schema: z.object({ targetAcceptance: z.number().gt(0).lt(1).default(0.3), initialStepSize: z.number().positive().default(0.5) }).strict(),
  needsFlow: false,
  run: async (target, budget, rng, ctx) => adaptedChains('rwm', randomWalkMetropolis, target, budget, ctx.params, rng, ctx.progress),
});
