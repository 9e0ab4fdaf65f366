import * as tf from '@tensorflow/tfjs';
import { filledTensor, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { checkStepSize, drawLogUniform, mhDecision, rowMask, selectRows, validProposal } from '../proposal.js';
import { initWithGrad, type GradientState } from './gradientState.js';
import { massOps, type MassMatrix } from './massMatrix.js';
import { malaStepWithMass } from './preconditioned.js';

/** Options of {@link mala}. */
export interface MalaOptions {
  /** τ in x' = x − τ∇u(x) + √(2τ) ξ (blackjax convention). */
  stepSize: number;
  /** Preconditioning mass matrix M (diagonal or dense): x' = x − τM⁻¹∇u + √(2τ)M^{-½}ξ. Default identity. */
  massMatrix?: MassMatrix;
}

/** MALA state: the gradient ∇u(x) `[chains, dim]` is cached so that each step costs one gradient evaluation. */
export type MalaState = GradientState;

export interface MalaKernel extends Kernel<MalaState> {
  readonly kind: 'mala';
  readonly stepSize: number;
}

/**
 * Metropolis-adjusted Langevin algorithm: proposal x' = x − τ∇u(x) + √(2τ) ξ, accepted with
 * min(1, exp(u(x) − u(x') + log q(x | x') − log q(x' | x))), log q(b | a) = −‖b − a + τ∇u(a)‖² / (4τ).
 * One (energy + gradient) evaluation per chain and step.
 */
export function mala(target: Energy, options: MalaOptions): MalaKernel {
  const [tau] = checkStepSize(options?.stepSize, 'stepSize');
  const dim = target.dim;
  const sqrt2tau = Math.sqrt(2 * tau);
  if (options.massMatrix !== undefined) {
    const ops = massOps(options.massMatrix, dim);
    return {
      kind: 'mala',
      target,
      stepSize: tau,
      init: (x0) => initWithGrad(target, x0),
      step: (state, rng) => malaStepWithMass(target, ops, tau, state, rng),
    };
  }
  return {
    kind: 'mala',
    target,
    stepSize: tau,
    init: (x0) => initWithGrad(target, x0),
    step(state: MalaState, rng: Rng): { state: MalaState; info: StepInfo } {
      const n = state.x.shape[0];
      const out = tf.tidy(() => {
        // η = √(2τ) ξ, drawn and scaled on the host straight into the tensor.
        const noise = filledTensor([n, dim], (v) => rng.normalInto(v, sqrt2tau)) as tf.Tensor2D;
        const proposal = tf.add(state.x, tf.sub(noise, tf.mul(state.grad, tau))) as tf.Tensor2D;
        const eg = energyAndGrad(target, proposal);
        // log q(x | x') − log q(x' | x) = (‖η‖² − ‖x − x' + τ∇u(x')‖²) / (4τ); with k = ∇u(x) + ∇u(x') and
        // x − x' = τ∇u(x) − η this is ½ Σ k ⊙ (η − τk/2): one sum, and no cancellation between two large norms.
        const k = tf.add(state.grad, eg.grad);
        const corr = tf.sum(tf.mul(k, tf.sub(noise, tf.mul(k, tau / 2))), 1);
        const logRatio = tf.add(tf.sub(state.energy, eg.energy), tf.mul(corr, 0.5)) as tf.Tensor1D;
        const { logAcceptRatio, mask, accepted } = mhDecision(logRatio, drawLogUniform(rng, n), validProposal(eg.energy, proposal, eg.grad));
        const rows = rowMask(accepted, dim);
        return {
          x: selectRows(rows, proposal, state.x),
          energy: selectRows(mask, eg.energy, state.energy),
          grad: selectRows(rows, eg.grad, state.grad),
          accepted,
          logAcceptRatio,
        };
      });
      return {
        state: { x: out.x, energy: out.energy, grad: out.grad },
        info: { accepted: out.accepted, logAcceptRatio: out.logAcceptRatio, energyEvaluations: n },
      };
    },
  };
}
