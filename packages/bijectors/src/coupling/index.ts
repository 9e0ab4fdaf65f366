export { CouplingBijector, couplingMask, type CouplingOptions } from './couplingBijector.js';
export { AdditiveCoupling, type AdditiveCouplingOptions } from './additiveCoupling.js';
export { AffineCoupling, type AffineCouplingOptions } from './affineCoupling.js';
export { rationalQuadraticSpline, DEFAULT_SPLINE_BOUND, type RationalQuadraticSplineOptions } from './rationalQuadraticSpline.js';
export { SplineCoupling, type SplineCouplingOptions } from './splineCoupling.js';
export {
  realNVP,
  neuralSplineFlow,
  type RealNVPOptions,
  type NeuralSplineFlowOptions,
  type CouplingFlowOptions,
  type LayerPermutation,
} from './flowBuilders.js';
