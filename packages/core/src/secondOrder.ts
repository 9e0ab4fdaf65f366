import * as tf from '@tensorflow/tfjs';

/*
 * tfjs computes the gradients of exp, tanh, sigmoid and elu from the op's saved *output*, and a saved output is a
 * constant to an outer gradient tape. First derivatives are right, but a derivative of a derivative (a CNF's log-det
 * Tr ∂f/∂x trained by its weights, a Langevin or MALA block's ∇u differentiated again in an SNF's path weight) silently
 * drops the terms through the op's curvature. These versions recompute the local derivative from the saved *input*
 * with ordinary differentiable ops, so second derivatives are exact.
 */

/**
 * An elementwise op g whose gradient dy·g'(x) is rebuilt from the saved input x, so the gradient is itself
 * differentiable in x (see the file comment for why tfjs's own ops are not).
 */
export function withInputDerivative(value: (x: tf.Tensor) => tf.Tensor, derivative: (x: tf.Tensor) => tf.Tensor): <T extends tf.Tensor>(x: T) => T {
  const f = (x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: value(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, derivative(saved[0])) };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T) => T;
}

/** exp with its gradient exp(x) recomputed from x: second derivatives through it are exact (tf.exp's are not). */
export const secondOrderExp = withInputDerivative(tf.exp, (x) => tf.exp(x));
