import * as tf from '@tensorflow/tfjs';
import { withInputDerivative } from '@boltzflow/core';

// tfjs's tanh, sigmoid and elu take their gradients from the saved output, which an outer tape treats as a constant;
// these rebuild the derivative from the input (core's `withInputDerivative`) so every order of autodiff is exact.

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
