export { CouplingBijector, couplingMask, type CouplingOptions } from './CouplingBijector.js';
export { AdditiveCoupling, type AdditiveCouplingOptions } from './AdditiveCoupling.js';
export { AffineCoupling, type AffineCouplingOptions } from './AffineCoupling.js';
