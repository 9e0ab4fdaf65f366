import { z } from 'zod';
import { disposeTree } from '@boltzflow/core';
import { randomWalkMetropolis, replicaExchangeKernel } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { runToBudget } from '../runToBudget.js';
import { round } from '../util.js';

export const replicaExchange = defineRecipe({
  name: 'replica-exchange',
  description: 'replica exchange (parallel tempering) over a temperature ladder, statistics at T = 1',
  schema: z.object({ temperatures: z.array(z.number().min(1)).min(2).max(16).default([1, 2.2, 4.8, 10.5]), stepSize: z.number().positive().default(0.5) }).strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const { temperatures, stepSize } = ctx.params;
    // Random-walk step grows with √T so that every rung keeps a similar acceptance.
    const kernel = replicaExchangeKernel(target.energy, { temperatures, kernel: (uT, T) => randomWalkMetropolis(uT, { stepSize: stepSize * Math.sqrt(T) }) });
    const x0 = target.start(budget.chains, rng);
    const bar = ctx.progress.bar('sampling replica-exchange', budget.evaluations);
    const run = runToBudget(kernel, x0, budget.evaluations, rng, bar, Math.max(10, Math.round(budget.warmup / temperatures.length)));
    bar.stop();
    x0.dispose();
    const st = run.finalState;
    const swap = st.swapAttempts.map((a, i) => (a > 0 ? round(st.swapAccepted[i] / a, 4) : 0));
    disposeTree(st);
    return {
      kind: 'chains',
      draws: run.draws,
      energyEvaluations: run.energyEvaluations,
      setupEnergyEvaluations: run.burnInEnergyEvaluations,
      acceptanceRate: run.acceptanceRate,
      settings: { temperatures: temperatures.join(', '), stepSizeAtT1: stepSize, swapAcceptance: swap.join(', '), chains: budget.chains },
      notes: ['Energy evaluations count every replica; ESS, transitions and ΔF use the T = 1 replica only.'],
    };
  },
});
