/**
 * Base and target distributions: normals, uniform, mixtures, mean-free normal, transformed distributions, data sets.
 *
 * @packageDocumentation
 * @module @boltzflow/distributions
 */
// MeanFreeNormal lives in its own file (particle systems).
export * from './meanFreeNormal.js';
export { Normal, type NormalOptions } from './normal.js';
export { normalCdf } from './normalCdf.js';
export { MultivariateNormal, cholesky, type MultivariateNormalOptions } from './multivariateNormal.js';
export { Uniform, type UniformOptions } from './uniform.js';
export { VonMises, logBesselI0, type VonMisesOptions } from './vonMises.js';
export { ProductDistribution } from './productDistribution.js';
export { Mixture } from './mixture.js';
/** Re-exported from @boltzflow/core (where it lives since energies need it too). */
export { logSumExpRows } from '@boltzflow/core';
export { TransformedDistribution } from './transformedDistribution.js';
export { twoMoons } from './twoMoons.js';
export {
  registerDistribution,
  distributionFromConfig,
  registeredDistributions,
  type DistributionFactory,
  type DistributionFactoryContext,
  type DistributionFromConfigOptions,
} from './registry.js';
export type { ScalarOrArray } from './params.js';
