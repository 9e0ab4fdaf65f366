import * as tf from '@tensorflow/tfjs';

import { CouplingBijector, type CouplingOptions } from './couplingBijector.js';

/** Options of {@link AdditiveCoupling}. */
export type AdditiveCouplingOptions = CouplingOptions;

/** NICE additive coupling (Dinh et al. 2015): y_a = x_a, y_b = x_b + t(x_a). Volume preserving (logDet 0). */
export class AdditiveCoupling extends CouplingBijector {
  constructor(options: AdditiveCouplingOptions) {
    super(options, 1, 'additive_coupling');
  }

  /** The `type` written by `toConfig()`. */
  protected get typeName(): string {
    return 'AdditiveCoupling';
  }

  protected extraConfig(): Record<string, unknown> {
    return {};
  }

  protected transform(xb: tf.Tensor2D, t: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return { out: (inverse ? tf.sub(xb, t) : tf.add(xb, t)) as tf.Tensor2D, logDet: tf.zeros([xb.shape[0]]) as tf.Tensor1D };
  }
}
