import type { HostReads } from './hostReads.js';
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';

/**
 * The contracts every package codes against. They live in core so that no implementation package has to depend on
 * another just for a type (e.g. distributions' TransformedDistribution takes any Bijector).
 *
 * Conventions: a batch is `[n, dim]`; per-sample scalars (energies, log-densities, log-dets) are `[n]`.
 * Every method returns fresh tensors owned by the caller and never disposes its inputs.
 */

/** JSON-serialisable description of an object's architecture (not its weights); `type` picks the registered factory. */
export interface SerializedConfig {
  type: string;
  [key: string]: unknown;
}

/** A probability density on R^dim (or a subspace of it), normalised. */
export interface Distribution {
  /** Dimension of the points the map acts on (`x` and `y` are `[n, dim]`). */
  readonly dim: number;
  /** Draws `[n, dim]`. */
  sample(n: number, rng: Rng): tf.Tensor2D;
  /** Normalised log-density, `[n]`. */
  logProb(x: tf.Tensor2D): tf.Tensor1D;
  /** Both at once, cheaper for flows. */
  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D };
  /** Variables that training updates (empty for fixed distributions). */
  readonly trainableVariables: tf.Variable[];
  /** Architecture description for checkpoints. */
  toConfig(): SerializedConfig;
}

/** Result of a bijector pass: the image and log|det J| per sample. */
export interface ForwardResult {
  y: tf.Tensor2D;
  logDet: tf.Tensor1D;
}
/** What {@link Bijector.inverse} returns: latent points and the per-row log-determinant of the inverse map. */
export interface InverseResult {
  x: tf.Tensor2D;
  logDet: tf.Tensor1D;
}

/**
 * An invertible map with exact log-determinant (TFP/bgflow convention: `forward` maps base/latent → data).
 * `forward(x).logDet` = log|det ∂y/∂x|, `inverse(y).logDet` = log|det ∂x/∂y|, so the two are negatives.
 */
export interface Bijector {
  readonly dim: number;
  /** Maps latent `x` to data `y`; `logDet = log|det ∂y/∂x|` per row. Fresh tensors; `x` is not disposed. */
  forward(x: tf.Tensor2D): ForwardResult;
  /** Maps data `y` back to latent `x`; `logDet = log|det ∂x/∂y|` per row (the negative of forward's at that point). */
  inverse(y: tf.Tensor2D): InverseResult;
  readonly trainableVariables: tf.Variable[];
  /**
   * State that is not trained by gradients but must be saved with the weights to reproduce the map exactly
   * (ActNorm's initialised flag, spectral-norm power-iteration vectors…). Optional; checkpoints save it when present.
   */
  readonly nonTrainableVariables?: tf.Variable[];
  /** JSON description `{ type, ...params }` without weights; `bijectorFromConfig` rebuilds it (checkpoints). */
  toConfig(): SerializedConfig;
  /** Frees the bijector's variables. */
  dispose(): void;
}

/** A potential energy in units of kT: μ(x) ∝ exp(−u(x)). */
export interface Energy {
  readonly dim: number;
  /** u(x), `[n]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D;
  /** Optional analytic ∇u(x), `[n, dim]`; when absent, autodiff is used. */
  grad?(x: tf.Tensor2D): tf.Tensor2D;
  /**
   * Optional u(x) `[n]` and ∇u(x) `[n, dim]` from one shared op graph (fewer ops than `energy` + `grad` apart), with the
   * same values as those two. Gradient kernels call it through `energyAndGrad` of @boltzflow/energies.
   */
  energyAndGrad?(x: tf.Tensor2D): { energy: tf.Tensor1D; grad: tf.Tensor2D };
  /** Short name for reports. */
  readonly name?: string;
}

/** State of a batch of chains. Extra fields (momentum, gradient, replica index…) are kernel-specific. */
export interface ChainState {
  /** Positions `[chains, dim]`. */
  x: tf.Tensor2D;
  /** Energies u(x) `[chains]` (at the kernel's target, including any temperature). */
  energy: tf.Tensor1D;
  [key: string]: unknown;
}

/** What one step reports. */
export interface StepInfo {
  /** 1 where the proposal was accepted, 0 otherwise, `[chains]`. */
  accepted: tf.Tensor1D;
  /** log of the MH acceptance ratio (0 for kernels without MH correction), `[chains]`. */
  logAcceptRatio: tf.Tensor1D;
  /** Energy evaluations spent by this step, summed over chains (gradient evaluations count as energy evaluations). */
  energyEvaluations: number;
}

/**
 * A Markov kernel in the blackjax manner: pure `step(state, rng) → { state, info }` over a batch of chains.
 * `step` does not dispose the incoming state; the caller (e.g. sampleChain) does.
 */
export interface Kernel<S extends ChainState = ChainState> {
  /** The target this kernel samples. */
  readonly target: Energy;
  /** The chain state at positions `x0` (`[chains, dim]`), with energies and whatever the kernel caches. */
  init(x0: tf.Tensor2D): S;
  /** One transition of every chain: a new state (the old one is not disposed) and per-step diagnostics. */
  step(state: S, rng: Rng): { state: S; info: StepInfo };
  /**
   * Optional: `step` written as a {@link HostReads} generator, for kernels that need host values inside a step (e.g.
   * replica exchange's swap decisions). Drivers with asynchronous reads (`sampleChainAsync`) use it, so such a kernel
   * also runs where synchronous reads are unavailable (WebGPU in Node); it must make the same ops and draws as `step`.
   */
  stepReads?(state: S, rng: Rng): HostReads<{ state: S; info: StepInfo }>;
}

/**
 * A block of collective coordinates s(x) (e.g. a molecule's backbone torsions) that can be set while the rest of the
 * configuration is kept: the contract of Metropolis-within-Gibbs moves on that block. `write(x, read(x))` returns x,
 * and x ↦ (s, rest) must have unit Jacobian (a shear, such as turning a rigid branch about a bond), so that a move
 * s → s′ with the rest kept has the target ratio exp(−u(x′) + u(x)) and no volume term.
 */
export interface CoordinateBlock {
  /** Number of block coordinates k. */
  readonly dim: number;
  /** Whether each block coordinate is an angle in (−π, π] (true) or a real line coordinate. */
  readonly circular: readonly boolean[];
  /** Block coordinates of a batch of configurations: `[n, D]` → `[n, k]`. */
  read(x: tf.Tensor2D): tf.Tensor2D;
  /** The configurations with their block set to `s` (`[n, k]`), everything else kept: `[n, D]`. */
  write(x: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D;
}
