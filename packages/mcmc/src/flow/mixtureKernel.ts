import * as tf from '@tensorflow/tfjs';
import { assertFiniteArray, BoltzflowError, disposeTree, type ChainState, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';

/** State of {@link mixtureKernel}: the shared `x`/`energy`, the index of the kernel whose sub-state is current, and that sub-state. */
export interface MixtureState extends ChainState {
  /** Index of the kernel that produced `inner` (the last one used, or 0 after init). */
  kernelIndex: number;
  inner: ChainState;
}

export interface MixtureStepInfo extends StepInfo {
  /** Which kernel made this step. */
  kernelIndex: number;
  /** Whether the sub-state was rebuilt with that kernel's `init` (its cost is included in `energyEvaluations`). */
  reinitialized: boolean;
}

export interface MixtureKernel extends Kernel<MixtureState> {
  readonly kind: 'mixture';
  readonly kernels: readonly Kernel[];
  /** Normalised selection probabilities. */
  readonly probabilities: readonly number[];
  step(state: MixtureState, rng: Rng): { state: MixtureState; info: MixtureStepInfo };
}

function tensorsOf(value: unknown, out: Set<tf.Tensor>): Set<tf.Tensor> {
  if (value instanceof tf.Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) tensorsOf(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) tensorsOf(v, out);
  return out;
}

function disposeUnshared(old: unknown, next: unknown): void {
  const keep = tensorsOf(next, new Set());
  for (const t of tensorsOf(old, new Set())) if (!keep.has(t) && !(t instanceof tf.Variable) && !t.isDisposed) t.dispose();
}

/**
 * Random mixture of kernels sharing one target (flowMC: local MCMC moves + global flow moves). At each step ONE kernel
 * is drawn with the given probabilities and applied to all chains (a per-step choice independent of the state keeps
 * every component's invariance, so the mixture leaves the target invariant; per-chain choice is not implemented).
 *
 * Kernels carry different state (gradients, log q, latent z…): when the drawn kernel differs from the one whose
 * sub-state is current, its sub-state is rebuilt with its `init(x)` — typically one energy (+gradient) evaluation per
 * chain, counted in `info.energyEvaluations` on top of the step's own cost. Consecutive steps of the same kernel cost
 * nothing extra. Every kernel must have the same `target` object.
 */
export function mixtureKernel(kernels: readonly Kernel[], probabilities: readonly number[]): MixtureKernel {
  if (!Array.isArray(kernels) || kernels.length === 0) {
    throw new BoltzflowError('INVALID_VALUE', 'Need at least one kernel', { argument: 'kernels', expected: 'non-empty Kernel[]', received: String(kernels) });
  }
  kernels.forEach((k, i) => {
    if (!k || typeof k.init !== 'function' || typeof k.step !== 'function' || !k.target) {
      throw new BoltzflowError('INVALID_VALUE', 'Expected a Kernel', {
        argument: `kernels[${i}]`,
        expected: 'Kernel { target, init, step }',
        received: typeof k,
      });
    }
  });
  const target: Energy = kernels[0].target;
  kernels.forEach((k, i) => {
    if (k.target.dim !== target.dim) {
      throw new BoltzflowError('INVALID_SHAPE', 'Kernels target different dimensions', {
        argument: `kernels[${i}].target`,
        expected: `dim ${target.dim}`,
        received: `dim ${k.target.dim}`,
      });
    }
    if (k.target !== target) {
      throw new BoltzflowError('INVALID_CONFIG', 'All kernels of a mixture must share the same target', {
        argument: `kernels[${i}].target`,
        expected: `the Energy of kernels[0] (${target.name ?? 'energy'})`,
        received: k.target.name ?? 'another Energy object',
      });
    }
  });
  if (!Array.isArray(probabilities) || probabilities.length !== kernels.length) {
    throw new BoltzflowError('INVALID_SHAPE', 'One probability per kernel', {
      argument: 'probabilities',
      expected: `length ${kernels.length}`,
      received: Array.isArray(probabilities) ? `length ${probabilities.length}` : typeof probabilities,
    });
  }
  assertFiniteArray(probabilities, 'probabilities');
  const total = probabilities.reduce((a, b) => a + b, 0);
  if (probabilities.some((p) => p < 0) || !(total > 0)) {
    throw new BoltzflowError('INVALID_VALUE', 'Probabilities must be non-negative with a positive sum', {
      argument: 'probabilities',
      expected: 'p_i >= 0, sum > 0',
      received: `[${probabilities.join(', ')}]`,
    });
  }
  const probs = probabilities.map((p) => p / total);

  return {
    kind: 'mixture',
    target,
    kernels,
    probabilities: probs,
    init(x0: tf.Tensor2D): MixtureState {
      const inner = kernels[0].init(x0);
      return { x: inner.x.clone(), energy: inner.energy.clone(), kernelIndex: 0, inner };
    },
    step(state: MixtureState, rng: Rng): { state: MixtureState; info: MixtureStepInfo } {
      const k = rng.categorical(probs);
      const kernel = kernels[k];
      const reinitialized = k !== state.kernelIndex;
      let extra = 0;
      let inner = state.inner;
      if (reinitialized) {
        inner = kernel.init(state.x);
        extra = state.x.shape[0];
      }
      let res: { state: ChainState; info: StepInfo };
      try {
        res = kernel.step(inner, rng);
      } catch (e) {
        if (reinitialized) disposeTree(inner);
        throw e;
      }
      // The rebuilt sub-state is ours: free what the step did not carry over into its new state.
      if (reinitialized) disposeUnshared(inner, res.state);
      return {
        state: { x: res.state.x.clone(), energy: res.state.energy.clone(), kernelIndex: k, inner: res.state },
        info: { ...res.info, energyEvaluations: res.info.energyEvaluations + extra, kernelIndex: k, reinitialized },
      };
    },
  };
}
