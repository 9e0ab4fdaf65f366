import * as tf from '@tensorflow/tfjs';
import { secondOrderExp } from './secondOrder.js';

/**
 * The row maximum as a constant of differentiation (gradient zero). TF.js has no stop-gradient op, and the gradient of
 * `tf.max` goes through `Equal`, which has no gradient itself: any second derivative through it throws.
 */
const constantRowMax = tf.customGrad(((a: tf.Tensor) => ({
  value: tf.max(a, 1, true),
  gradFunc: () => tf.zerosLike(a),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D) => tf.Tensor2D;

/**
 * log Σⱼ exp(a_ij) per row, `[n, k]` → `[n]`, stable (shifted by the row maximum) and twice differentiable: the shift
 * cancels mathematically, so it is held constant, and exp is {@link secondOrderExp}. `tf.logSumExp` differentiates
 * through the maximum (whose gradient has no gradient) and tf.exp's gradient drops the curvature term, so the Hessian
 * of an energy built on it (MALA blocks trained end to end, Langevin path weights) throws or is wrong. Rows that are −Infinity throughout give −Infinity, not NaN.
 */
export function logSumExpRows(a: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const m = constantRowMax(a);
    const mSafe = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
    const s = tf.sum(secondOrderExp(tf.sub(a, mSafe)), 1);
    return tf.add(tf.squeeze(mSafe, [1]), tf.log(s)) as tf.Tensor1D;
  });
}
