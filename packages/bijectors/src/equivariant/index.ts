export {
  checkParticles,
  toParticles,
  fromParticles,
  removeCenterOfMass,
  centerOfMass,
  randomRotation,
  randomRotations,
  rotateParticles,
  permuteParticles,
  randomPermutation,
  determinant,
} from './particles.js';
export { EGNNVectorField, type EGNNVectorFieldOptions } from './EGNNVectorField.js';
