import * as tf from '@tensorflow/tfjs';
import type { ChainState, Energy, Kernel, Rng, StepInfo } from '@boltzflow/core';
import { checkInitEnergy, checkStepSize, checkX0, mhDecision, sanitizeEnergy, selectRows } from './common.js';
import { energyAndGrad } from '@boltzflow/energies';

export interface MalaOptions {
  /** τ in x' = x − τ∇u(x) + √(2τ) ξ (blackjax convention). */
  stepSize: number;
}

/** MALA state: the gradient ∇u(x) `[chains, dim]` is cached so that each step costs one gradient evaluation. */
export interface MalaState extends ChainState {
  grad: tf.Tensor2D;
}

export interface MalaKernel extends Kernel<MalaState> {
  readonly kind: 'mala';
  readonly stepSize: number;
}

/** Initial state for gradient-caching kernels (MALA, HMC, Langevin). */
export function initWithGrad(target: Energy, x0: tf.Tensor2D): { x: tf.Tensor2D; energy: tf.Tensor1D; grad: tf.Tensor2D } {
  checkX0(target, x0);
  const { energy, grad } = energyAndGrad(target, x0);
  try {
    checkInitEnergy(energy);
  } catch (e) {
    energy.dispose();
    grad.dispose();
    throw e;
  }
  return { x: x0.clone(), energy, grad };
}

/**
 * Metropolis-adjusted Langevin algorithm: proposal x' = x − τ∇u(x) + √(2τ) ξ, accepted with
 * min(1, exp(u(x) − u(x') + log q(x | x') − log q(x' | x))), log q(b | a) = −‖b − a + τ∇u(a)‖² / (4τ).
 * One (energy + gradient) evaluation per chain and step.
 */
export function mala(target: Energy, options: MalaOptions): MalaKernel {
  const [tau] = checkStepSize(options?.stepSize, 'stepSize');
  const dim = target.dim;
  return {
    kind: 'mala',
    target,
    stepSize: tau,
    init: (x0) => initWithGrad(target, x0),
    step(state: MalaState, rng: Rng): { state: MalaState; info: StepInfo } {
      const n = state.x.shape[0];
      const out = tf.tidy(() => {
        const noise = rng.normal([n, dim]);
        const proposal = tf.add(tf.sub(state.x, tf.mul(state.grad, tau)), tf.mul(noise, Math.sqrt(2 * tau))) as tf.Tensor2D;
        const eg = energyAndGrad(target, proposal);
        const propEnergy = sanitizeEnergy(eg.energy);
        // forward: ‖x' − x + τ∇u(x)‖² = 2τ‖ξ‖²; reverse: ‖x − x' + τ∇u(x')‖²
        const fwd = tf.mul(tf.sum(tf.square(noise), 1), -0.5);
        const rev = tf.div(tf.sum(tf.square(tf.add(tf.sub(state.x, proposal), tf.mul(eg.grad, tau))), 1), -4 * tau);
        const logRatio = tf.add(tf.sub(state.energy, propEnergy), tf.sub(rev, fwd)) as tf.Tensor1D;
        const { logAcceptRatio, mask, accepted } = mhDecision(logRatio, propEnergy, rng);
        return {
          x: selectRows(mask, proposal, state.x),
          energy: selectRows(mask, propEnergy, state.energy),
          grad: selectRows(mask, eg.grad, state.grad),
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
