export { ResidualFlow, residualSeriesBound, type ResidualFlowOptions, type ResidualActivation } from './residualFlow.js';
