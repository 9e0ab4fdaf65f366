import * as tf from '@tensorflow/tfjs';
import { assertInteger, assertPositive } from '@boltzflow/core';

import { CouplingBijector, type CouplingOptions } from './couplingBijector.js';
import { DEFAULT_SPLINE_BOUND, rationalQuadraticSpline } from './rationalQuadraticSpline.js';

export interface SplineCouplingOptions extends CouplingOptions {
  /** Number of spline bins K (default 8). */
  bins?: number;
  /** The spline acts on [−bound, bound], identity outside (default 5). */
  bound?: number;
  minBinWidth?: number;
  minBinHeight?: number;
  minDerivative?: number;
  /**
   * Features (indices into x) that are angles in [−π, π], e.g. torsions: transformed by a circular spline on
   * [−π, π] (matching value and derivative at ±π), and seen by the conditioner as (cos, sin). Default none.
   */
  circular?: number[];
}

/**
 * Rational-quadratic neural spline coupling (Durkan et al. 2019): y_a = x_a, y_b = RQS(x_b; θ(x_a)) elementwise,
 * with K bins on [−B, B] and identity tails (see {@link rationalQuadraticSpline}). The conditioner outputs 3K − 1
 * numbers per transformed feature (K widths, K heights, K − 1 interior derivatives). Starts as the identity.
 */
export class SplineCoupling extends CouplingBijector {
  readonly bins: number;
  readonly bound: number;
  readonly minBinWidth: number;
  readonly minBinHeight: number;
  readonly minDerivative: number;

  constructor(options: SplineCouplingOptions) {
    const bins = options?.bins ?? 8;
    assertInteger(bins, 'bins', 1);
    const circular = options?.circular ?? [];
    // Circular features need one more parameter (the shared boundary derivative); all features then get 3K.
    super(options, circular.length > 0 ? 3 * bins : 3 * bins - 1, 'spline_coupling', circular);
    this.bins = bins;
    this.bound = options.bound ?? DEFAULT_SPLINE_BOUND;
    assertPositive(this.bound, 'bound');
    this.minBinWidth = options.minBinWidth ?? 1e-3;
    this.minBinHeight = options.minBinHeight ?? 1e-3;
    this.minDerivative = options.minDerivative ?? 1e-3;
    // Validates the minimums once, at construction.
    tf.tidy(() => {
      const z = tf.zeros([1, 1]);
      rationalQuadraticSpline(z, tf.zeros([1, 1, bins]), tf.zeros([1, 1, bins]), tf.zeros([1, 1, bins - 1]), this.splineOptions(false));
    });
    const circ = new Set(this.circularFeatures);
    const b = this.mask.map((m, i) => (m === 0 ? i : -1)).filter((i) => i >= 0);
    this.circularB = b.map((f) => (circ.has(f) ? 1 : 0));
    this.circularMask = this.circularB.some((c) => c === 1) ? tf.tensor2d([this.circularB]) : undefined;
  }

  /** 1 where a transformed feature (x_b column) is circular. */
  private readonly circularB: number[];
  private readonly circularMask: tf.Tensor2D | undefined;

  override dispose(): void {
    super.dispose();
    this.circularMask?.dispose();
  }

  private splineOptions(inverse: boolean) {
    return { inverse, bound: this.bound, minBinWidth: this.minBinWidth, minBinHeight: this.minBinHeight, minDerivative: this.minDerivative };
  }

  /** The `type` written by `toConfig()`. */
  protected get typeName(): string {
    return 'SplineCoupling';
  }

  protected extraConfig(): Record<string, unknown> {
    const base = { bins: this.bins, bound: this.bound, minBinWidth: this.minBinWidth, minBinHeight: this.minBinHeight, minDerivative: this.minDerivative };
    return this.circularFeatures.length > 0 ? { ...base, circular: [...this.circularFeatures] } : base;
  }

  protected transform(xb: tf.Tensor2D, params: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    const n = xb.shape[0];
    const K = this.bins;
    if (this.circularFeatures.length === 0) {
      const p = tf.reshape(params, [n, this.nB, 3 * K - 1]);
      const w = tf.slice(p, [0, 0, 0], [n, this.nB, K]);
      const h = tf.slice(p, [0, 0, K], [n, this.nB, K]);
      const d = tf.slice(p, [0, 0, 2 * K], [n, this.nB, K - 1]);
      const r = rationalQuadraticSpline(xb, w, h, d, this.splineOptions(inverse));
      return { out: r.outputs as tf.Tensor2D, logDet: tf.sum(r.logAbsDet, 1) as tf.Tensor1D };
    }
    const p = tf.reshape(params, [n, this.nB, 3 * K]);
    const w = tf.slice(p, [0, 0, 0], [n, this.nB, K]);
    const h = tf.slice(p, [0, 0, K], [n, this.nB, K]);
    const lin = rationalQuadraticSpline(xb, w, h, tf.slice(p, [0, 0, 2 * K], [n, this.nB, K - 1]), this.splineOptions(inverse));
    if (!this.circularMask) return { out: lin.outputs as tf.Tensor2D, logDet: tf.sum(lin.logAbsDet, 1) as tf.Tensor1D };
    const circ = rationalQuadraticSpline(xb, w, h, tf.slice(p, [0, 0, 2 * K], [n, this.nB, K]), {
      ...this.splineOptions(inverse),
      bound: Math.PI,
      circular: true,
    });
    // Per-column blend with an exact 0/1 mask: each column takes one of the two results unchanged.
    const c = this.circularMask;
    const blend = (a: tf.Tensor, b: tf.Tensor) => tf.add(tf.mul(c, a), tf.mul(tf.sub(1, c), b));
    return { out: blend(circ.outputs, lin.outputs) as tf.Tensor2D, logDet: tf.sum(blend(circ.logAbsDet, lin.logAbsDet), 1) as tf.Tensor1D };
  }
}
