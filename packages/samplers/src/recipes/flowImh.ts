import { z } from 'zod';
import { flowIndependenceProposal, mixtureKernel, randomWalkMetropolis } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { kernelChains } from './local.js';

export const flowImh = defineRecipe({
  name: 'flow-imh',
  description: 'independence Metropolis–Hastings with the trained flow as proposal, mixed with local random-walk moves',
  schema: z
    .object({
      /** Probability of a flow (independence) move; the rest are random-walk moves. */
      flowProbability: z.number().min(0).max(1).default(0.5),
      localStepSize: z.number().positive().default(0.5),
      /**
       * 'per-step' (default: one draw moves all chains, as recorded results were made) or 'per-chain' (each chain
       * draws flow or local move on its own; see mcmc's `mixtureKernel`).
       */
      kernelChoice: z.enum(['per-step', 'per-chain']).default('per-step'),
      /** Burn in for `budget.warmup` steps (paid as setup); off when the chains start in equilibrium. */
      burnIn: z.boolean().default(true),
    })
    .strict(),
  needsFlow: true,
  async run(target, budget, rng, ctx) {
    const { flow } = await ctx.flow();
    const { flowProbability: p, localStepSize, burnIn, kernelChoice } = ctx.params;
    const kernel = mixtureKernel(
      [flowIndependenceProposal(flow, target.energy), randomWalkMetropolis(target.energy, { stepSize: localStepSize })],
      [p, 1 - p],
      {
        choice: kernelChoice,
      },
    );
    const run = await kernelChains('flow-imh', kernel, target, budget, burnIn ? budget.warmup : 0, rng, ctx.progress);
    return {
      ...run,
      settings: {
        ...(burnIn ? { burnInSteps: budget.warmup } : {}),
        flowProbability: p,
        localStepSize,
        ...(kernelChoice === 'per-chain' ? { kernelChoice } : {}),
        chains: budget.chains,
      },
      notes: ['Acceptance is averaged over flow and local moves.'],
    };
  },
});
