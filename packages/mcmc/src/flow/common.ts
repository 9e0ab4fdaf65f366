import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type Bijector, type Distribution, type Energy } from '@boltzflow/core';
import { checkEnergy, checkSameDim } from '../proposal.js';

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

/** Flow log-density log q(x) = log p_base(F⁻¹(x)) + log|det ∂F⁻¹/∂x| and the latent point. */
export function flowLogProb(flow: FlowLike, x: tf.Tensor2D): { z: tf.Tensor2D; logQ: tf.Tensor1D } {
  return tf.tidy(() => {
    const inv = flow.bijector.inverse(x);
    return { z: inv.x, logQ: tf.add(flow.base.logProb(inv.x), inv.logDet) as tf.Tensor1D };
  });
}
