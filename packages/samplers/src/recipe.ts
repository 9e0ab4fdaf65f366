import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Bijector, CoordinateBlock, Energy, Rng } from '@boltzflow/core';
import type { TransformedDistribution } from '@boltzflow/distributions';
import type { ModeFraction } from './modes.js';
import type { CoordinateSpec, Draws, PlotLimits, Progress } from './types.js';

/** What is sampled and how it is read: the energy, the reaction coordinate, where chains start. */
export interface SamplerTarget {
  energy: Energy;
  /** The coordinate the metrics (ESS, transitions, ΔF, profile) read, in the projected draws. */
  spec: CoordinateSpec;
  plot: PlotLimits;
  /** `[n, dim]` chain starting points; may draw from `rng` (the sampler's own stream). */
  start(n: number, rng: Rng): tf.Tensor2D;
  /**
   * `[n, dim]` overdispersed starting points (a broad distribution over the basins, e.g. random torsions of a molecule)
   * for the adaptive global–local recipes with `start: 'overdispersed'`. Default: a Gaussian of the recipe's
   * `startScale` around the mean of `start`.
   */
  overdispersedStart?: (n: number, rng: Rng) => tf.Tensor2D;
  /** Maps positions to the observables the metrics read (e.g. energy and mean pair distance); identity by default. */
  project?: (d: Draws) => Draws;
  /** Exact log Z, for the log Z error of importance samplers. */
  referenceLogZ?: number;
  /**
   * The untrained flow that recipes training their own flow from the energy alone (fab-is, fab-imh, flowmc,
   * bg-loop) start from, given the recipe's architecture parameters (`layers`, `hidden`) and a weight stream. Default:
   * a RealNVP standardised by the chains' start (`buildFlow`). Molecules pass a flow on internal coordinates.
   */
  flow?: (architecture: { layers: number; hidden: number }, rng: Rng) => TransformedDistribution;
  /**
   * A block of angles (e.g. a molecule's backbone torsions, `dihedralBlock`) for the block-move recipes
   * (block-flowmc, block-mc): their global moves redraw only these coordinates, the rest of each chain kept.
   */
  block?: CoordinateBlock;
}

/** The equal budget every sampler of a comparison gets. */
export interface SamplerBudget {
  /** Energy evaluations for sampling, all chains together (gradients count as evaluations). */
  evaluations: number;
  chains: number;
  /** Steps of step-size adaptation or burn-in, paid as setup outside the budget. */
  warmup: number;
}

/** A trained flow shared by the flow-based recipes of one comparison. */
export interface FlowSetup {
  flow: TransformedDistribution;
  /** The flow's layers in order, for samplers that interleave them with stochastic blocks (SNF). */
  couplings?: Bijector[];
  /**
   * Samples the flow was trained on by maximum likelihood `[N, dim]`, for samplers that train further on them (the SNF's
   * ML through the backward path). Their cost is in `setupEnergyEvaluations` when `trainingData` is 'mcmc'; 'exact' or
   * 'bundled' data came free (the row is flagged oracle). Owned by the setup (freed by `dispose`).
   */
  data?: tf.Tensor2D;
  /** Energy evaluations spent producing the flow (training data, KL batches); every flow-based row adds them as setup. */
  setupEnergyEvaluations: number;
  /** Seconds spent producing the flow; measured by `compareSamplers` around the flow's construction when omitted. */
  setupWallSeconds?: number;
  /** Where its training data came from (default 'mcmc': generated inside setup, so its cost is in the setup). */
  trainingData?: 'mcmc' | 'exact' | 'bundled';
  dispose(): void;
}

export interface RecipeContext<P> {
  /** The recipe's parameters, validated by its schema. */
  params: P;
  progress: Progress;
  /** The comparison's trained flow (trained on first use); only recipes with `needsFlow` may call it. */
  flow(): Promise<FlowSetup>;
}

/**
 * What a recipe's run returns; `compareSamplers` turns it into a `SamplerOutcome` (metrics, budget accounting and
 * wall time are done there, once for every sampler). `setupEnergyEvaluations` are the recipe's own (warm-up, pilot
 * scans, burn-in); the flow's setup is added for recipes that need a flow.
 */
export interface RecipeRun {
  kind: 'chains' | 'weighted';
  /** `[kept, chains, dim]` positions (chains), or `[n, 1, dim]` samples (weighted). */
  draws: Draws;
  /** log w of each sample (weighted runs only). */
  logWeights?: Float64Array;
  energyEvaluations: number;
  setupEnergyEvaluations: number;
  acceptanceRate: number | null;
  settings?: Record<string, number | string | boolean>;
  notes?: string[];
  metrics?: Record<string, number | null>;
  /** Overrides the recipe's description (e.g. when it depends on the parameters). */
  description?: string;
  /**
   * Recipes that train their own flow from the energy alone (fab-is, fab-imh, ta-is): the flow's own mode fraction,
   * which `compareSamplers` checks against the reference like the shared flow's (the mode-collapse guard).
   */
  flowModes?: ModeFraction;
}

/** One sampler of the comparisons: a name, a zod schema of its parameters (with defaults) and a run. */
export interface SamplerRecipe<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  schema: S;
  /** True when the run uses the comparison's trained flow (`ctx.flow()`). */
  needsFlow: boolean;
  /** True when the run needs the target's `block` (block-flowmc, block-mc); pickers of toy targets leave it out. */
  needsBlock?: boolean;
  run(target: SamplerTarget, budget: SamplerBudget, rng: Rng, ctx: RecipeContext<z.infer<S>>): Promise<RecipeRun>;
}

/** Keeps the parameter type of a recipe while the registry stores recipes uniformly. */
export function defineRecipe<S extends z.ZodType>(recipe: SamplerRecipe<S>): SamplerRecipe<S> {
  return recipe;
}
