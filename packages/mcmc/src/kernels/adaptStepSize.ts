import type * as tf from '@tensorflow/tfjs';
import {
  assertInteger,
  assertPositive,
  assertProbability,
  BoltzflowError,
  runHostReadsAsync,
  runHostReadsSync,
  type ChainState,
  type Energy,
  type HostReads,
  type Kernel,
  type Rng,
} from '@boltzflow/core';
import { DualAveraging, WarmupChain } from './dualAveraging.js';

/** Default target acceptance per kernel kind: RWM 0.234 (Roberts et al. 1997), MALA 0.574 (Roberts & Rosenthal 1998), HMC 0.65 (Beskos et al. 2013). */
export const DEFAULT_TARGET_ACCEPTANCE: Readonly<Record<string, number>> = { rwm: 0.234, mala: 0.574, hmc: 0.65 };

/** Any kernel factory taking the target and `{ stepSize }` (e.g. `randomWalkMetropolis`, `mala`, or `(t, o) => hmc(t, { ...o, numLeapfrogSteps: 10 })`). */
export type StepSizeKernelFactory<S extends ChainState> = (target: Energy, options: { stepSize: number }) => Kernel<S>;

/** Options of {@link adaptStepSize}. */
export interface AdaptStepSizeOptions {
  /** Warm-up steps spent adapting. */
  warmup: number;
  /** Target mean acceptance probability; defaults from the kernel's `kind` ({@link DEFAULT_TARGET_ACCEPTANCE}). */
  targetAcceptance?: number;
  rng: Rng;
  /** Starting step size (default 0.1); refined first by doubling/halving until the acceptance crosses the target. */
  initialStepSize?: number;
  /** Dual-averaging constants (Stan defaults γ = 0.05, t0 = 10, κ = 0.75; μ = log(10 ε0)). */
  gamma?: number;
  t0?: number;
  kappa?: number;
}

/** What {@link adaptStepSize} returns. */
export interface AdaptStepSizeResult<S extends ChainState> {
  /** Kernel built with the final (averaged) step size: the step size is frozen from here on. */
  kernel: Kernel<S>;
  stepSize: number;
  /** State after warm-up, owned by the caller; pass it to sampleChain as its starting point. */
  state: S;
  /** Mean acceptance probability over the second half of warm-up. */
  warmupAcceptance: number;
  energyEvaluations: number;
  /** Step size after each warm-up step (the iterate, not the average). */
  history: number[];
}

/**
 * Step-size adaptation by dual averaging (Hoffman & Gelman 2014, Stan's constants) during `warmup` steps.
 * The statistic is the mean over chains of min(1, exp(logAcceptRatio)), so one step size is shared by all chains
 * (a scalar; chains are exchangeable). Costs one `[chains]` download per warm-up step. Kernel states must not depend
 * on the step size (true of every kernel here), because the state is carried across kernels rebuilt at each step.
 */
export function adaptStepSize<S extends ChainState>(
  kernelFactory: StepSizeKernelFactory<S>,
  target: Energy,
  x0: tf.Tensor2D | S,
  options: AdaptStepSizeOptions,
): AdaptStepSizeResult<S> {
  return runHostReadsSync(adaptStepSizeReads(kernelFactory, target, x0, options));
}

/**
 * {@link adaptStepSize} with asynchronous reads (`await data()`, one scalar per warm-up step: the next step size
 * depends on it): the same ops in the same order, so a seed gives bit-identical results; runs on WebGPU in Node.
 */
export function adaptStepSizeAsync<S extends ChainState>(
  kernelFactory: StepSizeKernelFactory<S>,
  target: Energy,
  x0: tf.Tensor2D | S,
  options: AdaptStepSizeOptions,
): Promise<AdaptStepSizeResult<S>> {
  return runHostReadsAsync(adaptStepSizeReads(kernelFactory, target, x0, options));
}

/** The warm-up of {@link adaptStepSize} written once, pausing at each host read. */
export function* adaptStepSizeReads<S extends ChainState>(
  kernelFactory: StepSizeKernelFactory<S>,
  target: Energy,
  x0: tf.Tensor2D | S,
  options: AdaptStepSizeOptions,
): HostReads<AdaptStepSizeResult<S>> {
  assertInteger(options?.warmup, 'warmup', 1);
  const rng = options.rng;
  if (!rng || typeof rng.uniform !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'adaptStepSize needs a random stream', { argument: 'rng', expected: 'Rng', received: typeof rng });
  }
  let eps = options.initialStepSize ?? 0.1;
  assertPositive(eps, 'initialStepSize');
  const gamma = options.gamma ?? 0.05;
  const t0 = options.t0 ?? 10;
  const kappa = options.kappa ?? 0.75;
  assertPositive(gamma, 'gamma');
  assertPositive(t0, 't0');
  assertPositive(kappa, 'kappa');

  let kernel = kernelFactory(target, { stepSize: eps });
  let delta = options.targetAcceptance;
  if (delta === undefined) {
    const kind = (kernel as { kind?: string }).kind;
    delta = kind === undefined ? undefined : DEFAULT_TARGET_ACCEPTANCE[kind];
    if (delta === undefined) {
      throw new BoltzflowError('INVALID_CONFIG', 'No default target acceptance for this kernel', {
        argument: 'targetAcceptance',
        expected: 'a probability in (0, 1)',
        received: String(kind),
      });
    }
  }
  assertProbability(delta, 'targetAcceptance', true);

  const chain = new WarmupChain(kernel, x0);
  // Where reads are asynchronous, init's finiteness checks are settled here, before any step runs.
  yield null;
  const advance = (): HostReads<number> => chain.stepReads(kernel, rng);

  // Stan's heuristic: double or halve until the acceptance crosses the target (bounded number of tries).
  const warmup = options.warmup;
  const history: number[] = [];
  const heuristicSteps = Math.min(20, Math.floor(warmup / 5));
  let direction = 0;
  for (let i = 0; i < heuristicSteps; i++) {
    const a = yield* advance();
    const d = a > delta ? 1 : -1;
    if (direction !== 0 && d !== direction) break;
    direction = d;
    eps = d > 0 ? eps * 2 : eps / 2;
    kernel = kernelFactory(target, { stepSize: eps });
    history.push(eps);
  }

  const da = new DualAveraging(eps, delta, gamma, t0, kappa);
  const rest = warmup - history.length;
  let accSum = 0;
  let accN = 0;
  for (let m = 1; m <= rest; m++) {
    const a = yield* advance();
    if (m > rest / 2) {
      accSum += a;
      accN++;
    }
    eps = da.update(a);
    history.push(eps);
    kernel = kernelFactory(target, { stepSize: eps });
  }
  const finalEps = da.averagedStepSize;
  return {
    kernel: kernelFactory(target, { stepSize: finalEps }),
    stepSize: finalEps,
    state: chain.state,
    warmupAcceptance: accN > 0 ? accSum / accN : NaN,
    energyEvaluations: chain.evaluations,
    history,
  };
}
