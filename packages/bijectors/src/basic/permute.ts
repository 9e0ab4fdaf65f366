import * as tf from '@tensorflow/tfjs';
import { assertBatch, BoltzflowError, type Bijector, type Rng, type SerializedConfig } from '@boltzflow/core';

import { checkDim } from './vectorParam.js';
import { columnSelector } from './columnSelector.js';

/** Options of {@link Permute}. */
export interface PermuteOptions {
  /** `y[:, i] = x[:, permutation[i]]`; must contain each of 0..dim-1 once. */
  permutation: number[];
  /** Optional; when given it must equal `permutation.length`. */
  dim?: number;
  rng?: Rng;
}

/** Validates a permutation of 0..n-1 and returns it as a plain array. */
export function checkPermutation(p: unknown, argument = 'permutation', dim?: number): number[] {
  if (!Array.isArray(p) && !(p instanceof Int32Array)) {
    throw new BoltzflowError('INVALID_CONFIG', 'Expected an array of indices', { argument, expected: 'number[]', received: String(p) });
  }
  const arr = Array.from(p as ArrayLike<number>);
  if (arr.length === 0 || (dim !== undefined && arr.length !== dim)) {
    throw new BoltzflowError('INVALID_CONFIG', 'Permutation has the wrong length', {
      argument,
      expected: dim === undefined ? 'length >= 1' : `length ${dim}`,
      received: `length ${arr.length}`,
    });
  }
  const seen = new Array<boolean>(arr.length).fill(false);
  for (const v of arr) {
    if (!Number.isInteger(v) || v < 0 || v >= arr.length || seen[v]) {
      throw new BoltzflowError('INVALID_CONFIG', 'Not a permutation', {
        argument,
        expected: `each of 0..${arr.length - 1} exactly once`,
        received: JSON.stringify(arr),
      });
    }
    seen[v] = true;
  }
  return arr;
}

/** Fixed permutation of the features: `y[:, i] = x[:, permutation[i]]`. logDet 0, no variables. */
export class Permute implements Bijector {
  readonly dim: number;
  readonly permutation: number[];
  readonly inversePermutation: number[];
  private readonly fwdIdx: tf.Tensor2D;
  private readonly invIdx: tf.Tensor2D;

  /** `new Permute([2, 0, 1])` or `new Permute({ permutation: [2, 0, 1] })`. */
  constructor(options: number[] | PermuteOptions) {
    const o: PermuteOptions = Array.isArray(options) ? { permutation: options } : options;
    if (o === null || typeof o !== 'object') {
      throw new BoltzflowError('INVALID_CONFIG', 'Permute needs a permutation', { argument: 'permutation', expected: 'number[]', received: String(o) });
    }
    if (o.dim !== undefined) checkDim(o.dim);
    this.permutation = checkPermutation(o.permutation, 'permutation', o.dim);
    this.dim = this.permutation.length;
    this.inversePermutation = new Array<number>(this.dim);
    this.permutation.forEach((p, i) => (this.inversePermutation[p] = i));
    this.fwdIdx = columnSelector(this.dim, this.permutation);
    this.invIdx = columnSelector(this.dim, this.inversePermutation);
  }

  /** A uniformly random permutation drawn from `rng`. */
  static random(dim: number, rng: Rng): Permute {
    checkDim(dim);
    return new Permute(Array.from(rng.permutation(dim)));
  }

  /** Variables trained by gradients, in a fixed order (checkpoints rely on it). */
  get trainableVariables(): tf.Variable[] {
    return [];
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => ({ y: tf.matMul(x, this.fwdIdx) as tf.Tensor2D, logDet: tf.zeros([n]) as tf.Tensor1D }));
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    return tf.tidy(() => ({ x: tf.matMul(y, this.invIdx) as tf.Tensor2D, logDet: tf.zeros([n]) as tf.Tensor1D }));
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  toConfig(): SerializedConfig {
    return { type: 'Permute', permutation: [...this.permutation] };
  }

  /** Frees the variables it owns. */
  dispose(): void {
    tf.dispose([this.fwdIdx, this.invIdx]);
  }
}

/** Options of {@link Reverse}. */
export interface ReverseOptions {
  dim: number;
}

/** Reverses the feature order (`y[:, i] = x[:, dim-1-i]`), the classic coupling interleave. */
export class Reverse extends Permute {
  /** `new Reverse(4)` or `new Reverse({ dim: 4 })`. */
  constructor(options: number | ReverseOptions) {
    const dim = checkDim(typeof options === 'number' ? options : options?.dim);
    super(Array.from({ length: dim }, (_, i) => dim - 1 - i));
  }

  /** JSON description `{ type, ...params }` without weights, from which the registry rebuilds it. */
  override toConfig(): SerializedConfig {
    return { type: 'Reverse', dim: this.dim };
  }
}
