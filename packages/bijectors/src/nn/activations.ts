import * as tf from '@tensorflow/tfjs';

/*
 * tfjs computes the gradients of tanh, sigmoid, exp and elu from the op's saved *output*, and a saved output is a
 * constant to an outer gradient tape. First derivatives are right, but a derivative of a derivative (the gradient of a
 * CNF's log-det Tr ∂f/∂x, or of a residual block's Jacobian, with respect to the weights) silently drops the terms
 * through the activation's curvature. These versions recompute the local derivative from the saved *input* with
 * ordinary differentiable ops, so every order of autodiff that training needs is exact.
 */

/** An elementwise op g whose gradient dy·g'(x) is rebuilt from the saved input x. */
function withInputDerivative(value: (x: tf.Tensor) => tf.Tensor, derivative: (x: tf.Tensor) => tf.Tensor): <T extends tf.Tensor>(x: T) => T {
  const f = (x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: value(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, derivative(saved[0])) };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as <T extends tf.Tensor>(x: T) => T;
}

/** tanh with gradient 1 − tanh(x)² computed from x, so gradients of gradients are exact. */
export const tanh = withInputDerivative(tf.tanh, (x) => tf.sub(1, tf.square(tf.tanh(x))));

/** Logistic sigmoid with gradient σ(x)(1 − σ(x)) computed from x, so gradients of gradients are exact. */
export const sigmoid = withInputDerivative(tf.sigmoid, (x) => {
  const s = tf.sigmoid(x);
  return tf.mul(s, tf.sub(1, s));
});

/**
 * ELU (α = 1) with gradient exp(min(x, 0)) computed from x, so gradients of gradients are exact. min(x, 0) is written
 * x − relu(x): comparison ops have no gradient, relu's does.
 */
export const elu = withInputDerivative(tf.elu, (x) => tf.exp(tf.sub(x, tf.relu(x))));
