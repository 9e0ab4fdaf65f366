import type * as tf from '@tensorflow/tfjs';
import type { ChainState, Energy } from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { checkFiniteAtStart, checkStart } from '../proposal.js';

/** State of the gradient kernels (MALA, HMC, Langevin): ∇u(x) `[chains, dim]` is cached so each step evaluates it once. */
export interface GradientState extends ChainState {
  grad: tf.Tensor2D;
}

/**
 * Initial state of a gradient kernel: checks x0, evaluates u and ∇u once (through `energyAndGrad`), and throws a
 * NON_FINITE BoltzflowError naming `x0` and the first bad chain when u or ∇u is not finite there (a chain started on a
 * NaN gradient would otherwise reject every proposal and freeze).
 */
export function initWithGrad(target: Energy, x0: tf.Tensor2D): GradientState {
  checkStart(x0, target.dim);
  const { energy, grad } = energyAndGrad(target, x0);
  try {
    checkFiniteAtStart(energy, 'Energy');
    checkFiniteAtStart(grad, 'Gradient');
  } catch (e) {
    energy.dispose();
    grad.dispose();
    throw e;
  }
  return { x: x0.clone(), energy, grad };
}
