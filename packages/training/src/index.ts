/**
 * Maximum-likelihood, reverse-KL and mixed training of flows, with checkpoints.
 *
 * @packageDocumentation
 * @module @boltzflow/training
 */
// Flow matching (particle systems) lives in flowMatching/.
export * from './flowMatching/index.js';
export { trainML, type TrainMLOptions } from './trainML.js';
export { trainKL, type TrainKLOptions } from './trainKL.js';
export { train, type TrainOptions } from './train.js';
export type { CommonTrainOptions, TrainingProgress, TrainResult } from './trainer.js';
export type { DataParallelOptions } from './dataParallel.js';
export {
  learningRateAt,
  temperatureAt,
  validateLearningRateSchedule,
  validateTemperatureSchedule,
  type LearningRateSchedule,
  type TemperatureSchedule,
} from './schedule.js';
export {
  saveFlow,
  loadFlow,
  readCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CHECKPOINT_TMP_PREFIX,
  MAX_RNG_USE_COUNT,
  checkCheckpointDir,
  processAlive,
  checkRngState,
  minimumParameterCount,
  type SaveFlowOptions,
  type LoadFlowOptions,
  type LoadedFlow,
  type CheckpointManifest,
  type CheckpointData,
  type CheckpointFileEntry,
  type CheckpointTensorEntry,
} from './checkpoint.js';
export { flowVariables, spectralNormOwners, reparameterizedSample } from './flowParts.js';
export { importanceSummary } from './importanceSampling.js';
export { PrioritizedReplayBuffer, type PrioritizedReplayBufferOptions, type ReplayBatch } from './fab/prioritizedReplayBuffer.js';
export {
  trainFAB,
  pSquaredOverQ,
  fabReplayLoss,
  replayWeightAdjustment,
  type TrainFABOptions,
  type TrainFABResult,
  type AisRunner,
  type AisBatch,
} from './fab/trainFAB.js';
export { FlatAdamOptimizer } from './flatAdam.js';
export { runObjective, type TrainingObjective, type PreparedStep, type StepGradients, type TrainingModel } from './trainer.js';
export type { StepLoss } from './objective.js';
export { trainSNF, type TrainSNFOptions, type TrainSNFResult } from './trainSNF.js';
export { aisRunner, type AisRunnerOptions } from './fab/aisRunner.js';
export {
  trainTemperatureAnnealed,
  annealingBuffer,
  annealingBufferAsync,
  geometricTemperatures,
  type TrainTemperatureAnnealedOptions,
  type TrainTemperatureAnnealedResult,
  type TemperatureStepReport,
  type AnnealingBuffer,
} from './trainTemperatureAnnealed.js';
