import type * as tf from '@tensorflow/tfjs';
import type { Distribution } from '@boltzflow/core';
import { runTraining, type CommonTrainOptions, type ParallelTrainOptions, type TrainResult } from './trainer.js';

/** Options of {@link trainML}. */
export interface TrainMLOptions extends CommonTrainOptions, ParallelTrainOptions {
  /** Minibatch size (the last partial batch of an epoch is dropped). Default 256. */
  batchSize?: number;
  /** Passes over the training data. Default 10. Ignored when `steps` is given. */
  epochs?: number;
  /** Exact number of optimizer steps (overrides `epochs`). */
  steps?: number;
  /** Held-out set for the validation NLL. Without it, `validationFraction` of `data` is held out (seeded split). */
  validationData?: tf.Tensor2D;
  /** Default 0.1 (0 disables the held-out split). */
  validationFraction?: number;
}

/**
 * Maximum-likelihood training: minimises −mean log q(x) over minibatches of `data` `[N, dim]` (shuffled by the run's
 * seeded Rng) with Adam, reporting the held-out NLL at every epoch end. Shares the loop of {@link train}: schedules,
 * clipping, the non-finite guard (DIVERGED with the last good weights restored), checkpoints and resume.
 * The flow must expose `logProb` differentiable w.r.t. its `trainableVariables` (e.g. a TransformedDistribution).
 */
export function trainML(flow: Distribution, data: tf.Tensor2D, options: TrainMLOptions = {}): Promise<TrainResult> {
  return runTraining(
    flow,
    {
      data,
      validationData: options.validationData,
      validationFraction: options.validationFraction ?? 0.1,
      mlBatchSize: options.batchSize ?? 256,
      weightML: 1,
      klBatchSize: 1,
      weightKL: 0,
    },
    { steps: options.steps, epochs: options.epochs, defaultEpochs: 10 },
    options,
  );
}
