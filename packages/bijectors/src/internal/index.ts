export { InternalCoordinates, type InternalCoordinatesOptions } from './internalCoordinates.js';
export { zMatrixFromBonds, checkZMatrix, type ZMatrix } from './zMatrix.js';
export { dihedralBlock, type DihedralQuartet } from './dihedralBlock.js';
