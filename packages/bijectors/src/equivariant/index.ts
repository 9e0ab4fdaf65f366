export { EGNNVectorField, type EGNNVectorFieldOptions } from './EGNNVectorField.js';
