/**
 * Invertible maps with exact log-determinants: affine, couplings, splines, autoregressive, residual, continuous and equivariant flows.
 *
 * @packageDocumentation
 * @module @boltzflow/bijectors
 */
// Shared pieces: the conditioner network and the config registry.
export * from './nn/index.js';
export * from './registry.js';
// Each folder is one family of bijectors; its index lists the public names.
export * from './basic/index.js';
export * from './coupling/index.js';
export * from './autoregressive/index.js';
export * from './elementwise/index.js';
export * from './residual/index.js';
export * from './continuous/index.js';
export * from './equivariant/index.js';
export * from './internal/index.js';
