import type * as tf from '@tensorflow/tfjs';
import { runHostReadsAsync, runHostReadsSync, type ChainState, type HostReads, type Kernel, type Rng } from '@boltzflow/core';
import { disposeStateExcept, sampleChainReads } from '@boltzflow/mcmc';
import type { Draws, ProgressBar } from './types.js';

export interface BudgetRun<S extends ChainState> {
  draws: Draws;
  energyEvaluations: number;
  acceptanceRate: number;
  wallSeconds: number;
  finalState: S;
  /** Evaluations spent in burn-in (not part of `energyEvaluations`). */
  burnInEnergyEvaluations: number;
}

/**
 * Runs `kernel` in chunks until `budget` energy evaluations are spent (all chains together), so that samplers with
 * different or random per-step costs (mixtures re-initialising sub-states) get the same budget, and the progress bar
 * moves between chunks. Chunks are sized from the measured cost per step; the total lands within half a step (all
 * chains) of `budget`.
 */
export function runToBudget<S extends ChainState>(
  kernel: Kernel<S>,
  start: tf.Tensor2D | S,
  budget: number,
  rng: Rng,
  bar?: ProgressBar,
  burnIn = 0,
): BudgetRun<S> {
  return runHostReadsSync(runToBudgetReads(kernel, start, budget, rng, bar, burnIn));
}

/**
 * {@link runToBudget} with asynchronous reads (`await data()`, via `sampleChainAsync`): the same ops in the same order
 * (bit-identical seeded results), and it runs on backends without synchronous reads (WebGPU in Node).
 */
export function runToBudgetAsync<S extends ChainState>(
  kernel: Kernel<S>,
  start: tf.Tensor2D | S,
  budget: number,
  rng: Rng,
  bar?: ProgressBar,
  burnIn = 0,
): Promise<BudgetRun<S>> {
  return runHostReadsAsync(runToBudgetReads(kernel, start, budget, rng, bar, burnIn));
}

/** The run of {@link runToBudget} written once, pausing at each host read. */
export function* runToBudgetReads<S extends ChainState>(
  kernel: Kernel<S>,
  start: tf.Tensor2D | S,
  budget: number,
  rng: Rng,
  bar?: ProgressBar,
  burnIn = 0,
): HostReads<BudgetRun<S>> {
  const t0 = performance.now();
  const blocks: Float32Array[] = [];
  let kept = 0;
  let chains = 0;
  let dim = 0;
  let evals = 0;
  let accWeighted = 0;
  let state: tf.Tensor2D | S = start;
  let ownsState = false;
  let burnInEnergyEvaluations = 0;
  if (burnIn > 0) {
    // Burn-in is paid outside the budget (like step-size warm-up): the comparison is of equilibrium sampling.
    const r = yield* sampleChainReads(kernel, state, { steps: 0, burnIn, rng });
    burnInEnergyEvaluations = r.energyEvaluations;
    state = r.finalState;
    ownsState = true;
  }
  // The first chunk is one step: it measures the cost per step, so that no chunk is sized blind (a fixed first chunk
  // of 100 steps overshot small budgets by up to 45 %). Later chunks use the average cost so far and stop within half a
  // step of the budget (random per-step costs, e.g. mixtures, average out).
  let chunk = 1;
  let steps = 0;
  for (;;) {
    const r = yield* sampleChainReads(kernel, state, { steps: chunk, rng });
    if (ownsState) disposeStateExcept(state, r.finalState);
    state = r.finalState;
    ownsState = true;
    [, chains, dim] = r.samples.shape;
    blocks.push(r.samples.data);
    kept += r.samples.shape[0];
    steps += chunk;
    evals += r.energyEvaluations;
    accWeighted += r.overallAcceptanceRate * r.samples.shape[0];
    bar?.update(Math.min(evals, budget), { acceptance: kept > 0 ? accWeighted / kept : 0 });
    bar?.draws?.(r.samples);
    const perStep = Math.max(evals / steps, 1e-9);
    const remainingSteps = Math.round((budget - evals) / perStep);
    if (remainingSteps < 1) break;
    chunk = Math.max(1, Math.min(2000, remainingSteps, Math.ceil(budget / perStep / 10)));
  }
  const data = new Float32Array(kept * chains * dim);
  let o = 0;
  for (const b of blocks) {
    data.set(b, o);
    o += b.length;
  }
  return {
    draws: { data, shape: [kept, chains, dim] },
    energyEvaluations: evals,
    acceptanceRate: kept > 0 ? accWeighted / kept : 0,
    wallSeconds: (performance.now() - t0) / 1000,
    finalState: state as S,
    burnInEnergyEvaluations,
  };
}
