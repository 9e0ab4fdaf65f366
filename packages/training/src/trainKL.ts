import type { Distribution, Energy } from '@boltzflow/core';
import { assertInteger, MAX_SAMPLES } from '@boltzflow/core';
import type { TemperatureSchedule } from './schedule.js';
import { runTraining, type CommonTrainOptions, type ParallelTrainOptions, type TrainResult } from './trainer.js';

/** Options of {@link trainKL}. */
export interface TrainKLOptions extends CommonTrainOptions, ParallelTrainOptions {
  /** Samples from the base per step. Default 256. */
  batchSize?: number;
  /** Optimizer steps. Default 1000. */
  steps?: number;
  /** Anneal the target u/T from a high temperature down to T = 1 (see {@link TemperatureSchedule}). */
  temperatureSchedule?: TemperatureSchedule;
}

/**
 * Energy-based (reverse-KL) training: minimises J = E_z[u(F(z)) − log|det ∂F/∂z|] + const = KL(q‖p) − log Z with
 * reparameterised samples z ~ base, x = bijector.forward(z). Reports the Kish ESS of log w = −u(x) − log q(x).
 * Beware mode collapse: reverse KL alone can miss modes while the ESS stays high; mix in ML on MCMC samples with
 * {@link train} for multimodal targets.
 */
export function trainKL(flow: Distribution, energy: Energy, options: TrainKLOptions = {}): Promise<TrainResult> {
  // Validate under the caller's name before it becomes the objective's internal klBatchSize.
  if (options.batchSize !== undefined) assertInteger(options.batchSize, 'batchSize', 1, MAX_SAMPLES);
  return runTraining(
    flow,
    {
      energy,
      klBatchSize: options.batchSize ?? 256,
      weightKL: 1,
      weightML: 0,
      mlBatchSize: 1,
      validationFraction: 0,
      temperatureSchedule: options.temperatureSchedule,
    },
    { steps: options.steps, defaultSteps: 1000 },
    options,
  );
}
