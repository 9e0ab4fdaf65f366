/**
 * Benchmark energies in units of kT: double wells, Mueller-Brown, many-well, Gaussian mixtures, DW4, LJ13, user functions.
 *
 * @packageDocumentation
 * @module @boltzflow/energies
 */
export { energyFromFunction, energyGrad, energyAndGrad, withTemperature } from './energy.js';
export {
  DoubleWell,
  DoubleWell1D,
  DOUBLE_WELL_DEFAULTS,
  gridPoints,
  type DoubleWellOptions,
  type DoubleWellCoefficients,
  type FreeEnergyProfile,
  type GridSpec,
} from './doubleWell.js';
export { ManyWell, type ManyWellOptions } from './manyWell.js';
export { logIntegrate } from './quadrature.js';
export { MuellerBrown, MUELLER_BROWN_PARAMS, type MuellerBrownOptions } from './muellerBrown.js';
export { GaussianMixtureEnergy, type GaussianMixtureEnergyOptions, type Gmm40Options } from './gaussianMixtureEnergy.js';
export { MultiDoubleWell, type MultiDoubleWellOptions } from './multiDoubleWell.js';
export { LennardJones, type LennardJonesOptions } from './lennardJones.js';
export { PairGeometry, interatomicDistances } from './particles.js';
