import * as tf from '@tensorflow/tfjs';
import { assertBatch, BoltzflowError, type Bijector, type SerializedConfig } from '@boltzflow/core';

import { checkDim } from './vectorParam.js';

/** Options of {@link Chain}. */
export interface ChainOptions {
  /** Applied in list order by `forward` (first element first); `inverse` runs them in reverse. */
  bijectors: Bijector[];
  /** Required only for an empty chain (the identity); otherwise must match the members' dim. */
  dim?: number;
}

function isBijector(b: unknown): b is Bijector {
  return typeof b === 'object' && b !== null && typeof (b as Bijector).forward === 'function' && typeof (b as Bijector).inverse === 'function';
}

/**
 * Composition of bijectors; log-dets add.
 *
 * Order: **list order — the first element is applied first in `forward`** (latent → data), as in bgflow's
 * SequentialFlow and nflows' CompositeTransform. `Chain([a, b]).forward(x) = b.forward(a.forward(x))`.
 * Note this is the opposite of TFP's `tfb.Chain([a, b])`, which applies `b` first.
 *
 * The chain owns its members: `dispose()` disposes them. Variables are the members' variables in list order.
 */
export class Chain implements Bijector {
  readonly dim: number;
  readonly bijectors: readonly Bijector[];

  /** `new Chain([a, b, c])` or `new Chain({ bijectors: [a, b, c] })`. */
  constructor(options: Bijector[] | ChainOptions) {
    const o: ChainOptions = Array.isArray(options) ? { bijectors: options } : options;
    if (!o || !Array.isArray(o.bijectors)) {
      throw new BoltzflowError('INVALID_CONFIG', 'Chain needs an array of bijectors', {
        argument: 'bijectors',
        expected: 'Bijector[]',
        received: String(o?.bijectors),
      });
    }
    o.bijectors.forEach((b, i) => {
      if (!isBijector(b))
        throw new BoltzflowError('INVALID_CONFIG', 'Chain member is not a bijector', { argument: `bijectors[${i}]`, expected: 'Bijector', received: typeof b });
    });
    if (o.bijectors.length === 0) {
      if (o.dim === undefined)
        throw new BoltzflowError('INVALID_CONFIG', 'An empty Chain needs dim', { argument: 'dim', expected: 'integer >= 1', received: 'undefined' });
      this.dim = checkDim(o.dim);
    } else {
      this.dim = o.bijectors[0].dim;
      if (o.dim !== undefined && o.dim !== this.dim) {
        throw new BoltzflowError('INVALID_CONFIG', 'Chain dim does not match its members', {
          argument: 'dim',
          expected: String(this.dim),
          received: String(o.dim),
        });
      }
      o.bijectors.forEach((b, i) => {
        if (b.dim !== this.dim)
          throw new BoltzflowError('INVALID_CONFIG', 'Chain members must share one dim', {
            argument: `bijectors[${i}].dim`,
            expected: String(this.dim),
            received: String(b.dim),
          });
      });
    }
    this.bijectors = [...o.bijectors];
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.bijectors.flatMap((b) => b.trainableVariables);
  }

  /** State saved with the weights but not trained by gradients. */
  get nonTrainableVariables(): tf.Variable[] {
    return this.bijectors.flatMap((b) => b.nonTrainableVariables ?? []);
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      let y: tf.Tensor2D = x;
      let logDet: tf.Tensor1D = tf.zeros([n]);
      for (const b of this.bijectors) {
        const r = b.forward(y);
        y = r.y;
        logDet = tf.add(logDet, r.logDet);
      }
      // tidy may not return its input itself; an empty chain copies.
      return { y: this.bijectors.length === 0 ? (tf.clone(x) as tf.Tensor2D) : y, logDet };
    });
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    return tf.tidy(() => {
      let x: tf.Tensor2D = y;
      let logDet: tf.Tensor1D = tf.zeros([n]);
      for (let i = this.bijectors.length - 1; i >= 0; i--) {
        const r = this.bijectors[i].inverse(x);
        x = r.x;
        logDet = tf.add(logDet, r.logDet);
      }
      return { x: this.bijectors.length === 0 ? (tf.clone(y) as tf.Tensor2D) : x, logDet };
    });
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'Chain', dim: this.dim, bijectors: this.bijectors.map((b) => b.toConfig()) };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    for (const b of this.bijectors) b.dispose();
  }
}
