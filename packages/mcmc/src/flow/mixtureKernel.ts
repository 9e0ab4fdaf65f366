import * as tf from '@tensorflow/tfjs';
import {
  assertFiniteArray,
  BoltzflowError,
  disposeTree,
  runHostReadsSync,
  type ChainState,
  type Energy,
  type HostReads,
  type Kernel,
  type Rng,
  type StepInfo,
  assertOneOf,
} from '@boltzflow/core';

/** How {@link mixtureKernel} chooses kernels. */
export interface MixtureKernelOptions {
  /**
   * 'per-chain' (default): every chain draws its own kernel each step, independently of the others and of the state;
   * the chains that drew kernel k are stepped together by k. 'per-step': one draw per step, applied to all chains.
   */
  choice?: 'per-chain' | 'per-step';
}

/** Sub-state of one kernel of a mixture: the chains (row order) it last moved and its state over them. */
export interface MixturePart {
  /** Kernel index. */
  kernel: number;
  /** Chain index of each row of `state`. */
  chains: number[];
  state: ChainState;
}

/** State of {@link mixtureKernel}: the shared `x`/`energy` and, per kernel used in the last step, its sub-state over the chains it moved. */
export interface MixtureState extends ChainState {
  /** The kernel every chain last used when they all used the same one (0 after init), else −1. */
  kernelIndex: number;
  /** Sub-states of the kernels that moved chains in the last step (after init: kernel 0 over all chains). */
  parts: MixturePart[];
}

export interface MixtureStepInfo extends StepInfo {
  /** Which kernel made this step when all chains used the same one, else −1 (see {@link chainKernels}). */
  kernelIndex: number;
  /** The kernel each chain used in this step. */
  chainKernels: number[];
  /** Whether any sub-state was rebuilt with its kernel's `init` (its cost is included in `energyEvaluations`). */
  reinitialized: boolean;
  /** How many chains had their sub-state rebuilt this step. */
  reinitializedChains: number;
}

export interface MixtureKernel extends Kernel<MixtureState> {
  readonly kind: 'mixture';
  readonly kernels: readonly Kernel[];
  /** Normalised selection probabilities. */
  readonly probabilities: readonly number[];
  /** Whether each chain draws its own kernel ('per-chain') or one draw serves all chains ('per-step'). */
  readonly choice: 'per-chain' | 'per-step';
  step(state: MixtureState, rng: Rng): { state: MixtureState; info: MixtureStepInfo };
  /** {@link step} pausing at the host reads of the inner kernels that have them (their `stepReads`). */
  stepReads(state: MixtureState, rng: Rng): HostReads<{ state: MixtureState; info: MixtureStepInfo }>;
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

/** Rows `idx` (chain positions along axis 0) of every tensor of a sub-state; the structure and other values are kept. */
function rowsOf(value: unknown, idx: tf.Tensor1D, m: number, path: string): unknown {
  if (value instanceof tf.Tensor) {
    if (value.rank === 0 || value.shape[0] !== m) {
      throw new BoltzflowError('INVALID_CONFIG', 'Per-chain kernel choice needs sub-states whose tensors hold one row per chain', {
        argument: `kernel state ${path}`,
        expected: `a tensor with ${m} rows (one per chain)`,
        received: `shape [${value.shape.join(', ')}]`,
      });
    }
    return tf.gather(value, idx);
  }
  if (Array.isArray(value)) return value.map((v, i) => rowsOf(v, idx, m, `${path}[${i}]`));
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rowsOf(v, idx, m, `${path}.${k}`)]));
  }
  return value;
}

/** Stacks two sub-states of the same kernel row-wise (tensors concatenated along axis 0; other values from `a`). */
function concatRows(a: unknown, b: unknown): unknown {
  if (a instanceof tf.Tensor && b instanceof tf.Tensor) return tf.concat([a, b], 0);
  if (Array.isArray(a) && Array.isArray(b)) return a.map((v, i) => concatRows(v, b[i]));
  if (a && typeof a === 'object' && b && typeof b === 'object' && !ArrayBuffer.isView(a)) {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, concatRows(v, (b as Record<string, unknown>)[k])]));
  }
  return a;
}

const isIdentity = (chains: readonly number[], n: number): boolean => chains.length === n && chains.every((c, i) => c === i);

/** Puts per-part row tensors back into chain order: row j of part p belongs to chain `parts[p].chains[j]`. */
function assemble<T extends tf.Tensor>(pieces: T[], chains: number[][], n: number): T {
  if (pieces.length === 1 && isIdentity(chains[0], n)) return pieces[0].clone() as T;
  const inverse = new Int32Array(n);
  let j = 0;
  for (const cs of chains) for (const c of cs) inverse[c] = j++;
  return tf.tidy(() => tf.gather(tf.concat(pieces, 0), tf.tensor1d(inverse, 'int32'))) as T;
}

/**
 * Random mixture of kernels sharing one target (flowMC: local MCMC moves + global flow moves).
 *
 * With `choice: 'per-chain'` (the default) every chain draws its own kernel k with probability p_k at every step,
 * independently of the other chains and of its state, and the chains that drew k are stepped together by kernel k
 * (one call per kernel drawn). Each chain then moves by Σ_k p_k K_k, which keeps detailed balance (and invariance)
 * whenever every K_k does, because the choice does not depend on the state. This needs kernels that move each chain
 * independently of the others (true of RWM, MALA, HMC, NUTS, flow IMH and latent Metropolis; not of ensemble or
 * replica-exchange kernels) and sub-states whose tensors hold one row per chain along axis 0 (else a typed
 * INVALID_CONFIG error). With `choice: 'per-step'` one draw per step is applied to all chains.
 *
 * Kernels carry different state (gradients, log q, latent z…): a chain whose previous step was made by another
 * kernel has its sub-state rebuilt with the drawn kernel's `init` on its row — typically one energy (+gradient)
 * evaluation for that chain, counted in `info.energyEvaluations` on top of the step's own cost. A chain that keeps
 * its kernel costs nothing extra. Every kernel must have the same `target` object.
 */
export function mixtureKernel(kernels: readonly Kernel[], probabilities: readonly number[], options: MixtureKernelOptions = {}): MixtureKernel {
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

  const choice = options?.choice ?? 'per-chain';
  assertOneOf(choice, ['per-chain', 'per-step'], 'options.choice', { code: 'INVALID_CONFIG', message: 'Unknown kernel choice' });
  const cumulative: number[] = [];
  probs.reduce((acc, p) => {
    cumulative.push(acc + p);
    return acc + p;
  }, 0);

  /** One kernel index per chain: a shared draw ('per-step') or one per chain. */
  const draw = (n: number, rng: Rng): Int32Array => {
    const out = new Int32Array(n);
    if (choice === 'per-step') return out.fill(rng.categorical(probs));
    const u = rng.uniformArray(n);
    for (let c = 0; c < n; c++) {
      let k = 0;
      while (k < kernels.length - 1 && !(u[c] < cumulative[k])) k++;
      // Skip zero-probability kernels that a rounding tie could land on.
      while (probs[k] === 0 && k > 0) k--;
      out[c] = k;
    }
    return out;
  };

  const mixture: MixtureKernel = {
    kind: 'mixture',
    target,
    kernels,
    probabilities: probs,
    choice,
    init(x0: tf.Tensor2D): MixtureState {
      const inner = kernels[0].init(x0);
      const n = inner.x.shape[0];
      return {
        x: inner.x.clone(),
        energy: inner.energy.clone(),
        kernelIndex: 0,
        parts: [{ kernel: 0, chains: Array.from({ length: n }, (_, i) => i), state: inner }],
      };
    },
    step(state: MixtureState, rng: Rng): { state: MixtureState; info: MixtureStepInfo } {
      return runHostReadsSync(mixture.stepReads(state, rng));
    },
    *stepReads(state: MixtureState, rng: Rng): HostReads<{ state: MixtureState; info: MixtureStepInfo }> {
      const n = state.x.shape[0];
      const chosen = draw(n, rng);
      // Where each chain's current sub-state lives: part index and row.
      const partOf = new Int32Array(n).fill(-1);
      const rowOf = new Int32Array(n);
      state.parts.forEach((part, p) =>
        part.chains.forEach((c, r) => {
          partOf[c] = p;
          rowOf[c] = r;
        }),
      );
      const parts: MixturePart[] = [];
      const infos: StepInfo[] = [];
      let evaluations = 0;
      let fresh = 0;
      try {
        for (let k = 0; k < kernels.length; k++) {
          const chains: number[] = [];
          for (let c = 0; c < n; c++) if (chosen[c] === k) chains.push(c);
          if (chains.length === 0) continue;
          const kept = chains.filter((c) => partOf[c] >= 0 && state.parts[partOf[c]].kernel === k);
          const rebuilt = chains.filter((c) => !(partOf[c] >= 0 && state.parts[partOf[c]].kernel === k));
          const owner = kept.length > 0 ? state.parts[partOf[kept[0]]] : undefined;
          let input: ChainState;
          let order: number[];
          let ours = true;
          if (owner && rebuilt.length === 0 && owner.chains.length === kept.length && owner.chains.every((c, i) => c === kept[i])) {
            // The kernel keeps exactly the chains it moved last step, in the same order: step its sub-state as is.
            input = owner.state;
            order = owner.chains;
            ours = false;
          } else {
            let keptState: ChainState | undefined;
            let freshState: ChainState | undefined;
            if (owner) {
              const idx = tf.tensor1d(
                kept.map((c) => rowOf[c]),
                'int32',
              );
              try {
                keptState = rowsOf(owner.state, idx, owner.chains.length, 'state') as ChainState;
              } finally {
                idx.dispose();
              }
            }
            if (rebuilt.length > 0) {
              const xs = (isIdentity(rebuilt, n) ? state.x.clone() : tf.tidy(() => tf.gather(state.x, tf.tensor1d(rebuilt, 'int32')))) as tf.Tensor2D;
              try {
                freshState = kernels[k].init(xs);
              } finally {
                if (!tensorsOf(freshState, new Set()).has(xs)) xs.dispose();
              }
              fresh += rebuilt.length;
            }
            if (keptState && freshState) {
              input = concatRows(keptState, freshState) as ChainState;
              disposeTree([keptState, freshState]);
            } else input = (keptState ?? freshState) as ChainState;
            order = [...kept, ...rebuilt];
          }
          let res: { state: ChainState; info: StepInfo };
          try {
            const inner = kernels[k];
            res = inner.stepReads ? yield* inner.stepReads(input, rng) : inner.step(input, rng);
          } catch (e) {
            if (ours) disposeTree(input);
            throw e;
          }
          // A sub-state built here is ours: free what the step did not carry over into its new state.
          if (ours) disposeUnshared(input, res.state);
          parts.push({ kernel: k, chains: order, state: res.state });
          infos.push(res.info);
          evaluations += res.info.energyEvaluations;
        }
      } catch (e) {
        for (const p of parts) disposeTree(p.state);
        for (const i of infos) disposeTree(i);
        throw e;
      }
      const orders = parts.map((p) => p.chains);
      const x = assemble(
        parts.map((p) => p.state.x),
        orders,
        n,
      );
      const energy = assemble(
        parts.map((p) => p.state.energy),
        orders,
        n,
      );
      const single = parts.length === 1;
      let accepted: tf.Tensor1D;
      let logAcceptRatio: tf.Tensor1D;
      if (single && isIdentity(orders[0], n)) ({ accepted, logAcceptRatio } = infos[0]);
      else {
        accepted = assemble(
          infos.map((i) => i.accepted),
          orders,
          n,
        );
        logAcceptRatio = assemble(
          infos.map((i) => i.logAcceptRatio),
          orders,
          n,
        );
        for (const i of infos) tf.dispose([i.accepted, i.logAcceptRatio]);
      }
      const kernelIndex = single ? parts[0].kernel : -1;
      const base = single ? { ...infos[0], accepted, logAcceptRatio } : { accepted, logAcceptRatio };
      return {
        state: { x, energy, kernelIndex, parts },
        info: {
          ...base,
          energyEvaluations: evaluations + fresh,
          kernelIndex,
          chainKernels: Array.from(chosen),
          reinitialized: fresh > 0,
          reinitializedChains: fresh,
        },
      };
    },
  };
  return mixture;
}
