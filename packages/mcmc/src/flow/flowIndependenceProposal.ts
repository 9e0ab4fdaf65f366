import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, type ChainState, type Distribution, type Energy, type Kernel, type Rng, type StepInfo } from '@boltzflow/core';
import { checkEnergy, checkFiniteAtStart, checkSameDim, checkStart, drawLogUniform, finiteRows, mhDecision, nanToInf, selectRows } from '../proposal.js';
import { flowLogProb, isFlowLike, type FlowLike } from './common.js';

/** State of {@link flowIndependenceProposal}: `energy` = u(x) and `logQ` = log q(x) under the proposal flow. */
export interface FlowIndependenceState extends ChainState {
  logQ: tf.Tensor1D;
}

export interface FlowIndependenceKernel extends Kernel<FlowIndependenceState> {
  readonly kind: 'flowIndependence';
}

/** Samples with log q from a `{ base, bijector }` pair or any Distribution. */
export function proposalOf(flow: FlowLike | Distribution): {
  dim: number;
  sample: (n: number, rng: Rng) => { x: tf.Tensor2D; logQ: tf.Tensor1D };
  logProb: (x: tf.Tensor2D) => tf.Tensor1D;
} {
  if (isFlowLike(flow)) {
    const f = flow;
    return {
      dim: f.base.dim,
      sample: (n, rng) => {
        const z = f.base.sample(n, rng);
        const out = tf.tidy(() => {
          const fw = f.bijector.forward(z);
          return { x: fw.y, logQ: tf.sub(f.base.logProb(z), fw.logDet) as tf.Tensor1D };
        });
        z.dispose();
        return out;
      },
      logProb: (x) => {
        const r = flowLogProb(f, x);
        r.z.dispose();
        return r.logQ;
      },
    };
  }
  const d = flow as Distribution;
  if (!d || typeof d.sampleWithLogProb !== 'function' || typeof d.logProb !== 'function') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a flow or a Distribution', {
      argument: 'flow',
      expected: '{ base, bijector } or Distribution',
      received: typeof flow,
    });
  }
  return {
    dim: d.dim,
    sample: (n, rng) => {
      const s = d.sampleWithLogProb(n, rng);
      return { x: s.x, logQ: s.logProb };
    },
    logProb: (x) => d.logProb(x),
  };
}

/**
 * Independent Metropolis–Hastings with the flow as a global proposal (flowMC's global move): x′ ~ q, accepted with
 * min(1, w(x′)/w(x)), w = exp(−u(x) − log q(x)). `flow` is a `{ base, bijector }` pair (e.g. TransformedDistribution)
 * or any Distribution. When q ∝ exp(−u) every proposal is accepted. Proposals with a non-finite coordinate (a flow that
 * overflows), or non-finite u or log q, are rejected.
 * One evaluation of u per chain and step; `init` costs one per chain (plus one inverse pass of the flow).
 */
export function flowIndependenceProposal(flow: FlowLike | Distribution, energy: Energy): FlowIndependenceKernel {
  checkEnergy(energy);
  const q = proposalOf(flow);
  checkSameDim(q.dim, energy, 'flow');
  const dim = energy.dim;
  return {
    kind: 'flowIndependence',
    target: energy,
    init(x0: tf.Tensor2D): FlowIndependenceState {
      checkStart(x0, dim);
      const u = energy.energy(x0);
      const logQ = q.logProb(x0);
      try {
        checkFiniteAtStart(u, 'energy');
        checkFiniteAtStart(logQ, 'flow log-density');
      } catch (e) {
        tf.dispose([u, logQ]);
        throw e;
      }
      return { x: x0.clone(), energy: u, logQ };
    },
    step(state: FlowIndependenceState, rng: Rng): { state: FlowIndependenceState; info: StepInfo } {
      return independenceStep(state, rng, energy, q.sample, (proposed) => proposed);
    },
  };
}

/**
 * One independence Metropolis–Hastings step, shared by the flow and block kernels: draws `[n, k]` values with their
 * log q, places them (`place`: the whole configuration, or a block written into the current one), and accepts with
 * min(1, exp(−u(x′) − log q′ + u(x) + log q)). Proposals with a non-finite coordinate, u or log q are rejected.
 */
export function independenceStep(
  state: FlowIndependenceState,
  rng: Rng,
  energy: Energy,
  sample: (n: number, rng: Rng) => { x: tf.Tensor2D; logQ: tf.Tensor1D },
  place: (proposed: tf.Tensor2D) => tf.Tensor2D,
): { state: FlowIndependenceState; info: StepInfo } {
  const n = state.x.shape[0];
  const prop = sample(n, rng);
  let out;
  try {
    out = tf.tidy(() => {
      const x = place(prop.x);
      const u = nanToInf(energy.energy(x));
      const logW = tf.neg(tf.add(u, prop.logQ));
      const logWOld = tf.neg(tf.add(state.energy, state.logQ));
      const logRatio = tf.sub(logW, logWOld) as tf.Tensor1D;
      const valid = tf.logicalAnd(tf.logicalAnd(tf.isFinite(u), tf.isFinite(prop.logQ)), finiteRows(x)) as tf.Tensor1D;
      const { logAcceptRatio, mask, accepted } = mhDecision(logRatio, drawLogUniform(rng, n), valid);
      return {
        x: selectRows(mask, x, state.x),
        energy: selectRows(mask, u, state.energy),
        logQ: selectRows(mask, prop.logQ, state.logQ),
        accepted,
        logAcceptRatio,
      };
    });
  } finally {
    tf.dispose([prop.x, prop.logQ]);
  }
  return {
    state: { x: out.x, energy: out.energy, logQ: out.logQ },
    info: { accepted: out.accepted, logAcceptRatio: out.logAcceptRatio, energyEvaluations: n },
  };
}
