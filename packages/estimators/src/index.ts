/**
 * Importance weights, free energies, log Z and MCMC diagnostics (ESS, R-hat, autocorrelation).
 *
 * @packageDocumentation
 * @module @boltzflow/estimators
 */
export type { Series, SeriesLike, ChainsLike } from './input.js';
export { autocorrelation, autocovariance } from './autocorrelation.js';
export { integratedAutocorrTime, type IntegratedAutocorrTimeOptions, type IntegratedAutocorrTimeResult } from './integratedAutocorrTime.js';
export { effectiveSampleSize, multiChainAutocorrelation, type EffectiveSampleSizeOptions, type EssMethod } from './effectiveSampleSize.js';
export { splitRHat } from './splitRHat.js';
export {
  countTransitions,
  meanFirstPassageTime,
  roundTripTime,
  energyEvaluationsPerEffectiveSample,
  type StateInterval,
  type StateDefinition,
  type TransitionEvent,
  type TransitionCounts,
  type PassageTimeResult,
} from './transitions.js';
export { importanceWeights, normalizeLogWeights, normalizedWeights, type ImportanceWeights } from './importanceWeights.js';
export { selfNormalizedEstimate } from './selfNormalizedEstimate.js';
export { kishESS } from './kishESS.js';
export { effectiveSampleSizeStderr, kishESSStderr } from './essStandardError.js';
export { logPartition } from './logPartition.js';
export { freeEnergyDifference, bennettAcceptanceRatio, type FreeEnergyDifferenceOptions, type BennettAcceptanceRatioOptions } from './freeEnergyDifference.js';
export { freeEnergyProfile, type FreeEnergyProfileOptions, type FreeEnergyProfile } from './freeEnergyProfile.js';
export { stateFreeEnergyDifference } from './stateFreeEnergyDifference.js';
export { mbar, mbarReweight, type MbarOptions, type MbarResult } from './mbar.js';
export { symmetricEigen, symmetricMatrixFunction, symmetricPseudoInverse } from './linalg.js';
