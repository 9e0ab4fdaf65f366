import * as tf from '@tensorflow/tfjs';
import { allFinite, assertBatch, assertFiniteTensor, BoltzflowError, type Bijector, type Distribution, type Energy, type Rng } from '@boltzflow/core';

/**
 * A normalizing flow as a pair: x = bijector.forward(z), z ~ base. `TransformedDistribution` from
 * @boltzflow/distributions satisfies this interface structurally.
 */
export interface FlowLike {
  readonly base: Distribution;
  readonly bijector: Bijector;
}

/** True for `{ base, bijector }` pairs (and TransformedDistribution). */
export function isFlowLike(v: unknown): v is FlowLike {
  const f = v as FlowLike | undefined;
  return (
    !!f &&
    typeof f === 'object' &&
    !!f.base &&
    typeof f.base.logProb === 'function' &&
    !!f.bijector &&
    typeof f.bijector.forward === 'function' &&
    typeof f.bijector.inverse === 'function'
  );
}

/** Validates a flow argument and that its dimension matches the energy's. */
export function checkFlow(flow: unknown, energy: Energy, argument = 'flow'): FlowLike {
  if (!isFlowLike(flow)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a flow', { argument, expected: '{ base: Distribution, bijector: Bijector }', received: typeof flow });
  }
  checkEnergy(energy);
  if (flow.base.dim !== flow.bijector.dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Flow base and bijector dimensions differ', {
      argument: `${argument}.bijector`,
      expected: `dim ${flow.base.dim}`,
      received: `dim ${flow.bijector.dim}`,
    });
  }
  checkSameDim(flow.base.dim, energy, argument);
  return flow;
}

export function checkEnergy(energy: unknown, argument = 'energy'): asserts energy is Energy {
  const e = energy as Energy | undefined;
  if (!e || typeof e.energy !== 'function' || !Number.isInteger(e.dim)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected an Energy', { argument, expected: 'Energy { dim, energy(x) }', received: typeof energy });
  }
}

export function checkSameDim(dim: number, energy: Energy, argument: string): void {
  if (dim !== energy.dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Flow and energy dimensions differ', {
      argument,
      expected: `dim ${energy.dim} (energy.dim)`,
      received: `dim ${dim}`,
    });
  }
}

/** Checks a starting batch `[chains >= 1, dim]` of finite values. */
export function checkStart(x0: tf.Tensor2D, dim: number, argument = 'x0'): number {
  const [n] = assertBatch(x0, argument, dim);
  if (n < 1) {
    throw new BoltzflowError('INVALID_SHAPE', 'Need at least one chain', { argument, expected: `[chains >= 1, ${dim}]`, received: `[${x0.shape.join(', ')}]` });
  }
  assertFiniteTensor(x0, argument);
  return n;
}

/** Throws NON_FINITE when a per-chain quantity at the starting point is NaN/±Inf (one sync; init only). */
export function checkFiniteAtStart(v: tf.Tensor, what: string, argument = 'x0'): void {
  if (!allFinite(v)) {
    const vals = Array.from(v.dataSync());
    const bad = vals.findIndex((t) => !Number.isFinite(t));
    throw new BoltzflowError('NON_FINITE', `${what} at the starting point is not finite`, {
      argument,
      expected: `finite ${what} for every chain`,
      received: `${vals[bad]} for chain ${bad}`,
    });
  }
}

/** NaN → +Inf: an undefined energy is a state of zero probability. */
export function nanToInf(u: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.where(tf.isNaN(u), tf.fill(u.shape, Infinity), u) as tf.Tensor1D);
}

/**
 * Metropolis–Hastings decision: non-finite or NaN log ratios (and proposals flagged invalid) are certain rejections.
 * Returns the cleaned log ratio, the boolean mask and the 0/1 vector. Call inside a tidy.
 */
export function mhAccept(logRatio: tf.Tensor1D, valid: tf.Tensor1D, rng: Rng): { logAcceptRatio: tf.Tensor1D; mask: tf.Tensor1D; accepted: tf.Tensor1D } {
  const n = logRatio.shape[0];
  const ok = tf.logicalAnd(valid, tf.logicalNot(tf.isNaN(logRatio)));
  const clean = tf.where(ok, logRatio, tf.fill([n], -Infinity)) as tf.Tensor1D;
  const logU = tf.log(rng.uniform([n])) as tf.Tensor1D;
  const mask = tf.less(logU, clean) as tf.Tensor1D;
  return { logAcceptRatio: clean, mask, accepted: tf.cast(mask, 'float32') as tf.Tensor1D };
}

/** Row-wise select: rows of `a` where mask, else rows of `b`. Gradients flow into the selected branch only. */
export function pickRows<T extends tf.Tensor>(mask: tf.Tensor1D, a: T, b: T): T {
  const m = a.rank === 1 ? mask : mask.reshape([mask.shape[0], ...a.shape.slice(1).map(() => 1)]);
  return tf.where(tf.broadcastTo(m, a.shape) as tf.Tensor, a, b) as T;
}

/** Flow log-density log q(x) = log p_base(F⁻¹(x)) + log|det ∂F⁻¹/∂x| and the latent point. */
export function flowLogProb(flow: FlowLike, x: tf.Tensor2D): { z: tf.Tensor2D; logQ: tf.Tensor1D } {
  return tf.tidy(() => {
    const inv = flow.bijector.inverse(x);
    return { z: inv.x, logQ: tf.add(flow.base.logProb(inv.x), inv.logDet) as tf.Tensor1D };
  });
}
