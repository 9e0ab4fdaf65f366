export { CouplingBijector, couplingMask, type CouplingOptions } from './CouplingBijector.js';
export { AdditiveCoupling, type AdditiveCouplingOptions } from './AdditiveCoupling.js';
export { AffineCoupling, type AffineCouplingOptions } from './AffineCoupling.js';
export { rationalQuadraticSpline, DEFAULT_SPLINE_BOUND, type RationalQuadraticSplineOptions } from './rationalQuadraticSpline.js';
export { SplineCoupling, type SplineCouplingOptions } from './SplineCoupling.js';
export { realNVP, neuralSplineFlow, type RealNVPOptions, type NeuralSplineFlowOptions, type CouplingFlowOptions, type LayerPermutation } from './flowBuilders.js';
