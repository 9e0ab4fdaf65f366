import { z } from 'zod';
import { mala as malaKernel } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { adaptedChains } from './local.js';

export const mala = defineRecipe({
  name: 'mala',
  description: 'Metropolis-adjusted Langevin, step size adapted by dual averaging',
  schema: z.object({ targetAcceptance: z.number().gt(0).lt(1).default(0.57), initialStepSize: z.number().positive().default(0.5) }).strict(),
  needsFlow: false,
  run: async (target, budget, rng, ctx) => adaptedChains('mala', malaKernel, target, budget, ctx.params, rng, ctx.progress),
});
