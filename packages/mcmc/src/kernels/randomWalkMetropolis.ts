import * as tf from '@tensorflow/tfjs';
import { filledTensor, type ChainState, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';
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
  const isotropic = stepSize.every((s) => s === stepSize[0]);
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
      const out = tf.tidy(() => {
        // σ ⊙ ξ drawn and scaled on the host, straight into the tensor (no σ upload, no multiply, no JS array per step).
        const z = filledTensor([n, dim], (v) => {
          if (isotropic) rng.normalInto(v, stepSize[0]);
          else {
            rng.normalInto(v);
            for (let j = 0; j < dim; j++) for (let i = j; i < v.length; i += dim) v[i] *= stepSize[j];
          }
        });
        const proposal = tf.add(state.x, z) as tf.Tensor2D;
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
