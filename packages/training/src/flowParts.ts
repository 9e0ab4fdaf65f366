import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type Bijector, type Distribution, type Energy, type Rng } from '@boltzflow/core';

/** A flow as training sees it: any Distribution; TransformedDistribution-like flows expose `base` and `bijector`. */
type FlowLike = Distribution & {
  readonly base?: Distribution;
  readonly bijector?: Bijector;
  readonly nonTrainableVariables?: tf.Variable[];
};

function dedupe(vars: readonly tf.Variable[]): tf.Variable[] {
  const seen = new Set<tf.Variable>();
  const out: tf.Variable[] = [];
  for (const v of vars) {
    if (!seen.has(v)) {
      seen.add(v);
      out.push(v);
    }
  }
  return out;
}

/**
 * The flow's variables in their fixed order: trainable (as `flow.trainableVariables`) and non-trainable state
 * (`flow.nonTrainableVariables` when the flow has it, otherwise its bijector's and its base's).
 */
export function flowVariables(flow: Distribution): { trainable: tf.Variable[]; nonTrainable: tf.Variable[] } {
  const f = flow as FlowLike;
  const trainable = dedupe(f.trainableVariables ?? []);
  const fromParts = [...((f.base as FlowLike | undefined)?.nonTrainableVariables ?? []), ...(f.bijector?.nonTrainableVariables ?? [])];
  const candidates = f.nonTrainableVariables ?? fromParts;
  const t = new Set(trainable);
  return { trainable, nonTrainable: dedupe(candidates).filter((v) => !t.has(v)) };
}

/**
 * Every object reachable from the flow that has an `updateSpectralNorm()` method (spectral-norm MLPs, or bijectors that
 * forward it). The walk stops at such an object so that nothing is updated twice; tensors and typed arrays are skipped.
 */
export function spectralNormOwners(flow: unknown): Array<{ updateSpectralNorm: (iterations?: number) => void }> {
  const out: Array<{ updateSpectralNorm: (iterations?: number) => void }> = [];
  const seen = new Set<object>();
  const stack: unknown[] = [flow];
  let budget = 200_000;
  while (stack.length > 0 && budget-- > 0) {
    const o = stack.pop();
    if (!o || typeof o !== 'object' || seen.has(o)) continue;
    seen.add(o);
    if (o instanceof tf.Tensor || ArrayBuffer.isView(o) || o instanceof ArrayBuffer) continue;
    if (typeof (o as { updateSpectralNorm?: unknown }).updateSpectralNorm === 'function') {
      out.push(o as { updateSpectralNorm: (iterations?: number) => void });
      continue;
    }
    if (Array.isArray(o)) {
      // Arrays of numbers (masks, configs) hold no owners.
      if (o.length > 0 && typeof o[0] !== 'object') continue;
      for (const v of o) stack.push(v);
    } else if (o instanceof Map) {
      for (const v of o.values()) stack.push(v);
    } else {
      for (const v of Object.values(o)) stack.push(v);
    }
  }
  return out;
}

/**
 * Reparameterised samples with their flow log-density: z ~ base, x = bijector.forward(z),
 * log q(x) = log p_base(z) − log|det ∂x/∂z|, so gradients reach the bijector's weights through x and log q.
 * Flows without `base`/`bijector` fall back to `sampleWithLogProb` (which must then be differentiable).
 */
export function reparameterizedSample(flow: Distribution, n: number, rng: Rng): { x: tf.Tensor2D; logQ: tf.Tensor1D } {
  if (hasBaseAndBijector(flow)) {
    const z = flow.base.sample(n, rng);
    const out = reparameterizedFromBase(flow, z);
    z.dispose();
    return out;
  }
  const s = flow.sampleWithLogProb(n, rng);
  return { x: s.x, logQ: s.logProb };
}

/** Whether `flow` has the `base` and `bijector` that {@link reparameterizedFromBase} pushes given draws through. */
export function hasBaseAndBijector(flow: Distribution): flow is Distribution & { readonly base: Distribution; readonly bijector: Bijector } {
  const f = flow as FlowLike;
  return f.base !== undefined && typeof f.bijector?.forward === 'function';
}

/**
 * {@link reparameterizedSample} for base draws `z` that were already drawn (data-parallel training draws them on the
 * main thread and pushes shares of them through each thread's copy of the flow): x = bijector.forward(z) with
 * log q(x) = log p_base(z) − log|det ∂x/∂z|. `z` stays the caller's.
 */
export function reparameterizedFromBase(flow: Distribution, z: tf.Tensor2D): { x: tf.Tensor2D; logQ: tf.Tensor1D } {
  if (!hasBaseAndBijector(flow)) {
    throw new BoltzflowError('INVALID_VALUE', 'Pushing given base draws through a flow needs its base and bijector', {
      argument: 'flow',
      expected: 'a flow with base and bijector (TransformedDistribution)',
      received: String(flow?.toConfig?.().type ?? typeof flow),
    });
  }
  const { base, bijector: bij } = flow;
  return tf.tidy(() => {
    const lp = base.logProb(z);
    const fw = bij.forward(z);
    return { x: fw.y, logQ: tf.sub(lp, fw.logDet) as tf.Tensor1D };
  });
}

/**
 * The argument checks of the trainings that learn from an energy (FAB, temperature-annealed): a Distribution (that can
 * also draw with its log-density when `sampling`), an Energy, and the same dimension.
 */
export function checkFlowAndEnergy(flow: Distribution, energy: Energy, sampling = false): void {
  if (!flow || typeof flow.logProb !== 'function' || (sampling && typeof flow.sampleWithLogProb !== 'function')) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a flow (Distribution)', { argument: 'flow', expected: 'Distribution', received: typeof flow });
  }
  if (!energy || typeof energy.energy !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected an energy', { argument: 'energy', expected: 'Energy', received: typeof energy });
  }
  if (flow.dim !== energy.dim) {
    throw new BoltzflowError('INVALID_SHAPE', 'The flow and the energy live in different dimensions', {
      argument: 'flow.dim',
      expected: String(energy.dim),
      received: String(flow.dim),
    });
  }
}
