import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertPositive, BoltzflowError, type Bijector, type Rng, type SerializedConfig } from '@boltzflow/core';

import { checkDim, vectorParam } from './vectorParam.js';

/** Options of {@link Scale}. */
export interface ScaleOptions {
  dim: number;
  /** Initial (or fixed) positive scale, a number or `[dim]` array. Give either this or `logScale`. Default 1. */
  scale?: number | number[];
  /** Initial (or fixed) log-scale, a number or `[dim]` array. */
  logScale?: number | number[];
  /** Whether the log-scale is trained (default true). A fixed scale is stored in the config. */
  trainable?: boolean;
  rng?: Rng;
}

/** Elementwise y = exp(s) ⊙ x, parameterised by the log-scale s so that it stays invertible. logDet = Σ s. */
export class Scale implements Bijector {
  readonly dim: number;
  readonly trainable: boolean;
  readonly logScale: tf.Variable<tf.Rank.R1>;

  constructor(options: ScaleOptions) {
    this.dim = checkDim(options.dim);
    this.trainable = options.trainable ?? true;
    if (options.scale !== undefined && options.logScale !== undefined) {
      throw new BoltzflowError('INVALID_CONFIG', 'Give either scale or logScale, not both', {
        argument: 'scale',
        expected: 'only one of scale, logScale',
        received: 'both',
      });
    }
    let s: number[];
    if (options.scale !== undefined) {
      const sc = vectorParam(options.scale, this.dim, 'scale', 1);
      sc.forEach((v, i) => assertPositive(v, `scale[${i}]`));
      s = sc.map(Math.log);
    } else {
      s = vectorParam(options.logScale, this.dim, 'logScale', 0);
    }
    this.logScale = tf.variable(tf.tensor1d(s), this.trainable);
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.logScale] : [];
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => ({ y: tf.mul(x, tf.exp(this.logScale)) as tf.Tensor2D, logDet: tf.add(tf.zeros([n]), tf.sum(this.logScale)) as tf.Tensor1D }));
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    return tf.tidy(() => ({ x: tf.mul(y, tf.exp(tf.neg(this.logScale))) as tf.Tensor2D, logDet: tf.sub(tf.zeros([n]), tf.sum(this.logScale)) as tf.Tensor1D }));
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'Scale', dim: this.dim, trainable: this.trainable, ...(this.trainable ? {} : { logScale: Array.from(this.logScale.dataSync()) }) };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.logScale.dispose();
  }
}
