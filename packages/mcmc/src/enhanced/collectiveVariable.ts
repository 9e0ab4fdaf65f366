import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type Energy } from '@boltzflow/core';

/** A collective variable ξ(x): tf ops mapping a `[n, dim]` batch to `[n]` (differentiable for gradient kernels). */
export type CollectiveVariable = (x: tf.Tensor2D) => tf.Tensor1D;

/** ξ(x) = x_i, the i-th coordinate. */
export function coordinateCV(i: number): CollectiveVariable {
  return (x) => tf.tidy(() => tf.squeeze(tf.slice(x, [0, i], [-1, 1]), [1]) as tf.Tensor1D);
}

/** Evaluates ξ and checks its shape. */
export function evalCV(cv: CollectiveVariable, x: tf.Tensor2D): tf.Tensor1D {
  const s = cv(x);
  if (s.rank !== 1 || s.shape[0] !== x.shape[0]) {
    const got = `[${s.shape.join(', ')}]`;
    s.dispose();
    throw new BoltzflowError('INVALID_SHAPE', 'Collective variable returned the wrong shape', { argument: 'cv', expected: `[${x.shape[0]}]`, received: got });
  }
  return s;
}

/** u(x) + b(ξ(x)) for a bias b given as tf ops on `[n]` → `[n]`; the gradient comes from autodiff. */
export function biasedEnergy(target: Energy, cv: CollectiveVariable, bias: (xi: tf.Tensor1D) => tf.Tensor1D, name: string): Energy {
  return {
    dim: target.dim,
    name,
    energy: (x) => tf.tidy(() => tf.add(target.energy(x), bias(evalCV(cv, x))) as tf.Tensor1D),
  };
}

/** Uniform bins on [min, max]. */
export interface BinSpec {
  min: number;
  max: number;
  count: number;
}

/** Edges and centres of `count` equal bins on [min, max]. */
export function binEdges(b: BinSpec): { edges: number[]; centers: number[] } {
  const w = (b.max - b.min) / b.count;
  return {
    edges: Array.from({ length: b.count + 1 }, (_, i) => b.min + i * w),
    centers: Array.from({ length: b.count }, (_, i) => b.min + (i + 0.5) * w),
  };
}
