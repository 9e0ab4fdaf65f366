export {
  randomWalkMetropolis,
  type RandomWalkMetropolisOptions,
  type RandomWalkMetropolisState,
  type RandomWalkMetropolisKernel,
} from './randomWalkMetropolis.js';
export { mala, type MalaOptions, type MalaState, type MalaKernel } from './mala.js';
export { hmc, type HmcOptions, type HmcState, type HmcKernel } from './hmc.js';
export { langevin, type LangevinOptions, type LangevinState, type LangevinKernel } from './langevin.js';
export {
  adaptStepSize,
  adaptStepSizeAsync,
  adaptStepSizeReads,
  DEFAULT_TARGET_ACCEPTANCE,
  type AdaptStepSizeOptions,
  type AdaptStepSizeResult,
  type StepSizeKernelFactory,
} from './adaptStepSize.js';
export {
  sampleChain,
  sampleChainAsync,
  sampleChainReads,
  sampleArray,
  disposeStateExcept,
  type SampleArray,
  type SampleChainOptions,
  type SampleChainProgress,
  type SampleChainResult,
} from './sampleChain.js';
export { nuts, type NutsOptions, type NutsState, type NutsInfo, type NutsKernel } from './nuts.js';
export {
  windowAdaptation,
  windowAdaptationAsync,
  windowAdaptationReads,
  stanWindows,
  type MassKernelFactory,
  type WindowAdaptationOptions,
  type WindowAdaptationResult,
} from './windowAdaptation.js';
export { DualAveraging } from './dualAveraging.js';
export { massOps, type MassMatrix, type MassOps } from './massMatrix.js';
