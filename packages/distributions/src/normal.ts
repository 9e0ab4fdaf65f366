import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, type Distribution, type Rng, type SerializedConfig, MAX_SAMPLES } from '@boltzflow/core';
import { assertAllPositive, broadcastParam, LOG_2PI, resolveDim, type ScalarOrArray } from './params.js';

/** Options of {@link Normal}. */
export interface NormalOptions {
  /** Dimension; inferred from `loc`/`scale` arrays when omitted. */
  dim?: number;
  /** Mean, scalar (broadcast) or one per dimension. Default 0. */
  loc?: ScalarOrArray;
  /** Standard deviation (> 0), scalar or one per dimension. Default 1. */
  scale?: ScalarOrArray;
  /** Makes loc and log-scale trainable variables (in that order). Default false. */
  trainable?: boolean;
}

/**
 * Diagonal Gaussian N(loc, diag(scale²)). With `trainable`, `trainableVariables` = [loc `[dim]`, logScale `[dim]`]
 * (log-parametrised so the scale stays positive under gradient steps).
 */
export class Normal implements Distribution {
  readonly dim: number;
  readonly trainable: boolean;
  /** Mean `[dim]` (a Variable when trainable). */
  readonly loc: tf.Tensor1D;
  /** log standard deviation `[dim]` (a Variable when trainable). */
  readonly logScale: tf.Tensor1D;
  private readonly initLoc: number[];
  private readonly initScale: number[];

  constructor(options: NormalOptions = {}) {
    this.dim = resolveDim(options.dim, { loc: options.loc, scale: options.scale });
    this.initLoc = broadcastParam(options.loc, this.dim, 'loc', 0);
    this.initScale = broadcastParam(options.scale, this.dim, 'scale', 1);
    assertAllPositive(this.initScale, 'scale');
    this.trainable = options.trainable ?? false;
    const loc = tf.tensor1d(this.initLoc, 'float32');
    const logScale = tf.tensor1d(this.initScale.map(Math.log), 'float32');
    if (this.trainable) {
      this.loc = tf.variable(loc, true) as unknown as tf.Tensor1D;
      this.logScale = tf.variable(logScale, true) as unknown as tf.Tensor1D;
      tf.dispose([loc, logScale]);
    } else {
      this.loc = loc;
      this.logScale = logScale;
    }
  }

  /** N(0, I) in `dim` dimensions. */
  static standard(dim: number, options: Omit<NormalOptions, 'dim' | 'loc' | 'scale'> = {}): Normal {
    assertInteger(dim, 'dim', 1);
    return new Normal({ ...options, dim });
  }

  /** [loc, logScale] when trainable, else empty. */
  get trainableVariables(): tf.Variable[] {
    return this.trainable ? [this.loc as unknown as tf.Variable, this.logScale as unknown as tf.Variable] : [];
  }

  /** Draws `[n, dim]` as loc + scale·z with z from `rng`. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const z = rng.normal([n, this.dim]);
    const x = tf.tidy(() => tf.add(this.loc, tf.mul(tf.exp(this.logScale), z)) as tf.Tensor2D);
    z.dispose();
    return x;
  }

  /** Σ_d [−½((x−μ)/σ)² − log σ − ½ log 2π], `[n]`. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const z = tf.mul(tf.sub(x, this.loc), tf.exp(tf.neg(this.logScale)));
      return tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.add(tf.sum(this.logScale), 0.5 * this.dim * LOG_2PI)) as tf.Tensor1D;
    });
  }

  /** Sample and its log-density from the same z (no inverse needed). */
  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const z = rng.normal([n, this.dim]);
    const out = tf.tidy(() => {
      const x = tf.add(this.loc, tf.mul(tf.exp(this.logScale), z)) as tf.Tensor2D;
      const logProb = tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.add(tf.sum(this.logScale), 0.5 * this.dim * LOG_2PI)) as tf.Tensor1D;
      return { x, logProb };
    });
    z.dispose();
    return out;
  }

  /** `{ type: 'Normal', dim, loc, scale, trainable }` with the construction-time parameters (weights travel separately). */
  toConfig(): SerializedConfig {
    return { type: 'Normal', dim: this.dim, loc: [...this.initLoc], scale: [...this.initScale], trainable: this.trainable };
  }

  /** Frees the parameter tensors/variables. */
  dispose(): void {
    tf.dispose([this.loc, this.logScale]);
  }
}
