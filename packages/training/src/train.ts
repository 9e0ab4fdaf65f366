import type * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type Distribution, type Energy } from '@boltzflow/core';
import type { TemperatureSchedule } from './schedule.js';
import { runTraining, type CommonTrainOptions, type ParallelTrainOptions, type TrainResult } from './trainer.js';

/** Options of {@link train}. */
export interface TrainOptions extends CommonTrainOptions, ParallelTrainOptions {
  /** Target energy for the reverse-KL term (needed when weights.kl > 0). */
  energy?: Energy;
  /** Samples `[N, dim]` (e.g. from MCMC) for the maximum-likelihood term (needed when weights.ml > 0). */
  data?: tf.Tensor2D;
  /** Loss = ml · NLL + kl · reverse KL. The Boltzmann-generator paper uses { ml: 1, kl: 1 } after ML pre-training. */
  weights: { ml: number; kl: number };
  /** Anneal the KL target u/T (the ML data are used as given). */
  temperatureSchedule?: TemperatureSchedule;
  /** ML minibatch size. Default 256. */
  batchSize?: number;
  /** Base samples per step for the KL term. Default `batchSize`. */
  klBatchSize?: number;
  /** Optimizer steps; default `epochs` over the data when there is an ML term, else 1000. */
  steps?: number;
  epochs?: number;
  validationData?: tf.Tensor2D;
  /** Default 0.1 when there is an ML term. */
  validationFraction?: number;
}

/**
 * Mixed training: weights.ml · (−mean log q(data minibatch)) + weights.kl · E_z[u_T(F(z)) − log|det ∂F/∂z|], with an
 * optional temperature annealing of the KL target. trainML and trainKL are this function with one weight set to 0.
 */
export function train(flow: Distribution, options: TrainOptions): Promise<TrainResult> {
  if (!options?.weights || typeof options.weights !== 'object') {
    throw new BoltzflowError('INVALID_CONFIG', 'train needs loss weights', { argument: 'weights', expected: '{ ml, kl }', received: String(options?.weights) });
  }
  const batchSize = options.batchSize ?? 256;
  return runTraining(
    flow,
    {
      data: options.data,
      validationData: options.validationData,
      validationFraction: options.validationFraction ?? 0.1,
      mlBatchSize: batchSize,
      weightML: options.weights.ml,
      energy: options.energy,
      klBatchSize: options.klBatchSize ?? batchSize,
      weightKL: options.weights.kl,
      temperatureSchedule: options.temperatureSchedule,
    },
    { steps: options.steps, epochs: options.epochs, defaultEpochs: 10, defaultSteps: 1000 },
    options,
  );
}
