import { assertInteger, assertPositive, assertOneOf } from '@boltzflow/core';
import { annealedImportanceSamplingAsync, hmc, randomWalkMetropolis } from '@boltzflow/mcmc';
import type { AisRunner } from './trainFAB.js';

/** Options of {@link aisRunner}. */
export interface AisRunnerOptions {
  /** Intermediate distributions between q and the target (β linear). Default 8. */
  intermediateDistributions?: number;
  /** Transition at each β: HMC (FAB's default) or random-walk Metropolis. Default 'hmc'. */
  transition?: 'hmc' | 'metropolis';
  /** Leapfrog steps of each HMC transition. Default 5. */
  leapfrogSteps?: number;
  /** Transitions per intermediate distribution. Default 1. */
  stepsPerDistribution?: number;
  /** Starting step size; each stage tunes it towards the kernel's target acceptance (mcmc's AIS). Default 0.1. */
  initialStepSize?: number;
}

/**
 * FAB's AIS: mcmc's `annealedImportanceSampling` from the flow q along π_β ∝ q^{1−β}·exp(−β·u_t), β linear, with one
 * HMC (or Metropolis) transition per intermediate distribution whose step size adapts towards the kernel's target
 * acceptance. For FAB the target u_t is p²/q ({@link pSquaredOverQ}); its evaluations are counted by the caller.
 */
export function aisRunner(options: AisRunnerOptions = {}): AisRunner {
  const k = options.intermediateDistributions ?? 8;
  assertInteger(k, 'intermediateDistributions', 1);
  const leapfrog = options.leapfrogSteps ?? 5;
  assertInteger(leapfrog, 'leapfrogSteps', 1);
  const steps = options.stepsPerDistribution ?? 1;
  assertInteger(steps, 'stepsPerDistribution', 1);
  const eps = options.initialStepSize ?? 0.1;
  assertPositive(eps, 'initialStepSize');
  const transition = options.transition ?? 'hmc';
  assertOneOf(transition, ['hmc', 'metropolis'], 'transition', { code: 'INVALID_CONFIG', message: 'Unknown AIS transition' });
  const schedule = Array.from({ length: k + 2 }, (_, i) => i / (k + 1));
  // Asynchronous reads (annealedImportanceSamplingAsync): the same run, and FAB then trains on WebGPU in Node too.
  return async (flow, target, n, rng) => {
    const r = await annealedImportanceSamplingAsync(target, {
      prior: flow,
      particles: n,
      schedule,
      rng,
      mcmcSteps: steps,
      initialStepSize: eps,
      kernel: transition === 'hmc' ? (e, o) => hmc(e, { stepSize: o.stepSize, numLeapfrogSteps: leapfrog }) : (e, o) => randomWalkMetropolis(e, o),
    });
    return { x: r.samples, logWeights: Float32Array.from(r.logWeights), energyEvaluations: r.energyEvaluations };
  };
}
