import * as tf from '@tensorflow/tfjs';
import { assertPositive } from '@boltzflow/core';

import { CouplingBijector, type CouplingOptions } from './couplingBijector.js';

export interface AffineCouplingOptions extends CouplingOptions {
  /** Bound on the log-scale: s = bound · tanh(raw / bound) keeps |s| < bound (default 3). */
  logScaleBound?: number;
}

/**
 * RealNVP affine coupling (Dinh et al. 2017): y_a = x_a, y_b = x_b · exp(s(x_a)) + t(x_a), with the log-scale
 * softly clamped, s = bound · tanh(raw / bound). logDet = Σ s. Starts as the identity (conditioner output scale 0).
 */
export class AffineCoupling extends CouplingBijector {
  readonly logScaleBound: number;

  constructor(options: AffineCouplingOptions) {
    super(options, 2, 'affine_coupling');
    this.logScaleBound = options.logScaleBound ?? 3;
    assertPositive(this.logScaleBound, 'logScaleBound');
  }

  /** The `type` written by `toConfig()`. */
  protected get typeName(): string {
    return 'AffineCoupling';
  }

  protected extraConfig(): Record<string, unknown> {
    return { logScaleBound: this.logScaleBound };
  }

  protected transform(xb: tf.Tensor2D, params: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    const n = xb.shape[0];
    const c = this.logScaleBound;
    const s = tf.mul(tf.tanh(tf.div(tf.slice(params, [0, 0], [n, this.nB]), c)), c) as tf.Tensor2D;
    const t = tf.slice(params, [0, this.nB], [n, this.nB]);
    if (!inverse) return { out: tf.add(tf.mul(xb, tf.exp(s)), t) as tf.Tensor2D, logDet: tf.sum(s, 1) as tf.Tensor1D };
    return { out: tf.mul(tf.sub(xb, t), tf.exp(tf.neg(s))) as tf.Tensor2D, logDet: tf.neg(tf.sum(s, 1)) as tf.Tensor1D };
  }
}
