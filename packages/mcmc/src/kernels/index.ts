export { randomWalkMetropolis, type RandomWalkMetropolisOptions, type RandomWalkMetropolisState, type RandomWalkMetropolisKernel } from './randomWalkMetropolis.js';
export { mala, type MalaOptions, type MalaState, type MalaKernel } from './mala.js';
export { hmc, type HmcOptions, type HmcState, type HmcKernel } from './hmc.js';
export { langevin, type LangevinOptions, type LangevinState, type LangevinKernel } from './langevin.js';
export {
  adaptStepSize,
  DEFAULT_TARGET_ACCEPTANCE,
  type AdaptStepSizeOptions,
  type AdaptStepSizeResult,
  type StepSizeKernelFactory,
} from './adaptStepSize.js';
export {
  sampleChain,
  sampleArray,
  disposeStateExcept,
  type SampleArray,
  type SampleChainOptions,
  type SampleChainProgress,
  type SampleChainResult,
} from './sampleChain.js';
