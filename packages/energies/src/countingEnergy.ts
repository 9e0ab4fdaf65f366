import type * as tf from '@tensorflow/tfjs';
import type { Energy } from '@boltzflow/core';

/** Evaluation counts of a {@link countingEnergy}: rows evaluated, not calls, since a batch of n costs n evaluations. */
export interface EvaluationCounts {
  /** Rows passed to `energy`. */
  energy: number;
  /** Rows passed to `grad`. */
  gradient: number;
  /** Calls of either method. */
  calls: number;
}

/** A {@link countingEnergy}: the wrapped energy plus its counts. */
export interface CountingEnergy extends Energy {
  /** Rows evaluated so far. */
  readonly counts: EvaluationCounts;
  /** Sets every count back to zero. */
  resetCounts(): void;
}

/**
 * Wraps an energy so that every evaluation is counted: the independent check of the budget accounting that samplers
 * report (tests compare their `energyEvaluations` with this count). Autodiff gradients of a wrapped energy without an
 * analytic `grad` go through `energy` and are counted there.
 */
export function countingEnergy(target: Energy): CountingEnergy {
  const counts: EvaluationCounts = { energy: 0, gradient: 0, calls: 0 };
  const wrapped: CountingEnergy & { counts: EvaluationCounts } = {
    dim: target.dim,
    name: target.name,
    counts,
    /** Sets every count back to zero. */
    resetCounts() {
      counts.energy = 0;
      counts.gradient = 0;
      counts.calls = 0;
    },
    energy(x: tf.Tensor2D): tf.Tensor1D {
      counts.energy += x.shape[0];
      counts.calls++;
      return target.energy(x);
    },
  };
  if (typeof target.grad === 'function') {
    const grad = target.grad.bind(target);
    wrapped.grad = (x: tf.Tensor2D): tf.Tensor2D => {
      counts.gradient += x.shape[0];
      counts.calls++;
      return grad(x);
    };
  }
  return wrapped;
}
