export { Shift, type ShiftOptions } from './Shift.js';
export { Scale, type ScaleOptions } from './Scale.js';
export { Permute, Reverse, checkPermutation, type PermuteOptions, type ReverseOptions } from './Permute.js';
export { Chain, type ChainOptions } from './Chain.js';
export { Invert, type InvertOptions } from './Invert.js';
export { AffineTriL, type AffineTriLOptions, type DiagonalParameterization } from './AffineTriL.js';
export { ActNorm, type ActNormOptions } from './ActNorm.js';
export { columnSelector } from './columnSelector.js';
