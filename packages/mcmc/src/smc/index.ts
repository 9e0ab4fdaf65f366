export {
  smcSampler,
  smcSamplerAsync,
  annealedImportanceSampling,
  annealedImportanceSamplingAsync,
  systematicResample,
  multinomialResample,
  type SmcOptions,
  type SmcResult,
  type SmcKernelFactory,
  type AnnealedImportanceSamplingOptions,
} from './smc.js';
