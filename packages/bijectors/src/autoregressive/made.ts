import * as tf from '@tensorflow/tfjs';
import { assertInteger, BoltzflowError, type Rng, MAX_DIM } from '@boltzflow/core';
import { MLP, type Activation } from '../nn/mlp.js';

/** Options of {@link MADE}. */
export interface MADEOptions {
  /** Number of autoregressive variables. */
  dim: number;
  /** Hidden layer widths (default [32, 32]). Widths below dim − 1 leave some orderings unreachable but stay valid. */
  hidden?: number[];
  /** Parameters emitted per dimension (default 2: shift and log-scale; e.g. 3K + 1 for a spline). */
  paramsPerDim?: number;
  /**
   * Autoregressive order: a permutation of 0..dim−1; dimension `order[0]` depends on nothing, `order[k]` on
   * `order[0..k−1]`. Default: identity.
   */
  order?: number[];
  activation?: Activation;
  /** Scale of the last layer's initial weights (0 → every output starts at its bias, i.e. 0). Default 1. */
  outputScale?: number;
  rng?: Rng;
}

/** Checks that `order` is a permutation of 0..dim−1 and returns a copy (identity when absent). */
export function checkOrder(order: number[] | undefined, dim: number, argument = 'order'): number[] {
  if (order === undefined) return Array.from({ length: dim }, (_, i) => i);
  const ok = Array.isArray(order) && order.length === dim && order.every((o) => Number.isInteger(o) && o >= 0 && o < dim) && new Set(order).size === dim;
  if (!ok) {
    throw new BoltzflowError('INVALID_CONFIG', 'order must be a permutation of 0..dim-1', {
      argument,
      expected: `permutation of 0..${dim - 1}`,
      received: JSON.stringify(order),
    });
  }
  return [...order];
}

/**
 * Masked autoencoder for distribution estimation (Germain et al. 2015) on top of the shared {@link MLP}:
 * output block p of dimension i depends only on inputs that come strictly before i in `order`.
 * `apply(x)` returns `[n, paramsPerDim · dim]` laid out parameter-major: columns `p·dim … p·dim + dim − 1` hold
 * parameter p for every dimension (so {@link MADE.params} can slice them without a gather).
 *
 * Degrees: input i has degree rank(i) + 1 ∈ 1..D; hidden unit k has degree (k mod (D − 1)) + 1 (deterministic, so
 * the masks follow from the config alone); a hidden unit sees inputs of degree ≤ its own, an output of degree m sees
 * hidden units of degree < m.
 */
export class MADE {
  readonly dim: number;
  readonly paramsPerDim: number;
  readonly order: number[];
  readonly net: MLP;
  private readonly hidden: number[];

  constructor(options: MADEOptions) {
    const { dim } = options;
    assertInteger(dim, 'dim', 1, MAX_DIM);
    const hidden = options.hidden ?? [32, 32];
    const k = options.paramsPerDim ?? 2;
    assertInteger(k, 'paramsPerDim', 1);
    this.dim = dim;
    this.paramsPerDim = k;
    this.order = checkOrder(options.order, dim);
    this.hidden = [...hidden];
    const masks = madeMasks(this.order, hidden, k);
    this.net = new MLP({
      inputDim: dim,
      outputDim: k * dim,
      hidden,
      activation: options.activation ?? 'tanh',
      rng: options.rng,
      outputScale: options.outputScale,
      masks,
      name: 'made',
    });
  }

  /** Raw conditioner output `[n, paramsPerDim · dim]` (parameter-major). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.net.apply(x);
  }

  /** The outputs split into `paramsPerDim` tensors `[n, dim]`. */
  params(x: tf.Tensor2D): tf.Tensor2D[] {
    return tf.tidy(() => {
      const out = this.net.apply(x);
      return tf.split(out, this.paramsPerDim, 1) as tf.Tensor2D[];
    });
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return this.net.trainableVariables;
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): { dim: number; hidden: number[]; paramsPerDim: number; order: number[]; activation: Activation } {
    return { dim: this.dim, hidden: [...this.hidden], paramsPerDim: this.paramsPerDim, order: [...this.order], activation: this.net.options.activation };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    this.net.dispose();
  }
}

/** MADE connectivity masks `[in][out]` per layer for the given order (see {@link MADE}). */
export function madeMasks(order: number[], hidden: number[], paramsPerDim: number): number[][][] {
  const d = order.length;
  const inDeg = new Array<number>(d);
  order.forEach((dimIndex, rank) => (inDeg[dimIndex] = rank + 1));
  const hiddenDeg = hidden.map((h) => Array.from({ length: h }, (_, k) => (d > 1 ? (k % (d - 1)) + 1 : 1)));
  const masks: number[][][] = [];
  let prev = inDeg;
  for (const deg of hiddenDeg) {
    masks.push(prev.map((p) => deg.map((q) => (q >= p ? 1 : 0))));
    prev = deg;
  }
  const outDeg: number[] = [];
  for (let p = 0; p < paramsPerDim; p++) outDeg.push(...inDeg);
  masks.push(prev.map((p) => outDeg.map((q) => (q > p ? 1 : 0))));
  return masks;
}
