import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, assertPositive, type Bijector, type ForwardResult, type InverseResult, type Rng, type SerializedConfig } from '@boltzflow/core';
import type { Activation } from '../nn/mlp.js';
import { registerBijector } from '../registry.js';
import { MADE } from './made.js';

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
  private readonly options: Omit<MaskedAutoregressiveFlowOptions, 'rng'>;

  constructor(options: MaskedAutoregressiveFlowOptions) {
    assertInteger(options?.dim, 'dim', 1);
    const maxLogScale = options.maxLogScale ?? 3;
    assertPositive(maxLogScale, 'maxLogScale');
    this.dim = options.dim;
    this.maxLogScale = maxLogScale;
    this.made = new MADE({ dim: options.dim, hidden: options.hidden, order: options.order, activation: options.activation ?? 'tanh', outputScale: options.outputScale, rng: options.rng, paramsPerDim: 2 });
    this.options = { dim: options.dim, hidden: options.hidden ?? [32, 32], order: this.made.order, activation: options.activation ?? 'tanh', maxLogScale, ...(options.outputScale !== undefined ? { outputScale: options.outputScale } : {}) };
  }

  /** Shift μ and bounded log-scale α, each `[n, dim]`, conditioned on `x` (autoregressively). */
  shiftAndLogScale(x: tf.Tensor2D): { shift: tf.Tensor2D; logScale: tf.Tensor2D } {
    return tf.tidy(() => {
      const [shift, raw] = this.made.params(x);
      const m = this.maxLogScale;
      return { shift, logScale: tf.mul(tf.tanh(tf.div(raw, m)), m) as tf.Tensor2D };
    });
  }

  /** z → x: `dim` MADE passes. */
  forward(z: tf.Tensor2D): ForwardResult {
    assertBatch(z, 'z', this.dim);
    return tf.tidy(() => {
      // After pass k the first k coordinates in `order` are exact, so the last pass's parameters are those of the final x.
      let x: tf.Tensor2D = tf.zerosLike(z);
      let logScale: tf.Tensor2D = x;
      for (let k = 0; k < this.dim; k++) {
        const p = this.shiftAndLogScale(x);
        x = tf.add(tf.mul(z, tf.exp(p.logScale)), p.shift);
        logScale = p.logScale;
      }
      return { y: x, logDet: tf.sum(logScale, 1) as tf.Tensor1D };
    });
  }

  /** x → z: one MADE pass. */
  inverse(x: tf.Tensor2D): InverseResult {
    assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      const { shift, logScale } = this.shiftAndLogScale(x);
      const z = tf.mul(tf.sub(x, shift), tf.exp(tf.neg(logScale))) as tf.Tensor2D;
      return { x: z, logDet: tf.neg(tf.sum(logScale, 1)) as tf.Tensor1D };
    });
  }

  get trainableVariables(): tf.Variable[] {
    return this.made.trainableVariables;
  }

  toConfig(): SerializedConfig {
    return { type: 'MaskedAutoregressiveFlow', ...this.options, hidden: [...(this.options.hidden ?? [])], order: [...(this.options.order ?? [])] };
  }

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

  get trainableVariables(): tf.Variable[] {
    return this.maf.trainableVariables;
  }

  toConfig(): SerializedConfig {
    return { ...this.maf.toConfig(), type: 'InverseAutoregressiveFlow' };
  }

  dispose(): void {
    this.maf.dispose();
  }
}

registerBijector('MaskedAutoregressiveFlow', (c) => new MaskedAutoregressiveFlow(c as unknown as MaskedAutoregressiveFlowOptions));
registerBijector('InverseAutoregressiveFlow', (c) => new InverseAutoregressiveFlow(c as unknown as MaskedAutoregressiveFlowOptions));
