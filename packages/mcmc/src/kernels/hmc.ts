import * as tf from '@tensorflow/tfjs';
import { assertInteger, BoltzflowError, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { checkStepSize, drawLogUniform, mhDecision, nanToInf, selectRows, validProposal } from '../proposal.js';
import { initWithGrad, type GradientState } from './gradientState.js';
import { massOps, type MassMatrix } from './massMatrix.js';
import { hmcStepWithMass } from './preconditioned.js';

/** Options of {@link hmc}. */
export interface HmcOptions {
  /** Leapfrog step ε. */
  stepSize: number;
  /** Leapfrog steps L per transition. */
  numLeapfrogSteps: number;
  /** Diagonal of the mass matrix M (default all ones); momenta p ~ N(0, M), kinetic energy ½ pᵀM⁻¹p. */
  massDiag?: readonly number[];
  /** General mass matrix M (diagonal `number[]` or dense `number[][]`, e.g. from windowAdaptation); not with massDiag. */
  massMatrix?: MassMatrix;
}

/** HMC state: positions, energies and the cached gradient ∇u(x). */
export type HmcState = GradientState;

export interface HmcKernel extends Kernel<HmcState> {
  readonly kind: 'hmc';
  readonly stepSize: number;
  readonly numLeapfrogSteps: number;
  readonly massDiag: number[];
  /** The general mass matrix when one was given. */
  readonly massMatrix?: number[] | number[][];
}

/**
 * Hamiltonian Monte Carlo: fresh Gaussian momenta, L leapfrog steps, Metropolis on H = u + ½pᵀM⁻¹p.
 * L (energy + gradient) evaluations per chain and step (the gradient at the start is cached in the state).
 * Trajectories that diverge (non-finite energy, gradient or position at the end point) are rejected.
 */
export function hmc(target: Energy, options: HmcOptions): HmcKernel {
  const [eps] = checkStepSize(options?.stepSize, 'stepSize');
  assertInteger(options.numLeapfrogSteps, 'numLeapfrogSteps', 1);
  const L = options.numLeapfrogSteps;
  const dim = target.dim;
  if (options.massMatrix !== undefined) {
    if (options.massDiag !== undefined)
      throw new BoltzflowError('INVALID_CONFIG', "Give either 'massDiag' or 'massMatrix', not both", { argument: 'massMatrix' });
    const ops = massOps(options.massMatrix, dim);
    return {
      kind: 'hmc',
      target,
      stepSize: eps,
      numLeapfrogSteps: L,
      massDiag: ops.kind === 'diag' ? (ops.matrix as number[]) : (ops.matrix as number[][]).map((r, i) => r[i]),
      massMatrix: ops.matrix,
      init: (x0) => initWithGrad(target, x0),
      step: (state, rng) => hmcStepWithMass(target, ops, eps, L, state, rng),
    };
  }
  const mass = options.massDiag === undefined ? new Array<number>(dim).fill(1) : checkStepSize(options.massDiag, 'massDiag', dim);
  return {
    kind: 'hmc',
    target,
    stepSize: eps,
    numLeapfrogSteps: L,
    massDiag: mass,
    init: (x0) => initWithGrad(target, x0),
    step(state: HmcState, rng: Rng): { state: HmcState; info: StepInfo } {
      const n = state.x.shape[0];
      const out = tf.tidy(() => {
        const m = tf.tensor1d(mass);
        const invM = tf.reciprocal(m);
        const p0 = tf.mul(rng.normal([n, dim]), tf.sqrt(m));
        const kinetic = (p: tf.Tensor) => tf.mul(tf.sum(tf.mul(tf.square(p), invM), 1), 0.5);
        let x: tf.Tensor2D = state.x;
        let p: tf.Tensor = tf.sub(p0, tf.mul(state.grad, eps / 2));
        let u: tf.Tensor1D = state.energy;
        let g: tf.Tensor2D = state.grad;
        for (let i = 0; i < L; i++) {
          x = tf.add(x, tf.mul(tf.mul(p, invM), eps)) as tf.Tensor2D;
          const eg = energyAndGrad(target, x);
          u = eg.energy;
          g = eg.grad;
          p = tf.sub(p, tf.mul(g, i === L - 1 ? eps / 2 : eps));
        }
        const propEnergy = nanToInf(u);
        const logRatio = tf.sub(tf.add(state.energy, kinetic(p0)), tf.add(propEnergy, kinetic(p))) as tf.Tensor1D;
        const { logAcceptRatio, mask, accepted } = mhDecision(logRatio, drawLogUniform(rng, n), validProposal(propEnergy, x, g));
        return {
          x: selectRows(mask, x, state.x),
          energy: selectRows(mask, propEnergy, state.energy),
          grad: selectRows(mask, g, state.grad),
          accepted,
          logAcceptRatio,
        };
      });
      return {
        state: { x: out.x, energy: out.energy, grad: out.grad },
        info: { accepted: out.accepted, logAcceptRatio: out.logAcceptRatio, energyEvaluations: n * L },
      };
    },
  };
}
