export { energyFromFunction, energyGrad, energyAndGrad, withTemperature } from './energy.js';
