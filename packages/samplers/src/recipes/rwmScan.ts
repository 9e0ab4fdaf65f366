import { z } from 'zod';
import { disposeTree } from '@boltzflow/core';
import { randomWalkMetropolis } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { mcmcOutcome } from '../metrics.js';
import { runToBudgetAsync } from '../runToBudget.js';
import { kernelChains } from './local.js';

export const rwmScan = defineRecipe({
  name: 'rwm-scan',
  description: 'random-walk Metropolis with the step size that had the best ESS per evaluation in a pilot scan',
  schema: z.object({ scan: z.array(z.number().positive()).min(1).max(32).default([0.1, 0.25, 0.5, 1, 1.5, 2, 3]) }).strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const { scan } = ctx.params;
    const { chains, warmup } = budget;
    // Each pilot gets a fifth of the budget shared over the scan (at least 50 steps per chain); all of it is setup.
    const scanBudget = Math.max(chains * 50, Math.round(budget.evaluations / 5 / scan.length));
    let best: { step: number; score: number } | undefined;
    let setup = 0;
    const bar = ctx.progress.bar('step-size scan rwm', scan.length);
    for (const [i, step] of scan.entries()) {
      const x0 = target.start(chains, rng);
      const pilot = await runToBudgetAsync(randomWalkMetropolis(target.energy, { stepSize: step }), x0, scanBudget, rng);
      x0.dispose();
      disposeTree(pilot.finalState);
      setup += pilot.energyEvaluations;
      const draws = target.project ? target.project(pilot.draws) : pilot.draws;
      const o = mcmcOutcome({
        sampler: 'pilot',
        description: '',
        draws,
        energyEvaluations: pilot.energyEvaluations,
        wallSeconds: pilot.wallSeconds,
        acceptanceRate: pilot.acceptanceRate,
        spec: target.spec,
        plot: target.plot,
      });
      const score = o.result.essPerEnergyEvaluation;
      if (!best || score > best.score) best = { step, score };
      bar.update(i + 1, { step, 'ESS/eval': score });
    }
    bar.stop();
    const run = await kernelChains('rwm-scan', randomWalkMetropolis(target.energy, { stepSize: best!.step }), target, budget, warmup, rng, ctx.progress);
    return {
      ...run,
      setupEnergyEvaluations: setup + run.setupEnergyEvaluations,
      settings: { stepSize: best!.step, burnInSteps: warmup, scanned: scan.join(', '), pilotEvaluationsEach: scanBudget, chains },
    };
  },
});
