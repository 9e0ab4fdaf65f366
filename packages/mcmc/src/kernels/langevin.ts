import * as tf from '@tensorflow/tfjs';
import { assertOneOf, assertPositive, BoltzflowError, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';
import { energyAndGrad } from '@boltzflow/energies';
import { checkStepSize, selectRows, validProposal } from '../proposal.js';
import { initWithGrad, type GradientState } from './gradientState.js';
import { mala } from './mala.js';

/** Options of {@link langevin}. */
export interface LangevinOptions {
  /** Time step h. */
  stepSize: number;
  /** 'overdamped': Euler–Maruyama x' = x − h∇u + √(2h) ξ; 'baoab': underdamped Langevin (unit mass, kT = 1) split as B-A-O-A-B. */
  scheme: 'overdamped' | 'baoab';
  /** Friction γ of the underdamped scheme (default 1); the O step is v ← e^{−γh} v + √(1 − e^{−2γh}) ξ. */
  friction?: number;
  /**
   * Metropolis correction. Only `false` (the default) is meaningful here: an adjusted overdamped step is MALA,
   * so `mh: true` with 'overdamped' returns {@link mala}; 'baoab' with `mh: true` is rejected.
   */
  mh?: boolean;
}

/** Langevin state: the cached gradient, and for BAOAB the velocities `v` `[chains, dim]` (zero at init; the first O step thermalises them). */
export interface LangevinState extends GradientState {
  v?: tf.Tensor2D;
}

export interface LangevinKernel extends Kernel<LangevinState> {
  readonly kind: 'langevin' | 'mala';
  readonly stepSize: number;
}

/**
 * Unadjusted Langevin dynamics (biased by O(h); no Metropolis test). Reports accepted = 1 and logAcceptRatio = 0,
 * except that a step landing on a non-finite energy is refused (state unchanged, accepted 0, logAcceptRatio −Inf)
 * so that no NaN ever enters the chain. One (energy + gradient) evaluation per chain and step.
 */
export function langevin(target: Energy, options: LangevinOptions): LangevinKernel {
  const [h] = checkStepSize(options?.stepSize, 'stepSize');
  const scheme = options.scheme;
  assertOneOf(scheme, ['overdamped', 'baoab'], 'scheme', { message: 'Unknown Langevin scheme' });
  const friction = options.friction ?? 1;
  assertPositive(friction, 'friction');
  if (options.mh === true) {
    if (scheme === 'overdamped') return mala(target, { stepSize: h });
    throw new BoltzflowError('INVALID_CONFIG', 'Metropolis-adjusted BAOAB is not implemented; use hmc or mh: false', {
      argument: 'mh',
      expected: 'false with scheme baoab',
      received: 'true',
    });
  }
  const dim = target.dim;
  const c1 = Math.exp(-friction * h);
  const c2 = Math.sqrt(1 - c1 * c1);
  return {
    kind: 'langevin',
    target,
    stepSize: h,
    init(x0: tf.Tensor2D): LangevinState {
      const s = initWithGrad(target, x0);
      return scheme === 'baoab' ? { ...s, v: tf.zerosLike(s.x) } : s;
    },
    step(state: LangevinState, rng: Rng): { state: LangevinState; info: StepInfo } {
      const n = state.x.shape[0];
      const out = tf.tidy(() => {
        let x: tf.Tensor2D;
        let v: tf.Tensor2D | undefined;
        let vO: tf.Tensor2D | undefined;
        let eg: { energy: tf.Tensor1D; grad: tf.Tensor2D };
        if (scheme === 'overdamped') {
          x = tf.add(tf.sub(state.x, tf.mul(state.grad, h)), tf.mul(rng.normal([n, dim]), Math.sqrt(2 * h))) as tf.Tensor2D;
          eg = energyAndGrad(target, x);
        } else {
          const v0 = state.v ?? tf.zerosLike(state.x);
          let vv = tf.sub(v0, tf.mul(state.grad, h / 2)); // B
          let xx = tf.add(state.x, tf.mul(vv, h / 2)); // A
          vv = tf.add(tf.mul(vv, c1), tf.mul(rng.normal([n, dim]), c2)); // O
          vO = vv as tf.Tensor2D;
          xx = tf.add(xx, tf.mul(vv, h / 2)); // A
          x = xx as tf.Tensor2D;
          eg = energyAndGrad(target, x);
          v = tf.sub(vv, tf.mul(eg.grad, h / 2)) as tf.Tensor2D; // B
        }
        const ok = v ? validProposal(eg.energy, x, eg.grad, v) : validProposal(eg.energy, x, eg.grad);
        const res: Record<string, tf.Tensor> = {
          x: selectRows(ok, x, state.x),
          energy: selectRows(ok, eg.energy, state.energy),
          grad: selectRows(ok, eg.grad, state.grad),
          accepted: tf.cast(ok, 'float32'),
          logAcceptRatio: tf.where(ok, tf.zeros([n]), tf.fill([n], -Infinity)),
        };
        // A refused underdamped step keeps the O step's fresh velocity and reverses it (generalised HMC's momentum flip):
        // at a wall (u = +∞) the chain bounces back. Restoring the old velocity instead would push into the wall again
        // and again, piling the samples up against it.
        if (v && vO) res.v = selectRows(ok, v, tf.neg(vO) as tf.Tensor2D);
        return res;
      });
      const next: LangevinState = { x: out.x as tf.Tensor2D, energy: out.energy as tf.Tensor1D, grad: out.grad as tf.Tensor2D };
      if (out.v) next.v = out.v as tf.Tensor2D;
      return { state: next, info: { accepted: out.accepted as tf.Tensor1D, logAcceptRatio: out.logAcceptRatio as tf.Tensor1D, energyEvaluations: n } };
    },
  };
}
