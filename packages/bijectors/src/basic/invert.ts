import type * as tf from '@tensorflow/tfjs';
import { assertBatch, BoltzflowError, type Bijector, type SerializedConfig } from '@boltzflow/core';

/** Options of {@link Invert}. */
export interface InvertOptions {
  bijector: Bijector;
}

/**
 * Swaps the directions of a bijector: `forward` = inner `inverse` and vice versa (log-dets follow).
 * Owns the inner bijector (`dispose()` disposes it) and shares its variables.
 */
export class Invert implements Bijector {
  readonly bijector: Bijector;

  /** `new Invert(b)` or `new Invert({ bijector: b })`. */
  constructor(options: Bijector | InvertOptions) {
    const b = options && typeof (options as Bijector).forward === 'function' ? (options as Bijector) : (options as InvertOptions)?.bijector;
    if (!b || typeof b.forward !== 'function' || typeof b.inverse !== 'function') {
      throw new BoltzflowError('INVALID_CONFIG', 'Invert needs a bijector', { argument: 'bijector', expected: 'Bijector', received: typeof b });
    }
    this.bijector = b;
  }

  /** Dimension of the points the map acts on. */
  get dim(): number {
    return this.bijector.dim;
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.bijector.trainableVariables;
  }

  /** State saved with the weights but not trained by gradients. */
  get nonTrainableVariables(): tf.Variable[] {
    return this.bijector.nonTrainableVariables ?? [];
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    assertBatch(x, 'x', this.dim);
    const r = this.bijector.inverse(x);
    return { y: r.x, logDet: r.logDet };
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    assertBatch(y, 'y', this.dim);
    const r = this.bijector.forward(y);
    return { x: r.y, logDet: r.logDet };
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'Invert', bijector: this.bijector.toConfig() };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.bijector.dispose();
  }
}
