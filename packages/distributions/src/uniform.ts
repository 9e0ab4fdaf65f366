import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Distribution, type Rng, type SerializedConfig, MAX_SAMPLES } from '@boltzflow/core';
import { broadcastParam, resolveDim, type ScalarOrArray } from './params.js';

/** Options of {@link Uniform}: the box [low, high] per dimension. */
export interface UniformOptions {
  /** Dimension; inferred from array bounds when omitted. */
  dim?: number;
  /** Lower bounds, scalar or `[dim]`. Default 0. */
  low?: ScalarOrArray;
  /** Upper bounds (> low), scalar or `[dim]`. Default 1. */
  high?: ScalarOrArray;
}

/** Uniform density on the box Πᵢ [lowᵢ, highᵢ]; logProb is −Infinity outside the box (a valid value, not an error). */
export class Uniform implements Distribution {
  readonly dim: number;
  readonly trainableVariables: tf.Variable[] = [];
  readonly low: number[];
  readonly high: number[];
  private readonly logVolume: number;
  private readonly lowT: tf.Tensor1D;
  private readonly highT: tf.Tensor1D;

  constructor(options: UniformOptions = {}) {
    this.dim = resolveDim(options.dim, { low: options.low, high: options.high });
    this.low = broadcastParam(options.low, this.dim, 'low', 0);
    this.high = broadcastParam(options.high, this.dim, 'high', 1);
    this.high.forEach((h, i) => {
      if (!(h > this.low[i])) {
        throw new BoltzflowError('INVALID_VALUE', 'Upper bound must exceed the lower bound', {
          argument: 'high',
          expected: `> low (${this.low[i]}) at index ${i}`,
          received: String(h),
        });
      }
    });
    this.logVolume = this.high.reduce((s, h, i) => s + Math.log(h - this.low[i]), 0);
    this.lowT = tf.tensor1d(this.low, 'float32');
    this.highT = tf.tensor1d(this.high, 'float32');
  }

  /** Draws `[n, dim]` uniformly in the box. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const u = rng.uniform([n, this.dim]);
    const x = tf.tidy(() => tf.add(this.lowT, tf.mul(u, tf.sub(this.highT, this.lowT))) as tf.Tensor2D);
    u.dispose();
    return x;
  }

  /** −Σ log(high − low) inside the (closed) box, −Infinity outside; `[n]`. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const inside = tf.all(tf.logicalAnd(tf.greaterEqual(x, this.lowT), tf.lessEqual(x, this.highT)), 1);
      return tf.where(inside, tf.fill([n], -this.logVolume), tf.fill([n], -Infinity)) as tf.Tensor1D;
    });
  }

  /** Samples and their (constant) log-density. */
  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    const x = this.sample(n, rng);
    return { x, logProb: tf.fill([n], -this.logVolume) as tf.Tensor1D };
  }

  /** `{ type: 'Uniform', dim, low, high }`. */
  toConfig(): SerializedConfig {
    return { type: 'Uniform', dim: this.dim, low: [...this.low], high: [...this.high] };
  }

  /** Frees the bound tensors. */
  dispose(): void {
    tf.dispose([this.lowT, this.highT]);
  }
}
