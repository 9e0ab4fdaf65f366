import { z } from 'zod';
import { disposeTree, type ChainState, type Kernel, type Rng } from '@boltzflow/core';
import { hmc, nuts, windowAdaptationAsync, type MassKernelFactory } from '@boltzflow/mcmc';
import { defineRecipe, type SamplerBudget, type SamplerTarget } from '../recipe.js';
import { runToBudgetAsync } from '../runToBudget.js';
import type { Progress } from '../types.js';
import { roundSignificant } from '../util.js';
import type { RecipeRun } from '../recipe.js';

const schema = z
  .object({
    /** Stan's window-adaptation warm-up steps (setup); default: the comparison's warm-up. */
    warmupSteps: z.number().int().min(20).max(100_000).optional(),
    targetAcceptance: z.number().gt(0).lt(1).default(0.8),
    massMatrix: z.enum(['diag', 'dense']).default('diag'),
  })
  .strict();

/**
 * Window adaptation (step size + mass matrix, paid as setup) from the target's starts, then chains to the budget. Reads
 * the device asynchronously (`windowAdaptationAsync`, `runToBudgetAsync`; NUTS through its `stepReads`), so it runs on
 * WebGPU in Node too.
 */
async function adaptedRun<S extends ChainState>(
  name: string,
  factory: MassKernelFactory<S>,
  target: SamplerTarget,
  budget: SamplerBudget,
  o: z.infer<typeof schema>,
  rng: Rng,
  progress: Progress,
): Promise<RecipeRun> {
  const x0 = target.start(budget.chains, rng);
  const steps = o.warmupSteps ?? Math.max(20, budget.warmup);
  const adapted = await windowAdaptationAsync(factory, x0, { steps, rng, targetAcceptance: o.targetAcceptance, massMatrix: o.massMatrix });
  x0.dispose();
  const bar = progress.bar(`sampling ${name}`, budget.evaluations);
  const run = await runToBudgetAsync(adapted.kernel as Kernel<S>, adapted.state, budget.evaluations, rng, bar);
  bar.stop();
  disposeTree(adapted.state);
  disposeTree(run.finalState);
  return {
    kind: 'chains',
    draws: run.draws,
    energyEvaluations: run.energyEvaluations,
    setupEnergyEvaluations: adapted.energyEvaluations,
    acceptanceRate: run.acceptanceRate,
    settings: {
      stepSize: roundSignificant(adapted.stepSize, 4),
      massMatrix: o.massMatrix,
      targetAcceptance: o.targetAcceptance,
      warmupSteps: steps,
      chains: budget.chains,
    },
    notes: ['Step size and mass matrix from Stan’s window adaptation (initial fast, doubling slow, final fast windows); its evaluations are setup.'],
  };
}

/** NUTS (multinomial, generalised U-turn) after window adaptation; gradient evaluations count as energy evaluations. */
export const nutsRecipe = defineRecipe({
  name: 'nuts',
  description: 'No-U-Turn sampler after Stan-style window adaptation of step size and mass matrix',
  schema: schema.extend({ maxTreeDepth: z.number().int().min(1).max(15).default(8) }).strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const { maxTreeDepth, ...o } = ctx.params;
    return adaptedRun('nuts', (p) => nuts(target.energy, { ...p, maxTreeDepth }), target, budget, o, rng, ctx.progress);
  },
});

/** HMC with a fixed number of leapfrog steps after window adaptation. */
export const hmcRecipe = defineRecipe({
  name: 'hmc',
  description: 'Hamiltonian Monte Carlo (fixed leapfrog steps) after window adaptation of step size and mass matrix',
  schema: schema.extend({ leapfrogSteps: z.number().int().min(1).max(1000).default(10), targetAcceptance: z.number().gt(0).lt(1).default(0.65) }).strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const { leapfrogSteps, ...o } = ctx.params;
    return adaptedRun('hmc', (p) => hmc(target.energy, { ...p, numLeapfrogSteps: leapfrogSteps }), target, budget, o, rng, ctx.progress);
  },
});
