import * as tf from '@tensorflow/tfjs';
import type { ChainState, Energy, Kernel, Rng, StepInfo } from '@boltzflow/core';
import { checkFiniteAtStart, checkStart, checkStepSize, drawLogUniform, mhDecision, rowMask, selectRows } from '../proposal.js';

/** Options of {@link randomWalkMetropolis}. */
export interface RandomWalkMetropolisOptions {
  /** Standard deviation of the Gaussian proposal: one number, or one per dimension. */
  stepSize: number | readonly number[];
}

/** Chain state of {@link randomWalkMetropolis}. */
export type RandomWalkMetropolisState = ChainState;

/** Kernel produced by {@link randomWalkMetropolis}; `kind` selects the default target acceptance in adaptation. */
export interface RandomWalkMetropolisKernel extends Kernel<RandomWalkMetropolisState> {
  readonly kind: 'rwm';
  readonly stepSize: number[];
}

/**
 * Random-walk Metropolis with Gaussian proposals x' = x + σ ⊙ ξ, ξ ~ N(0, I), vectorised over the chains of the batch.
 * One energy evaluation per chain and step.
 */
export function randomWalkMetropolis(target: Energy, options: RandomWalkMetropolisOptions): RandomWalkMetropolisKernel {
  const stepSize = checkStepSize(options?.stepSize, 'stepSize', target.dim);
  const dim = target.dim;
  return {
    kind: 'rwm',
    target,
    stepSize,
    init(x0: tf.Tensor2D): RandomWalkMetropolisState {
      checkStart(x0, dim);
      const energy = target.energy(x0);
      try {
        checkFiniteAtStart(energy, 'Energy');
      } catch (e) {
        energy.dispose();
        throw e;
      }
      return { x: x0.clone(), energy };
    },
    step(state: RandomWalkMetropolisState, rng: Rng): { state: RandomWalkMetropolisState; info: StepInfo } {
      const n = state.x.shape[0];
      // σ ⊙ ξ scaled while still in JS (the draws are made there anyway): saves a σ upload and a multiply per step.
      const z = rng.normalArray(n * dim);
      for (let i = 0; i < z.length; i++) z[i] *= stepSize[i % dim];
      const out = tf.tidy(() => {
        const proposal = tf.add(state.x, tf.tensor2d(z, [n, dim])) as tf.Tensor2D;
        const propEnergy = target.energy(proposal);
        const logRatio = tf.sub(state.energy, propEnergy) as tf.Tensor1D;
        const { logAcceptRatio, mask, accepted } = mhDecision(logRatio, drawLogUniform(rng, n));
        return {
          x: selectRows(rowMask(accepted, dim), proposal, state.x),
          energy: selectRows(mask, propEnergy, state.energy),
          accepted,
          logAcceptRatio,
        };
      });
      return {
        state: { x: out.x, energy: out.energy },
        info: { accepted: out.accepted, logAcceptRatio: out.logAcceptRatio, energyEvaluations: n },
      };
    },
  };
}
