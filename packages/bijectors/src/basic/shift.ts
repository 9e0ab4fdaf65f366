import * as tf from '@tensorflow/tfjs';
import { assertBatch, type Bijector, type Rng, type SerializedConfig } from '@boltzflow/core';

import { checkDim, vectorParam } from './vectorParam.js';

/** Options of {@link Shift}. */
export interface ShiftOptions {
  dim: number;
  /** Initial (or fixed) shift b, a number or `[dim]` array. Default 0. */
  shift?: number | number[];
  /** Whether b is trained (default true). A fixed shift is stored in the config. */
  trainable?: boolean;
  /** Accepted for uniformity with the other constructors; the shift starts at `shift`, not at random. */
  rng?: Rng;
}

/** y = x + b. logDet 0. */
export class Shift implements Bijector {
  readonly dim: number;
  readonly trainable: boolean;
  readonly shift: tf.Variable<tf.Rank.R1>;

  constructor(options: ShiftOptions) {
    this.dim = checkDim(options.dim);
    this.trainable = options.trainable ?? true;
    const b = vectorParam(options.shift, this.dim, 'shift', 0);
    this.shift = tf.variable(tf.tensor1d(b), this.trainable);
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.shift] : [];
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => ({ y: tf.add(x, this.shift) as tf.Tensor2D, logDet: tf.zeros([n]) as tf.Tensor1D }));
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    return tf.tidy(() => ({ x: tf.sub(y, this.shift) as tf.Tensor2D, logDet: tf.zeros([n]) as tf.Tensor1D }));
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'Shift', dim: this.dim, trainable: this.trainable, ...(this.trainable ? {} : { shift: Array.from(this.shift.dataSync()) }) };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.shift.dispose();
  }
}
