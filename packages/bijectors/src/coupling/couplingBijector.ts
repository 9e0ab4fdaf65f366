import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Bijector, type Rng, type SerializedConfig, MAX_DIM } from '@boltzflow/core';
import { MLP, type Activation, type MLPOptions } from '../nn/mlp.js';
import { columnSelector } from '../basic/columnSelector.js';

/** Options shared by every coupling layer. */
export interface CouplingOptions {
  dim: number;
  /**
   * Binary mask of length dim: `1` = conditioning feature (passed through unchanged and fed to the conditioner),
   * `0` = transformed feature (RealNVP's `b`). Needs at least one of each. Give either `mask` or `split`.
   */
  mask?: number[];
  /** Split index: features `[0, split)` condition, `[split, dim)` are transformed. Default `floor(dim / 2)`. */
  split?: number;
  /** Conditioner hidden widths (default [64, 64]). */
  hidden?: number[];
  /** Conditioner activation (default 'relu'). */
  activation?: Activation;
  /**
   * Second-order-exact conditioner activations (default false): couplings are trained by maximum likelihood / KL,
   * which needs first derivatives only, so the conditioner uses the faster first-order activations
   * ({@link MLPOptions.secondOrder}). Set true for a loss that differentiates ∂f/∂x again.
   */
  secondOrder?: boolean;
  /** Initial scale of the conditioner's last layer; 0 (default) makes the layer start as the identity. */
  outputScale?: number;
  /** Weight-initialisation stream (default: seed 0). */
  rng?: Rng;
}

/** Normalises `mask`/`split` into a validated 0/1 mask. */
export function couplingMask(dim: number, mask?: number[], split?: number): number[] {
  if (mask !== undefined && split !== undefined) {
    throw new BoltzflowError('INVALID_CONFIG', 'Give either mask or split, not both', {
      argument: 'mask',
      expected: 'only one of mask, split',
      received: 'both',
    });
  }
  if (dim < 2)
    throw new BoltzflowError('INVALID_CONFIG', 'A coupling needs at least 2 features', { argument: 'dim', expected: 'integer >= 2', received: String(dim) });
  if (mask !== undefined) {
    if (!Array.isArray(mask) || mask.length !== dim) {
      throw new BoltzflowError('INVALID_CONFIG', 'Mask has the wrong length', {
        argument: 'mask',
        expected: `0/1 array of length ${dim}`,
        received: Array.isArray(mask) ? `length ${mask.length}` : String(mask),
      });
    }
    if (mask.some((m) => m !== 0 && m !== 1)) {
      throw new BoltzflowError('INVALID_CONFIG', 'Mask entries must be 0 or 1', {
        argument: 'mask',
        expected: 'entries in {0, 1}',
        received: JSON.stringify(mask),
      });
    }
    const ones = mask.filter((m) => m === 1).length;
    if (ones === 0 || ones === dim) {
      throw new BoltzflowError('INVALID_CONFIG', 'Mask must condition on at least one feature and transform at least one', {
        argument: 'mask',
        expected: 'both 0s and 1s',
        received: JSON.stringify(mask),
      });
    }
    return [...mask];
  }
  const s = split ?? Math.floor(dim / 2);
  assertInteger(s, 'split', 1, dim - 1);
  return Array.from({ length: dim }, (_, i) => (i < s ? 1 : 0));
}

/** Validates a list of circular feature indices (distinct integers in [0, dim)); returns it sorted. */
export function checkCircularFeatures(features: readonly number[], dim: number): number[] {
  if (!Array.isArray(features) || features.some((f) => !Number.isInteger(f) || f < 0 || f >= dim) || new Set(features).size !== features.length) {
    throw new BoltzflowError('INVALID_CONFIG', 'Circular features must be distinct feature indices', {
      argument: 'circular',
      expected: `distinct integers in [0, ${dim})`,
      received: JSON.stringify(features),
    });
  }
  return [...features].sort((p, q) => p - q);
}

/**
 * Base of the coupling layers: splits x into the conditioning part x_a (mask 1, unchanged) and the transformed part
 * x_b (mask 0), runs the shared {@link MLP} on x_a and lets the subclass transform x_b elementwise with its output.
 */
export abstract class CouplingBijector implements Bijector {
  readonly dim: number;
  readonly mask: number[];
  readonly hidden: number[];
  readonly activation: Activation;
  readonly outputScale: number;
  readonly conditioner: MLP;
  /** Number of conditioning (a) and transformed (b) features. */
  readonly nA: number;
  readonly nB: number;
  private readonly idxA: tf.Tensor2D;
  private readonly idxB: tf.Tensor2D;
  private readonly unsplit: tf.Tensor2D;
  /** Features (indices into x) that are angles in [−π, π]; the conditioner sees those it conditions on as (cos, sin). */
  readonly circularFeatures: number[];
  /** Selectors of the linear and circular conditioning features within x_a (absent when none is circular). */
  private readonly conditionerSplit: { linear: tf.Tensor2D; circular: tf.Tensor2D } | undefined;

  protected constructor(options: CouplingOptions, paramsPerFeature: number, name: string, circularFeatures: readonly number[] = []) {
    if (!options || typeof options !== 'object')
      throw new BoltzflowError('INVALID_CONFIG', 'Expected an options object', { argument: 'options', expected: '{ dim, ... }', received: String(options) });
    assertInteger(options.dim, 'dim', 1, MAX_DIM);
    this.dim = options.dim;
    this.mask = couplingMask(this.dim, options.mask, options.split);
    this.hidden = options.hidden ? [...options.hidden] : [64, 64];
    this.activation = options.activation ?? 'relu';
    this.outputScale = options.outputScale ?? 0;
    const a: number[] = [];
    const b: number[] = [];
    this.mask.forEach((m, i) => (m === 1 ? a : b).push(i));
    this.nA = a.length;
    this.nB = b.length;
    this.circularFeatures = checkCircularFeatures(circularFeatures, this.dim);
    const circ = new Set(this.circularFeatures);
    const circA = a.map((f, j) => (circ.has(f) ? j : -1)).filter((j) => j >= 0);
    const linA = a.map((f, j) => (circ.has(f) ? -1 : j)).filter((j) => j >= 0);
    this.conditionerSplit = circA.length > 0 ? { linear: columnSelector(this.nA, linA), circular: columnSelector(this.nA, circA) } : undefined;
    this.conditioner = new MLP({
      inputDim: this.nA + circA.length,
      outputDim: this.nB * paramsPerFeature,
      hidden: this.hidden,
      activation: this.activation,
      rng: options.rng,
      outputScale: this.outputScale,
      secondOrder: options.secondOrder ?? false,
      name,
    });
    const order = [...a, ...b];
    const inv = new Array<number>(this.dim);
    order.forEach((f, j) => (inv[f] = j));
    this.idxA = columnSelector(this.dim, a);
    this.idxB = columnSelector(this.dim, b);
    this.unsplit = columnSelector(this.dim, inv);
  }

  /** Transforms x_b `[n, nB]` given the conditioner output `[n, nB·paramsPerFeature]`; logDet `[n]` of this direction. */
  protected abstract transform(xb: tf.Tensor2D, params: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D };

  /** Subclass-specific config fields. */
  protected abstract extraConfig(): Record<string, unknown>;
  /** The `type` written by `toConfig()`. */
  protected abstract get typeName(): string;

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.conditioner.trainableVariables;
  }

  private run(v: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const va = tf.matMul(v, this.idxA) as tf.Tensor2D;
      const vb = tf.matMul(v, this.idxB) as tf.Tensor2D;
      const params = this.conditioner.apply(this.conditionerInput(va));
      const r = this.transform(vb, params, inverse);
      return { out: tf.matMul(tf.concat([va, r.out], 1), this.unsplit) as tf.Tensor2D, logDet: r.logDet };
    });
  }

  /** x_a as the conditioner sees it: linear features as they are, circular ones as (cos, sin), continuous across ±π. */
  private conditionerInput(va: tf.Tensor2D): tf.Tensor2D {
    if (!this.conditionerSplit) return va;
    const angles = tf.matMul(va, this.conditionerSplit.circular);
    // All-circular x_a (a torus flow): no linear part — a matMul with an empty selector fails in XNNPACK.
    const trig = [tf.cos(angles), tf.sin(angles)];
    return tf.concat(this.conditionerSplit.linear.shape[1] === 0 ? trig : [tf.matMul(va, this.conditionerSplit.linear), ...trig], 1) as tf.Tensor2D;
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    assertBatch(x, 'x', this.dim);
    const r = this.run(x, false);
    return { y: r.out, logDet: r.logDet };
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    assertBatch(y, 'y', this.dim);
    const r = this.run(y, true);
    return { x: r.out, logDet: r.logDet };
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return {
      type: this.typeName,
      dim: this.dim,
      mask: [...this.mask],
      hidden: [...this.hidden],
      activation: this.activation,
      outputScale: this.outputScale,
      ...this.extraConfig(),
    };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.conditioner.dispose();
    tf.dispose([this.idxA, this.idxB, this.unsplit]);
    if (this.conditionerSplit) tf.dispose([this.conditionerSplit.linear, this.conditionerSplit.circular]);
  }
}
