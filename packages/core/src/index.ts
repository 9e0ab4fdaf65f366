/**
 * Backend selection, seeded RNG, shape checks and the error type shared by every boltzflow package.
 *
 * @packageDocumentation
 * @module @boltzflow/core
 */
export * as tf from '@tensorflow/tfjs';
export { BoltzflowError, isBoltzflowError, type BoltzflowErrorCode, type BoltzflowErrorDetails } from './errors.js';
export {
  describeShape,
  MAX_SAMPLES,
  MAX_DIM,
  assertBatch,
  assertVector,
  assertShape,
  allFinite,
  assertFiniteTensor,
  assertFiniteNumber,
  assertPositive,
  assertNonNegative,
  assertInteger,
  assertProbability,
  assertFiniteArray,
  assertOneOf,
  type AssertOneOfOptions,
} from './guards.js';
export { Rng, createRng, type RngState } from './rng.js';
export {
  syncReadsAvailable,
  runHostReadsSync,
  runHostReadsAsync,
  requireFinite,
  settleDeferredChecks,
  type HostReads,
  type HostValues,
} from './hostReads.js';
export {
  initBackend,
  backendInfo,
  requestedBackend,
  BACKEND_NAMES,
  type BackendName,
  type BackendInfo,
} from './backend.js';
export {
  registerFastWasmMatMul,
  registerFastWasmSlice,
  registerFastWasmTanh,
  registerFastWasmSum,
  registerFastWasmConcat,
  registerFastWasmAddRow,
  registerFastWasmExpLog,
} from './kernelReplacements.js';
export { wasmMetropolisKernels, type WasmMetropolisKernels, type MetropolisDecision } from './wasmMetropolis.js';
export { logSumExp, logMeanExp } from './math.js';
export { filledTensor } from './filledTensor.js';
export { logSumExpRows } from './logSumExpRows.js';
export { withInputDerivative, secondOrderExp } from './secondOrder.js';
export type { SerializedConfig, Distribution, ForwardResult, InverseResult, Bijector, Energy, ChainState, StepInfo, Kernel, CoordinateBlock } from './types.js';
export { disposeTree } from './dispose.js';
export { writeFileAtomic, readTextFile, sha256Hex, TMP_PREFIX } from '#platform';
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
} from './particles.js';
export { determinant, svdSquare, kabsch } from './linearAlgebra.js';
export {
  selectionMatrix,
  coordinateSelectors,
  displacementSelectors,
  gatherCoordinates,
  vsub,
  vdot,
  vcross,
  vnorm,
  distance,
  angleBetween,
  bondAngle,
  dihedralOfBonds,
  torsionAngle,
  type Vec3,
} from './geometry.js';
