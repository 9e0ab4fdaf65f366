// Flow-assisted samplers: latent-space MCMC, flow independence proposals, kernel mixtures, stochastic normalizing flows.
export type { FlowLike } from './common.js';
export { latentMetropolis, latentEnergy, type LatentState, type LatentMetropolisKernel } from './latentMetropolis.js';
export { flowIndependenceProposal, type FlowIndependenceState, type FlowIndependenceKernel } from './flowIndependenceProposal.js';
export { blockIndependenceProposal, type BlockIndependenceState, type BlockIndependenceKernel } from './blockIndependenceProposal.js';
export { mixtureKernel, type MixtureKernelOptions, type MixturePart, type MixtureState, type MixtureStepInfo, type MixtureKernel } from './mixtureKernel.js';
export {
  StochasticNormalizingFlow,
  metropolisBlock,
  langevinBlock,
  linearLambdas,
  type StochasticBlockOptions,
  type MetropolisBlock,
  type LangevinBlock,
  type StochasticBlock,
  type SnfLayer,
  type StochasticNormalizingFlowOptions,
  type SnfSampleOptions,
  type SnfSample,
  type SnfBackward,
} from './stochasticNormalizingFlow.js';
