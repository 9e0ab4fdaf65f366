import * as tf from '@tensorflow/tfjs';
import {
  assertBatch,
  assertInteger,
  assertPositive,
  BoltzflowError,
  type Bijector,
  type ForwardResult,
  type InverseResult,
  type Rng,
  type SerializedConfig,
  MAX_DIM,
  assertOneOf,
} from '@boltzflow/core';
import type { Activation } from '../nn/mlp.js';
import { rationalQuadraticSpline } from '../coupling/rationalQuadraticSpline.js';

import { MADE } from './made.js';

/** Options of {@link MaskedAutoregressiveFlow} and {@link InverseAutoregressiveFlow}. */
export interface MaskedAutoregressiveFlowOptions {
  dim: number;
  /** MADE hidden widths (default [32, 32]). */
  hidden?: number[];
  /** Autoregressive order, a permutation of 0..dim−1 (default identity). */
  order?: number[];
  /** MADE activation (default 'tanh'). */
  activation?: Activation;
  /**
   * Bound on |log-scale|: the raw MADE output a becomes `maxLogScale · tanh(a / maxLogScale)`, so a single layer
   * scales by at most e^±maxLogScale (default 3). Keeps the sequential pass and training stable.
   */
  maxLogScale?: number;
  /** Initial scale of MADE's last layer (0 starts at the identity map). Default 1. */
  outputScale?: number;
  /**
   * Per-dimension transform: 'affine' (default) or 'spline' — the shared `rationalQuadraticSpline` with `bins` bins on
   * [−bound, bound] and identity tails (neural autoregressive spline flow, Durkan et al. 2019).
   */
  transform?: 'affine' | 'spline';
  /** Spline bins K (default 8; MADE then emits 3K − 1 parameters per dimension). */
  bins?: number;
  /** Spline half-width B (default 5). */
  bound?: number;
  rng?: Rng;
}

/**
 * Affine masked autoregressive flow (Papamakarios et al. 2017), TFP convention (`forward`: latent z → data x).
 *
 * `inverse(x)` — the density direction — is one MADE pass: z_i = (x_i − μ_i(x_<i)) · exp(−α_i(x_<i)),
 * log|det ∂z/∂x| = −Σ α_i. `forward(z)` (sampling) takes `dim` sequential MADE passes, each fixing one more
 * coordinate in `order`. α is tanh-bounded by `maxLogScale`.
 * See {@link InverseAutoregressiveFlow} for the same map with the directions swapped.
 */
export class MaskedAutoregressiveFlow implements Bijector {
  readonly dim: number;
  readonly made: MADE;
  readonly maxLogScale: number;
  readonly transform: 'affine' | 'spline';
  readonly bins: number;
  readonly bound: number;
  private readonly options: Omit<MaskedAutoregressiveFlowOptions, 'rng'>;

  constructor(options: MaskedAutoregressiveFlowOptions) {
    assertInteger(options?.dim, 'dim', 1, MAX_DIM);
    const maxLogScale = options.maxLogScale ?? 3;
    assertPositive(maxLogScale, 'maxLogScale');
    const transform = options.transform ?? 'affine';
    assertOneOf(transform, ['affine', 'spline'], 'transform', { code: 'INVALID_CONFIG', message: 'Unknown autoregressive transform' });
    const bins = options.bins ?? 8;
    assertInteger(bins, 'bins', 1);
    const bound = options.bound ?? 5;
    assertPositive(bound, 'bound');
    this.dim = options.dim;
    this.maxLogScale = maxLogScale;
    this.transform = transform;
    this.bins = bins;
    this.bound = bound;
    const paramsPerDim = transform === 'affine' ? 2 : 3 * bins - 1;
    this.made = new MADE({
      dim: options.dim,
      hidden: options.hidden,
      order: options.order,
      activation: options.activation ?? 'tanh',
      outputScale: options.outputScale,
      rng: options.rng,
      paramsPerDim,
    });
    this.options = {
      dim: options.dim,
      hidden: options.hidden ?? [32, 32],
      order: this.made.order,
      activation: options.activation ?? 'tanh',
      ...(transform === 'affine' ? { maxLogScale } : { transform, bins, bound }),
      ...(options.outputScale !== undefined ? { outputScale: options.outputScale } : {}),
    };
  }

  /** Shift μ and bounded log-scale α, each `[n, dim]`, conditioned on `x` (autoregressively; affine transform only). */
  shiftAndLogScale(x: tf.Tensor2D): { shift: tf.Tensor2D; logScale: tf.Tensor2D } {
    if (this.transform !== 'affine') {
      throw new BoltzflowError('INVALID_CONFIG', 'shiftAndLogScale needs the affine transform', {
        argument: 'transform',
        expected: "'affine'",
        received: this.transform,
      });
    }
    return tf.tidy(() => {
      const [shift, raw] = this.made.params(x);
      const m = this.maxLogScale;
      return { shift, logScale: tf.mul(tf.tanh(tf.div(raw, m)), m) as tf.Tensor2D };
    });
  }

  /**
   * The elementwise transform of `input` with parameters conditioned on `cond`: data side = τ(latent side).
   * Returns the output and the elementwise log|d out/d in| of the direction evaluated.
   */
  private transformPass(input: tf.Tensor2D, cond: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; ld: tf.Tensor2D } {
    return tf.tidy(() => {
      if (this.transform === 'affine') {
        const { shift, logScale } = this.shiftAndLogScale(cond);
        return inverse
          ? { out: tf.mul(tf.sub(input, shift), tf.exp(tf.neg(logScale))) as tf.Tensor2D, ld: tf.neg(logScale) as tf.Tensor2D }
          : { out: tf.add(tf.mul(input, tf.exp(logScale)), shift) as tf.Tensor2D, ld: logScale };
      }
      const [n, d] = input.shape;
      const K = this.bins;
      // MADE is parameter-major: [n, P·d] → [n, d, P].
      const p = tf.transpose(tf.reshape(this.made.apply(cond), [n, 3 * K - 1, d]), [0, 2, 1]);
      const w = tf.slice(p, [0, 0, 0], [n, d, K]);
      const h = tf.slice(p, [0, 0, K], [n, d, K]);
      const dv = tf.slice(p, [0, 0, 2 * K], [n, d, K - 1]);
      const r = rationalQuadraticSpline(input, w, h, dv, { inverse, bound: this.bound });
      return { out: r.outputs as tf.Tensor2D, ld: r.logAbsDet as tf.Tensor2D };
    });
  }

  /** z → x: `dim` MADE passes. */
  forward(z: tf.Tensor2D): ForwardResult {
    assertBatch(z, 'z', this.dim);
    return tf.tidy(() => {
      // After pass k the first k coordinates in `order` are exact, so the last pass's parameters are those of the final x.
      let x: tf.Tensor2D = tf.zerosLike(z);
      let ld: tf.Tensor2D = x;
      for (let k = 0; k < this.dim; k++) {
        const r = this.transformPass(z, x, false);
        x = r.out;
        ld = r.ld;
      }
      return { y: x, logDet: tf.sum(ld, 1) as tf.Tensor1D };
    });
  }

  /** x → z: one MADE pass. */
  inverse(x: tf.Tensor2D): InverseResult {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const r = this.transformPass(x, x, true);
      return { x: r.out, logDet: tf.sum(r.ld, 1) as tf.Tensor1D };
    });
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.made.trainableVariables;
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'MaskedAutoregressiveFlow', ...this.options, hidden: [...(this.options.hidden ?? [])], order: [...(this.options.order ?? [])] };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.made.dispose();
  }
}

/**
 * Inverse autoregressive flow (Kingma et al. 2016) = the inverse of {@link MaskedAutoregressiveFlow}:
 * `forward` (sampling, z → x) is one MADE pass, x_i = (z_i − μ_i(z_<i)) · exp(−α_i(z_<i)); `inverse` (density)
 * takes `dim` sequential passes. Same options; with the same `rng` seed it is exactly `MAF` with swapped directions.
 */
export class InverseAutoregressiveFlow implements Bijector {
  /** The wrapped MAF whose directions are swapped. */
  readonly maf: MaskedAutoregressiveFlow;

  constructor(options: MaskedAutoregressiveFlowOptions) {
    this.maf = new MaskedAutoregressiveFlow(options);
  }

  /** Dimension of the points the map acts on. */
  get dim(): number {
    return this.maf.dim;
  }

  forward(z: tf.Tensor2D): ForwardResult {
    const r = this.maf.inverse(z);
    return { y: r.x, logDet: r.logDet };
  }

  inverse(x: tf.Tensor2D): InverseResult {
    const r = this.maf.forward(x);
    return { x: r.y, logDet: r.logDet };
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.maf.trainableVariables;
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { ...this.maf.toConfig(), type: 'InverseAutoregressiveFlow' };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.maf.dispose();
  }
}
