import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Bijector, type Distribution, type Rng, type SerializedConfig, MAX_SAMPLES } from '@boltzflow/core';

/**
 * The push-forward of `base` through `bijector` (a normalizing flow): x = bijector.forward(z), z ~ base, and
 * log p(x) = log p_base(z) + log|det ∂z/∂x| with z = bijector.inverse(x).x.
 * `sampleWithLogProb` needs only the forward pass: log p(x) = log p_base(z) − log|det ∂x/∂z|.
 */
export class TransformedDistribution implements Distribution {
  readonly dim: number;
  readonly base: Distribution;
  readonly bijector: Bijector;

  constructor(base: Distribution, bijector: Bijector) {
    if (!base || typeof base.logProb !== 'function') {
      throw new BoltzflowError('INVALID_VALUE', 'Expected a Distribution', { argument: 'base', expected: 'Distribution', received: typeof base });
    }
    if (!bijector || typeof bijector.forward !== 'function' || typeof bijector.inverse !== 'function') {
      throw new BoltzflowError('INVALID_VALUE', 'Expected a Bijector', { argument: 'bijector', expected: 'Bijector', received: typeof bijector });
    }
    if (base.dim !== bijector.dim) {
      throw new BoltzflowError('INVALID_SHAPE', 'Base distribution and bijector dimensions differ', {
        argument: 'bijector',
        expected: `dim ${base.dim} (base.dim)`,
        received: `dim ${bijector.dim}`,
      });
    }
    this.dim = base.dim;
    this.base = base;
    this.bijector = bijector;
  }

  /** Base variables first, then the bijector's. */
  get trainableVariables(): tf.Variable[] {
    return [...this.base.trainableVariables, ...this.bijector.trainableVariables];
  }

  /** x = forward(z), z ~ base; `[n, dim]`. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const z = this.base.sample(n, rng);
    const out = tf.tidy(() => {
      const f = this.bijector.forward(z);
      f.logDet.dispose();
      return f.y;
    });
    z.dispose();
    return out;
  }

  /** log p_base(inverse(x)) + inverse log-det, `[n]`. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const inv = this.bijector.inverse(x);
      return tf.add(this.base.logProb(inv.x), inv.logDet) as tf.Tensor1D;
    });
  }

  /** Forward pass only: log p(x) = log p_base(z) − forward log-det. */
  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    return tf.tidy(() => {
      const b = this.base.sampleWithLogProb(n, rng);
      const f = this.bijector.forward(b.x);
      return { x: f.y, logProb: tf.sub(b.logProb, f.logDet) as tf.Tensor1D };
    });
  }

  /** `{ type: 'TransformedDistribution', base: <config>, bijector: <config> }`. */
  toConfig(): SerializedConfig {
    return { type: 'TransformedDistribution', base: this.base.toConfig(), bijector: this.bijector.toConfig() };
  }

  /** Frees the bijector's variables and the base's parameters (when it has a dispose method). */
  dispose(): void {
    this.bijector.dispose();
    (this.base as { dispose?: () => void }).dispose?.();
  }
}
