export { InternalCoordinates, type InternalCoordinatesOptions } from './InternalCoordinates.js';
export { zMatrixFromBonds, checkZMatrix, type ZMatrix } from './zMatrix.js';
