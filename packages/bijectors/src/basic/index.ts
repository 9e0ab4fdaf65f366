export { Shift, type ShiftOptions } from './shift.js';
export { Scale, type ScaleOptions } from './scale.js';
export { Permute, Reverse, checkPermutation, type PermuteOptions, type ReverseOptions } from './permute.js';
export { Chain, type ChainOptions } from './chain.js';
export { Invert, type InvertOptions } from './invert.js';
export { AffineTriL, type AffineTriLOptions, type DiagonalParameterization } from './affineTriL.js';
export { ActNorm, type ActNormOptions } from './actNorm.js';
export { columnSelector } from './columnSelector.js';
