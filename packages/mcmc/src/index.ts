/**
 * MCMC kernels, enhanced sampling and flow-assisted samplers.
 *
 * @packageDocumentation
 * @module @boltzflow/mcmc
 */
// kernels/: local MCMC kernels, adaptation and sampleChain; enhanced/: replica exchange, umbrella sampling, metadynamics;
// flow/: flow-assisted samplers (latent-space MCMC, independence proposals, stochastic normalizing flows).
export * from './kernels/index.js';
export * from './enhanced/index.js';
export * from './flow/index.js';
export * from './smc/index.js';
export {
  resumeChain,
  resumeChainAsync,
  resumeChainReads,
  captureChainCheckpoint,
  captureChainCheckpointAsync,
  captureChainCheckpointReads,
  validateChainCheckpoint,
  kernelSignature,
  CHAIN_CHECKPOINT_FORMAT,
  CHAIN_CHECKPOINT_VERSION,
  type ChainCheckpoint,
  type ChainCheckpointRun,
  type CheckpointTensor,
  type ResumeChainOptions,
} from './chainCheckpoint.js';
export { saveChainCheckpoint, loadChainCheckpoint } from './chainCheckpointFile.js';
