import * as tf from '@tensorflow/tfjs';
import { assertBatch, BoltzflowError, type Bijector, type Rng, type SerializedConfig } from '@boltzflow/core';

import { checkDim } from './vectorParam.js';

/** Options of {@link ActNorm}. */
export interface ActNormOptions {
  dim: number;
  /** Set by `toConfig()` once initialised, so that a rebuilt layer does not re-initialise on its first batch. */
  initialized?: boolean;
  rng?: Rng;
}

/** Added to the variance before the square root, so that constant features do not give an infinite scale. */
const VARIANCE_FLOOR = 1e-6;

/**
 * Activation normalisation (Glow, Kingma & Dhariwal 2018): y = x ⊙ exp(s) + b per feature, logDet = Σ s.
 *
 * Data-dependent initialisation: `initialize(data)` (data-space samples) sets b = mean(data), exp(s) = std(data),
 * so that the data-direction output `inverse(data).x` has zero mean and unit variance per feature. Without an explicit
 * call, the first batch seen initialises the layer so that the output of that first call is standardised:
 * `inverse(y)` as above; `forward(x)` makes `forward(x).y` standardised. The initialised flag is both in
 * `toConfig()` and in `nonTrainableVariables` (a 0/1 scalar), so it survives checkpoints.
 * Variables: trainable `[logScale, shift]`, non-trainable `[initialized]`.
 */
export class ActNorm implements Bijector {
  readonly dim: number;
  readonly logScale: tf.Variable<tf.Rank.R1>;
  readonly shift: tf.Variable<tf.Rank.R1>;
  readonly initializedFlag: tf.Variable<tf.Rank.R0>;
  private initializedCache: boolean;

  /** `new ActNorm(4)` or `new ActNorm({ dim: 4 })`. */
  constructor(options: number | ActNormOptions) {
    const o: ActNormOptions = typeof options === 'number' ? { dim: options } : options;
    this.dim = checkDim(o?.dim);
    this.initializedCache = o.initialized === true;
    this.logScale = tf.variable(tf.zeros([this.dim]), true);
    this.shift = tf.variable(tf.zeros([this.dim]), true);
    this.initializedFlag = tf.variable(tf.scalar(this.initializedCache ? 1 : 0), false);
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return [this.logScale, this.shift];
  }

  /** State saved with the weights but not trained by gradients. */
  get nonTrainableVariables(): tf.Variable[] {
    return [this.initializedFlag];
  }

  /** Whether the data-dependent initialisation has happened (reads the flag variable until it is set). */
  get initialized(): boolean {
    if (!this.initializedCache) this.initializedCache = this.initializedFlag.dataSync()[0] === 1;
    return this.initializedCache;
  }

  private moments(v: tf.Tensor2D, argument: string): { mean: tf.Tensor1D; std: tf.Tensor1D } {
    const [n] = assertBatch(v, argument, this.dim);
    if (n < 2) {
      throw new BoltzflowError('INVALID_SHAPE', 'ActNorm data-dependent initialisation needs at least 2 samples', {
        argument,
        expected: `[n >= 2, ${this.dim}]`,
        received: `[${n}, ${this.dim}]`,
      });
    }
    const { mean, variance } = tf.moments(v, 0);
    return { mean: mean as tf.Tensor1D, std: tf.sqrt(tf.add(variance, VARIANCE_FLOOR)) as tf.Tensor1D };
  }

  /** Initialises from data-space samples `[n, dim]` so that `inverse(data).x` is standardised per feature. */
  initialize(data: tf.Tensor2D, argument = 'data'): void {
    tf.tidy(() => {
      const { mean, std } = this.moments(data, argument);
      this.shift.assign(mean);
      this.logScale.assign(tf.log(std) as tf.Tensor1D);
      this.initializedFlag.assign(tf.scalar(1));
    });
    this.initializedCache = true;
  }

  /** Initialises from latent-side samples so that `forward(x).y` is standardised per feature. */
  private initializeFromLatent(x: tf.Tensor2D): void {
    tf.tidy(() => {
      const { mean, std } = this.moments(x, 'x');
      this.logScale.assign(tf.neg(tf.log(std)) as tf.Tensor1D);
      this.shift.assign(tf.neg(tf.div(mean, std)) as tf.Tensor1D);
      this.initializedFlag.assign(tf.scalar(1));
    });
    this.initializedCache = true;
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    if (!this.initialized) this.initializeFromLatent(x);
    return tf.tidy(() => ({
      y: tf.add(tf.mul(x, tf.exp(this.logScale)), this.shift) as tf.Tensor2D,
      logDet: tf.add(tf.zeros([n]), tf.sum(this.logScale)) as tf.Tensor1D,
    }));
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    if (!this.initialized) this.initialize(y, 'y');
    return tf.tidy(() => ({
      x: tf.mul(tf.sub(y, this.shift), tf.exp(tf.neg(this.logScale))) as tf.Tensor2D,
      logDet: tf.sub(tf.zeros([n]), tf.sum(this.logScale)) as tf.Tensor1D,
    }));
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'ActNorm', dim: this.dim, initialized: this.initialized };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    tf.dispose([this.logScale, this.shift, this.initializedFlag]);
  }
}
