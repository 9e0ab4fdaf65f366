import * as tf from '@tensorflow/tfjs';
import type { Energy, Rng, StepInfo } from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { drawLogUniform, mhDecision, nanToInf, rowMask, selectRows, validProposal } from '../proposal.js';
import type { GradientState } from './gradientState.js';
import type { MassOps } from './massMatrix.js';

/**
 * Steps of HMC and MALA with a general (diagonal or dense) mass matrix M — the path `hmc`/`mala` take when given
 * `massMatrix`, so that their default paths stay bit-identical. Window adaptation uses these.
 */

/** HMC transition: p ~ N(0, M), L leapfrog steps x += ε M⁻¹p, Metropolis on u + ½pᵀM⁻¹p. */
export function hmcStepWithMass(
  target: Energy,
  mass: MassOps,
  eps: number,
  L: number,
  state: GradientState,
  rng: Rng,
): { state: GradientState; info: StepInfo } {
  const n = state.x.shape[0];
  const dim = target.dim;
  const out = tf.tidy(() => {
    const p0 = mass.sample(rng, n);
    let x: tf.Tensor2D = state.x;
    let p = tf.sub(p0, tf.mul(state.grad, eps / 2)) as tf.Tensor2D;
    let u: tf.Tensor1D = state.energy;
    let g: tf.Tensor2D = state.grad;
    for (let i = 0; i < L; i++) {
      x = tf.add(x, tf.mul(mass.velocity(p), eps)) as tf.Tensor2D;
      const eg = energyAndGrad(target, x);
      u = eg.energy;
      g = eg.grad;
      p = tf.sub(p, tf.mul(g, i === L - 1 ? eps / 2 : eps)) as tf.Tensor2D;
    }
    const propEnergy = nanToInf(u);
    const logRatio = tf.sub(tf.add(state.energy, mass.kinetic(p0)), tf.add(propEnergy, mass.kinetic(p))) as tf.Tensor1D;
    const { logAcceptRatio, mask, accepted } = mhDecision(logRatio, drawLogUniform(rng, n), validProposal(propEnergy, x, g));
    const rows = rowMask(accepted, dim);
    return {
      x: selectRows(rows, x, state.x),
      energy: selectRows(mask, propEnergy, state.energy),
      grad: selectRows(rows, g, state.grad),
      accepted,
      logAcceptRatio,
    };
  });
  return {
    state: { x: out.x, energy: out.energy, grad: out.grad },
    info: { accepted: out.accepted, logAcceptRatio: out.logAcceptRatio, energyEvaluations: n * L },
  };
}

/**
 * Preconditioned MALA: x' = x − τM⁻¹∇u(x) + √(2τ) M^{-½}ξ. With η = √(2τ)M^{-½}ξ and k = ∇u(x) + ∇u(x′) the
 * proposal correction is ½ kᵀ(η − τM⁻¹k/2) (the identity-mass formula of `mala` with M⁻¹ inserted).
 */
export function malaStepWithMass(target: Energy, mass: MassOps, tau: number, state: GradientState, rng: Rng): { state: GradientState; info: StepInfo } {
  const n = state.x.shape[0];
  const dim = target.dim;
  const out = tf.tidy(() => {
    // M^{-½}ξ = M⁻¹(M^{½}ξ): reuses the momentum and velocity maps of the mass matrix.
    const eta = tf.mul(mass.velocity(mass.sample(rng, n)), Math.sqrt(2 * tau)) as tf.Tensor2D;
    const proposal = tf.add(state.x, tf.sub(eta, tf.mul(mass.velocity(state.grad), tau))) as tf.Tensor2D;
    const eg = energyAndGrad(target, proposal);
    const k = tf.add(state.grad, eg.grad) as tf.Tensor2D;
    const corr = tf.sum(tf.mul(k, tf.sub(eta, tf.mul(mass.velocity(k), tau / 2))), 1);
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
}
