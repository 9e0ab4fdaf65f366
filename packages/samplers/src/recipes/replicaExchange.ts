import { z } from 'zod';
import { randomWalkMetropolis, replicaExchangeKernel } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { kernelChains } from './local.js';
import { round } from '../util.js';

export const replicaExchange = defineRecipe({
  name: 'replica-exchange',
  description: 'replica exchange (parallel tempering) over a temperature ladder, statistics at T = 1',
  schema: z
    .object({ temperatures: z.array(z.number().min(1)).min(2).max(16).default([1, 2.2, 4.8, 10.5]), stepSize: z.number().positive().default(0.5) })
    .strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const { temperatures, stepSize } = ctx.params;
    // Random-walk step grows with √T so that every rung keeps a similar acceptance.
    const kernel = replicaExchangeKernel(target.energy, { temperatures, kernel: (uT, T) => randomWalkMetropolis(uT, { stepSize: stepSize * Math.sqrt(T) }) });
    let swap: number[] = [];
    const run = await kernelChains(
      'replica-exchange',
      kernel,
      target,
      budget,
      Math.max(10, Math.round(budget.warmup / temperatures.length)),
      rng,
      ctx.progress,
      (st) => {
        swap = st.swapAttempts.map((a, i) => (a > 0 ? round(st.swapAccepted[i] / a, 4) : 0));
      },
    );
    return {
      ...run,
      settings: { temperatures: temperatures.join(', '), stepSizeAtT1: stepSize, swapAcceptance: swap.join(', '), chains: budget.chains },
      notes: ['Energy evaluations count every replica; ESS, transitions and ΔF use the T = 1 replica only.'],
    };
  },
});
