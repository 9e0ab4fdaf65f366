import { disposeTree, type ChainState, type Energy, type Kernel, type Rng } from '@boltzflow/core';
import { adaptStepSizeAsync } from '@boltzflow/mcmc';
import type { RecipeRun, SamplerBudget, SamplerTarget } from '../recipe.js';
import { runToBudgetAsync } from '../runToBudget.js';
import type { Progress } from '../types.js';
import { roundSignificant } from '../util.js';

/** A step-size kernel family: RWM, MALA, latent Metropolis, … */
export type StepSizeKernelFactory = (target: Energy, o: { stepSize: number }) => Kernel<ChainState>;

/**
 * Local MCMC with the dual-averaging step size adapted in `budget.warmup` steps, then run to the budget; the
 * warm-up's evaluations (adaptStepSize counts the initial one) are setup. Reads the device asynchronously
 * (`adaptStepSizeAsync`, `runToBudgetAsync`), so it runs on WebGPU in Node too.
 */
export async function adaptedChains(
  name: string,
  factory: StepSizeKernelFactory,
  target: SamplerTarget,
  budget: SamplerBudget,
  o: { targetAcceptance: number; initialStepSize: number },
  rng: Rng,
  progress: Progress,
): Promise<RecipeRun> {
  const x0 = target.start(budget.chains, rng);
  const adapted = await adaptStepSizeAsync(factory as never, target.energy, x0, {
    warmup: budget.warmup,
    rng,
    targetAcceptance: o.targetAcceptance,
    initialStepSize: o.initialStepSize,
  });
  const bar = progress.bar(`sampling ${name}`, budget.evaluations);
  const run = await runToBudgetAsync(adapted.kernel, adapted.state, budget.evaluations, rng, bar);
  bar.stop();
  disposeTree(adapted.state);
  disposeTree(run.finalState);
  x0.dispose();
  return {
    kind: 'chains',
    draws: run.draws,
    energyEvaluations: run.energyEvaluations,
    setupEnergyEvaluations: adapted.energyEvaluations,
    acceptanceRate: run.acceptanceRate,
    settings: { stepSize: roundSignificant(adapted.stepSize, 4), targetAcceptance: o.targetAcceptance, warmupSteps: budget.warmup, chains: budget.chains },
  };
}

/**
 * Runs `kernel` from fresh starts until the budget is spent, after `burnIn` steps paid as setup; `inspect` reads the
 * final state (e.g. swap statistics) before it is disposed. Reads the device asynchronously (`runToBudgetAsync`).
 */
export async function kernelChains<S extends ChainState>(
  name: string,
  kernel: Kernel<S>,
  target: SamplerTarget,
  budget: SamplerBudget,
  burnIn: number,
  rng: Rng,
  progress: Progress,
  inspect?: (final: S) => void,
): Promise<RecipeRun> {
  const x0 = target.start(budget.chains, rng);
  const bar = progress.bar(`sampling ${name}`, budget.evaluations);
  const run = await runToBudgetAsync(kernel, x0, budget.evaluations, rng, bar, burnIn);
  bar.stop();
  x0.dispose();
  inspect?.(run.finalState);
  disposeTree(run.finalState);
  return {
    kind: 'chains',
    draws: run.draws,
    energyEvaluations: run.energyEvaluations,
    setupEnergyEvaluations: run.burnInEnergyEvaluations,
    acceptanceRate: run.acceptanceRate,
  };
}
