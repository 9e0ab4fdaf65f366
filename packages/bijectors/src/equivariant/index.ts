export { EGNNVectorField, type EGNNVectorFieldOptions } from './egnnVectorField.js';
