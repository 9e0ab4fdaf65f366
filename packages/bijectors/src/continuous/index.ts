export { ContinuousFlow, type ContinuousFlowOptions, type OdeSolver, type TraceEstimator, type ProbeDistribution, type CnfGradient } from './continuousFlow.js';
export { MLPVectorField, registerVectorField, vectorFieldFromConfig, timeColumn, type VectorField, type MLPVectorFieldOptions } from './vectorField.js';
