import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type ChainState, type CoordinateBlock, type Distribution, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';
import { checkEnergy, checkFiniteAtStart, checkStart } from '../proposal.js';
import type { FlowLike } from './common.js';
import { independenceStep, proposalOf } from './flowIndependenceProposal.js';

/** State of {@link blockIndependenceProposal}: `energy` = u(x) and `logQ` = log q(s(x)) of the block under the proposal. */
export interface BlockIndependenceState extends ChainState {
  logQ: tf.Tensor1D;
}

export interface BlockIndependenceKernel extends Kernel<BlockIndependenceState> {
  readonly kind: 'blockIndependence';
}

/**
 * Independence Metropolis–Hastings on a block of coordinates (Metropolis-within-Gibbs): the block s(x) of every chain is
 * redrawn from `proposal` (a flow or any Distribution over the block's k coordinates), the rest of x kept, x′ =
 * block.write(x, s′), accepted with min(1, exp(−u(x′) + u(x)) · q(s)/q(s′)). Exact for any proposal because the block
 * contract ({@link CoordinateBlock}) makes x ↦ (s, rest) volume-preserving; it leaves the target invariant, not the
 * marginal of s alone, so it is combined with a local kernel that moves the rest. When q is the target's marginal of s
 * and the rest is independent of s, every proposal is accepted. Non-finite proposals, energies or log q are rejected.
 * One evaluation of u per chain and step; `init` costs one per chain.
 */
export function blockIndependenceProposal(proposal: FlowLike | Distribution, energy: Energy, block: CoordinateBlock): BlockIndependenceKernel {
  checkEnergy(energy);
  if (!block || typeof block.read !== 'function' || typeof block.write !== 'function' || !Number.isInteger(block.dim) || block.dim < 1) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a coordinate block', {
      argument: 'block',
      expected: 'CoordinateBlock { dim ≥ 1, read(x), write(x, s) }',
      received: block && typeof block === 'object' ? `dim ${String(block.dim)}` : typeof block,
    });
  }
  const q = proposalOf(proposal);
  if (q.dim !== block.dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'The block proposal and the block differ in dimension', {
      argument: 'proposal',
      expected: `dim ${block.dim} (block.dim)`,
      received: `dim ${q.dim}`,
    });
  }
  const dim = energy.dim;
  return {
    kind: 'blockIndependence',
    target: energy,
    init(x0: tf.Tensor2D): BlockIndependenceState {
      checkStart(x0, dim);
      const u = energy.energy(x0);
      const logQ = tf.tidy(() => q.logProb(block.read(x0)));
      try {
        checkFiniteAtStart(u, 'energy');
        checkFiniteAtStart(logQ, 'block proposal log-density');
      } catch (e) {
        tf.dispose([u, logQ]);
        throw e;
      }
      return { x: x0.clone(), energy: u, logQ };
    },
    step(state: BlockIndependenceState, rng: Rng): { state: BlockIndependenceState; info: StepInfo } {
      return independenceStep(state, rng, energy, q.sample, (proposed) => block.write(state.x, proposed));
    },
  };
}
