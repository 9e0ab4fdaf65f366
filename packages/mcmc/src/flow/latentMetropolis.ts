import * as tf from '@tensorflow/tfjs';
import { withGradientTape } from '@boltzflow/energies';
import {
  BoltzflowError,
  disposeTree,
  runHostReadsSync,
  type ChainState,
  type Energy,
  type HostReads,
  type Kernel,
  type Rng,
  type StepInfo,
} from '@boltzflow/core';
import { checkFiniteAtStart, checkStart, finiteRows, nanToInf } from '../proposal.js';
import { checkFlow, type FlowLike } from './common.js';

/** State of {@link latentMetropolis}: data-space `x`, `energy` = u(x), latent `z` = F⁻¹(x) and the inner kernel's latent state. */
export interface LatentState<S extends ChainState = ChainState> extends ChainState {
  z: tf.Tensor2D;
  /** The wrapped kernel's state; its `x` is z and its `energy` is the latent energy u_Z(z). */
  inner: S;
}

export interface LatentMetropolisKernel<S extends ChainState = ChainState> extends Kernel<LatentState<S>> {
  readonly kind: 'latent';
  /** u_Z(z) = u(F(z)) − log|det ∂F/∂z|, the energy the inner kernel samples. */
  readonly latentEnergy: Energy;
  /** The kernel built by `makeKernel` on {@link latentEnergy}. */
  readonly inner: Kernel<S>;
}

/**
 * The latent pull-back of `energy` through the flow's bijector: u_Z(z) = u(F(z)) − log|det ∂F/∂z|, so that
 * μ_Z(z) ∝ exp(−u(F(z)))·|det ∂F/∂z| is the law of z = F⁻¹(x) for x ~ μ. When the flow matches the target
 * (u = −log q up to a constant), u_Z = −log p_base + const. NaN becomes +Inf (rejected by MH kernels), and so does every
 * z whose image F(z) has a non-finite coordinate (a flow that overflows), whatever u says there.
 * When `energy.grad` exists, the latent gradient J^T∇u(F(z)) − ∇log|det J| uses it (vector-Jacobian product).
 */
export function latentEnergy(flow: FlowLike, energy: Energy): Energy {
  checkFlow(flow, energy);
  const { bijector } = flow;
  const out: Energy = {
    dim: energy.dim,
    name: `latent(${energy.name ?? 'energy'})`,
    energy: (z) =>
      tf.tidy(() => {
        const f = bijector.forward(z);
        const uz = nanToInf(tf.sub(energy.energy(f.y), f.logDet) as tf.Tensor1D);
        return tf.where(finiteRows(f.y), uz, tf.fill(uz.shape, Infinity)) as tf.Tensor1D;
      }),
  };
  if (energy.grad) {
    const g = energy.grad.bind(energy);
    (out as { grad?: (z: tf.Tensor2D) => tf.Tensor2D }).grad = (z) =>
      withGradientTape(() =>
        tf.tidy(() => {
          const gx = tf.tidy(() => {
            const f = bijector.forward(z);
            return g(f.y);
          });
          // d/dz [ <stop(∇u(x)), F(z)> − log|det J(z)| ] = J^T ∇u(x) − ∇ log|det J|
          return tf.grad((zz: tf.Tensor) => {
            const f = bijector.forward(zz as tf.Tensor2D);
            return tf.sub(tf.sum(tf.mul(f.y, gx)), tf.sum(f.logDet));
          })(z) as tf.Tensor2D;
        }),
      );
  }
  return out;
}

/**
 * Latent-space MCMC (flow-preconditioned MCMC, as in Hoffman et al. 2019 / flowMC's local sampler):
 * z = F⁻¹(x), one step of the kernel `makeKernel(u_Z)` on the latent target u_Z(z) = u(F(z)) − log|det ∂F/∂z|, x = F(z).
 * Works with every kernel factory of the package: `latentMetropolis(flow, u, (t) => mala(t, { stepSize: 0.1 }))`.
 *
 * The kernel's `target` is the data-space `energy` (so it mixes with other kernels on the same target), `state.energy`
 * is u(x); `info.energyEvaluations` is the inner kernel's count (each latent evaluation costs one evaluation of u;
 * the extra bijector pass that maps the new z back to x costs none).
 */
export function latentMetropolis<S extends ChainState = ChainState>(
  flow: FlowLike,
  energy: Energy,
  makeKernel: (latentEnergy: Energy) => Kernel<S>,
): LatentMetropolisKernel<S> {
  checkFlow(flow, energy);
  if (typeof makeKernel !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a kernel factory', {
      argument: 'makeKernel',
      expected: '(latentEnergy: Energy) => Kernel',
      received: typeof makeKernel,
    });
  }
  const dim = energy.dim;
  const uZ = latentEnergy(flow, energy);
  const inner = makeKernel(uZ);
  if (!inner || typeof inner.init !== 'function' || typeof inner.step !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'makeKernel did not return a Kernel', {
      argument: 'makeKernel',
      expected: 'Kernel { init, step }',
      received: typeof inner,
    });
  }
  if (inner.target && inner.target.dim !== dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'Inner kernel target has the wrong dimension', {
      argument: 'makeKernel',
      expected: `dim ${dim}`,
      received: `dim ${inner.target.dim}`,
    });
  }
  const { bijector } = flow;

  /** x = F(z) and u(x) = u_Z(z) + log|det ∂F/∂z|. */
  function toData(innerState: S): { x: tf.Tensor2D; energy: tf.Tensor1D; z: tf.Tensor2D } {
    return tf.tidy(() => {
      const f = bijector.forward(innerState.x);
      return { x: f.y, energy: tf.add(innerState.energy, f.logDet) as tf.Tensor1D, z: innerState.x.clone() };
    });
  }

  // Written once as a generator: an inner kernel with host reads of its own (NUTS, replica exchange) is driven through
  // its `stepReads`, so that asynchronous drivers (sampleChainAsync) reach it.
  function* stepReads(state: LatentState<S>, rng: Rng): HostReads<{ state: LatentState<S>; info: StepInfo }> {
    const { state: innerNext, info } = inner.stepReads ? yield* inner.stepReads(state.inner, rng) : inner.step(state.inner, rng);
    const d = toData(innerNext);
    return { state: { x: d.x, energy: d.energy, z: d.z, inner: innerNext }, info };
  }

  return {
    kind: 'latent',
    target: energy,
    latentEnergy: uZ,
    inner,
    init(x0: tf.Tensor2D): LatentState<S> {
      checkStart(x0, dim);
      const inv = bijector.inverse(x0);
      try {
        checkFiniteAtStart(inv.x, 'latent point F⁻¹(x0)');
      } catch (e) {
        tf.dispose([inv.x, inv.logDet]);
        throw e;
      }
      let innerState: S;
      try {
        innerState = inner.init(inv.x);
      } finally {
        inv.x.dispose();
      }
      // u(x0) = u_Z(z0) − log|det ∂z/∂x| without a second evaluation of u.
      const u = tf.tidy(() => tf.sub(innerState.energy, inv.logDet) as tf.Tensor1D);
      inv.logDet.dispose();
      try {
        checkFiniteAtStart(u, 'energy');
      } catch (e) {
        u.dispose();
        disposeTree(innerState);
        throw e;
      }
      return { x: x0.clone(), energy: u, z: innerState.x.clone(), inner: innerState };
    },
    step(state: LatentState<S>, rng: Rng): { state: LatentState<S>; info: StepInfo } {
      return runHostReadsSync(stepReads(state, rng));
    },
    stepReads,
  };
}
