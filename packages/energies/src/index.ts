/**
 * Benchmark energies in units of kT: double wells, Mueller-Brown, many-well, Gaussian mixtures, DW4, LJ13, user functions.
 *
 * @packageDocumentation
 * @module @boltzflow/energies
 */
export { energyFromFunction, energyGrad, energyAndGrad, withGradientTape, withTemperature } from './energy.js';
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
export { countingEnergy, type CountingEnergy, type EvaluationCounts } from './countingEnergy.js';
export { PairGeometry, interatomicDistances } from './particles.js';
export {
  ForceFieldEnergy,
  FORCE_GROUPS,
  MOLAR_GAS_CONSTANT,
  COULOMB_CONSTANT,
  type ForceGroup,
  type FromOpenMMOptions,
} from './forceField/forceFieldEnergy.js';
export { OpenMMForceField, type AtomTypeDef, type ResidueTemplate } from './forceField/openmmForceField.js';
export { buildSystem, type ForceFieldSystem, type SystemAtom } from './forceField/system.js';
export { parsePDB, writePDB, type PdbAtom, type PdbResidue, type PdbStructure } from './forceField/pdb.js';
export { parseXml, type XmlElement } from './forceField/xml.js';
export { dihedral } from './forceField/geometry.js';
export {
  alanineDipeptide,
  ALANINE_DIPEPTIDE_PHI,
  ALANINE_DIPEPTIDE_PSI,
  type AlanineDipeptide,
  type AlanineDipeptideOptions,
} from './molecules/alanineDipeptide.js';
export { ALANINE_DIPEPTIDE_PDB, ALANINE_DIPEPTIDE_PROVENANCE } from './molecules/alanineDipeptideData.js';
