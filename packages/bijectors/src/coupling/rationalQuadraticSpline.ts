import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive, BoltzflowError, describeShape } from '@boltzflow/core';

/** Options of the rational-quadratic spline transform. */
export interface RationalQuadraticSplineOptions {
  /** Evaluate the inverse map (data → latent side of the spline). Default false. */
  inverse?: boolean;
  /** The spline acts on [−bound, bound]; outside it is the identity. Default 5. */
  bound?: number;
  /** Lower bounds on the bin widths/heights as fractions of 2·bound, and on the knot derivatives. Defaults 1e-3. */
  minBinWidth?: number;
  minBinHeight?: number;
  minDerivative?: number;
  /**
   * Circular spline (Rezende et al. 2020; Durkan et al. 2019): a diffeomorphism of the circle [−bound, bound) with
   * the end points identified. The two boundary derivatives are one shared, learned value (the last entry of
   * `unnormalizedDerivatives`, which then has K entries), so the map and its derivative match at ±bound. Default false.
   */
  circular?: boolean;
}

/** Default half-width B of the spline interval [−B, B]; identity outside. */
export const DEFAULT_SPLINE_BOUND = 5;

/**
 * Elementwise monotone rational-quadratic spline with linear (identity) tails — Durkan et al. 2019, "Neural Spline
 * Flows", following the reference implementation (nflows' `unconstrained_rational_quadratic_spline`).
 *
 * Shapes: `inputs` of any shape S; `unnormalizedWidths` and `unnormalizedHeights` S+[K]; `unnormalizedDerivatives`
 * S+[K−1] (the interior knots — the two boundary derivatives are fixed to 1 so the map is C¹ with the identity tails).
 * Widths/heights go through a softmax (bins tile [−B, B] in both directions); derivatives are
 * `minDerivative + softplus(u + c)` with c chosen so that u = 0 gives derivative 1. With all-zero parameters the
 * spline is exactly the identity.
 *
 * Returns `outputs` (shape S) and `logAbsDet` (shape S, elementwise log|dy/dx| of the direction evaluated; zero in
 * the tails). The inverse solves the per-bin quadratic with the numerically stable root 2c / (−b − √(b² − 4ac)).
 * Differentiable with respect to inputs and parameters; returns fresh tensors.
 */
export function rationalQuadraticSpline(
  inputs: tf.Tensor,
  unnormalizedWidths: tf.Tensor,
  unnormalizedHeights: tf.Tensor,
  unnormalizedDerivatives: tf.Tensor,
  options: RationalQuadraticSplineOptions = {},
): { outputs: tf.Tensor; logAbsDet: tf.Tensor } {
  const bound = options.bound ?? DEFAULT_SPLINE_BOUND;
  const minW = options.minBinWidth ?? 1e-3;
  const minH = options.minBinHeight ?? 1e-3;
  const minD = options.minDerivative ?? 1e-3;
  assertPositive(bound, 'bound');
  const K = unnormalizedWidths.shape[unnormalizedWidths.rank - 1];
  assertInteger(K, 'bins', 1);
  const expectParams = (t: tf.Tensor, last: number, argument: string) => {
    const want = [...inputs.shape, last];
    if (t.rank !== want.length || t.shape.some((s, i) => s !== want[i])) {
      throw new BoltzflowError('INVALID_SHAPE', 'Spline parameters have the wrong shape', {
        argument,
        expected: describeShape(want),
        received: describeShape(t.shape),
      });
    }
  };
  expectParams(unnormalizedWidths, K, 'unnormalizedWidths');
  expectParams(unnormalizedHeights, K, 'unnormalizedHeights');
  expectParams(unnormalizedDerivatives, options.circular ? K : K - 1, 'unnormalizedDerivatives');
  if (!(minW >= 0 && minW * K < 1))
    throw new BoltzflowError('INVALID_VALUE', 'minBinWidth too large for the number of bins', {
      argument: 'minBinWidth',
      expected: `in [0, ${1 / K})`,
      received: String(minW),
    });
  if (!(minH >= 0 && minH * K < 1))
    throw new BoltzflowError('INVALID_VALUE', 'minBinHeight too large for the number of bins', {
      argument: 'minBinHeight',
      expected: `in [0, ${1 / K})`,
      received: String(minH),
    });
  if (!(minD > 0 && minD < 1))
    throw new BoltzflowError('INVALID_VALUE', 'minDerivative must be in (0, 1)', { argument: 'minDerivative', expected: 'in (0, 1)', received: String(minD) });

  return tf.tidy(() => {
    const axis = inputs.rank;
    const edge = (_t: tf.Tensor, v: number) => tf.fill([...inputs.shape, 1], v);
    // Knot positions: −B, interior cumulative sums, B (end points set exactly so the tails join continuously).
    const knots = (u: tf.Tensor, minBin: number): tf.Tensor => {
      const frac = tf.add(minBin, tf.mul(1 - minBin * K, tf.softmax(u)));
      const cum = tf.sub(tf.mul(tf.cumsum(frac, axis), 2 * bound), bound);
      const parts = [edge(u, -bound)];
      if (K > 1) parts.push(tf.slice(cum, new Array(axis + 1).fill(0), [...inputs.shape, K - 1]));
      parts.push(edge(u, bound));
      return tf.concat(parts, axis);
    };
    const xKnots = knots(unnormalizedWidths, minW);
    const yKnots = knots(unnormalizedHeights, minH);
    const c = Math.log(Math.expm1(1 - minD));
    let d: tf.Tensor;
    if (!options.circular) {
      const interiorD = tf.add(minD, tf.softplus(tf.add(unnormalizedDerivatives, c)));
      d = tf.concat([edge(inputs, 1), interiorD, edge(inputs, 1)], axis);
    } else {
      const allD = tf.add(minD, tf.softplus(tf.add(unnormalizedDerivatives, c)));
      const begin0 = new Array<number>(axis + 1).fill(0);
      const boundary = tf.slice(allD, [...begin0.slice(0, axis), K - 1], [...inputs.shape, 1]);
      const parts = [boundary];
      if (K > 1) parts.push(tf.slice(allD, begin0, [...inputs.shape, K - 1]));
      parts.push(boundary);
      d = tf.concat(parts, axis);
    }

    // Only GreaterEqual among the comparisons has a (zero) gradient registered in tfjs, so the masks use it.
    const inside = tf.greaterEqual(tf.scalar(bound), tf.abs(inputs));
    const v = tf.clipByValue(inputs, -bound, bound);
    const search = options.inverse ? yKnots : xKnots;
    const begin = new Array<number>(axis + 1).fill(0);
    const lo = (t: tf.Tensor) => tf.slice(t, begin, [...inputs.shape, K]);
    const hi = (t: tf.Tensor) => tf.slice(t, [...begin.slice(0, axis), 1], [...inputs.shape, K]);
    // Bin index = number of interior knots ≤ v; selection by one-hot products keeps gradients for the parameters.
    let bin: tf.Tensor;
    if (K > 1) {
      const interior = tf.slice(search, [...begin.slice(0, axis), 1], [...inputs.shape, K - 1]);
      bin = tf.sum(tf.cast(tf.greaterEqual(tf.expandDims(v, axis), interior), 'int32'), axis);
    } else {
      bin = tf.zeros(inputs.shape, 'int32');
    }
    const oneHot = tf.cast(tf.oneHot(bin as tf.Tensor1D, K), 'float32');
    const pick = (t: tf.Tensor) => tf.sum(tf.mul(oneHot, t), axis);
    const xk = pick(lo(xKnots));
    const wk = pick(tf.sub(hi(xKnots), lo(xKnots)));
    const yk = pick(lo(yKnots));
    const hk = pick(tf.sub(hi(yKnots), lo(yKnots)));
    const dk = pick(lo(d));
    const dk1 = pick(hi(d));
    const s = tf.div(hk, wk);
    const curv = tf.sub(tf.add(dk1, dk), tf.mul(2, s));

    let theta: tf.Tensor;
    let out: tf.Tensor;
    if (!options.inverse) {
      theta = tf.clipByValue(tf.div(tf.sub(v, xk), wk), 0, 1);
      const t1 = tf.mul(theta, tf.sub(1, theta));
      const num = tf.mul(hk, tf.add(tf.mul(s, tf.square(theta)), tf.mul(dk, t1)));
      const den = tf.add(s, tf.mul(curv, t1));
      out = tf.add(yk, tf.div(num, den));
    } else {
      const r = tf.sub(v, yk);
      const a = tf.add(tf.mul(hk, tf.sub(s, dk)), tf.mul(r, curv));
      const b = tf.sub(tf.mul(hk, dk), tf.mul(r, curv));
      const cc = tf.neg(tf.mul(s, r));
      const disc = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, cc))));
      theta = tf.clipByValue(tf.div(tf.mul(2, cc), tf.sub(tf.neg(b), tf.sqrt(disc))), 0, 1);
      out = tf.add(tf.mul(theta, wk), xk);
    }
    const t1 = tf.mul(theta, tf.sub(1, theta));
    const den = tf.add(s, tf.mul(curv, t1));
    const derivNum = tf.mul(tf.square(s), tf.add(tf.add(tf.mul(dk1, tf.square(theta)), tf.mul(tf.mul(2, s), t1)), tf.mul(dk, tf.square(tf.sub(1, theta)))));
    let ld = tf.sub(tf.log(derivNum), tf.mul(2, tf.log(den)));
    if (options.inverse) ld = tf.neg(ld);
    return {
      outputs: tf.where(inside, out, inputs),
      logAbsDet: tf.where(inside, ld, tf.zerosLike(inputs)),
    };
  });
}
