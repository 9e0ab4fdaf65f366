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
