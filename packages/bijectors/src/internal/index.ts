export { InternalCoordinates, type InternalCoordinatesOptions } from './internalCoordinates.js';
export { zMatrixFromBonds, checkZMatrix, type ZMatrix } from './zMatrix.js';
