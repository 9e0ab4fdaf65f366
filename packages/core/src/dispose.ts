import * as tf from '@tensorflow/tfjs';

/** Disposes every tensor found in a (nested) object or array — handy for kernel states and info records. */
export function disposeTree(value: unknown): void {
  if (value instanceof tf.Tensor) {
    if (!(value instanceof tf.Variable)) value.dispose();
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) disposeTree(v);
    return;
  }
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) disposeTree(v);
  }
}
