export { ContinuousFlow, type ContinuousFlowOptions, type OdeSolver, type TraceEstimator, type ProbeDistribution } from './ContinuousFlow.js';
export { MLPVectorField, registerVectorField, vectorFieldFromConfig, timeColumn, type VectorField, type MLPVectorFieldOptions } from './vectorField.js';
