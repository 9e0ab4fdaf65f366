/**
 * The shapes a sampler run produces. They are plain data (the app's results.json schema validates the same fields):
 * one `SamplerResult` row per sampler, its figure data, and the raw draws that estimators read directly.
 */

/** Positions as `[kept, chains, dim]` row-major draws (the layout of mcmc's SampleArray). */
export interface Draws {
  data: Float32Array;
  shape: [number, number, number];
}

/** How a comparison reads a reaction coordinate: which column, the dividing surface, the metastable cores. */
export interface CoordinateSpec {
  /** Column of the position (after `SamplerTarget.project`) that is the reaction coordinate. */
  index: number;
  name: string;
  /** ΔF = F(ξ > threshold) − F(ξ < threshold). */
  threshold: number;
  /** Transitions count only between cores ξ < threshold − deadZone and ξ > threshold + deadZone. */
  deadZone: number;
  /** Histogram edges for the free-energy profile. */
  profileEdges: number[];
  /** Exact profile minimum, to align histogram profiles for plotting (they are only defined up to a constant). */
  profileMin?: number;
  /** Exact ΔF, copied into each sampler's deltaF.reference. */
  referenceDeltaF?: number;
}

/** How much figure data each sampler keeps. */
export interface PlotLimits {
  samplesPerSampler: number;
  tracePoints: number;
  acfLags: number;
}

export interface DeltaF {
  /** Estimated ΔF in kT. */
  estimate: number;
  /** Its standard error in kT (accounts for autocorrelation / importance weights). */
  stderr: number;
  /** Exact value where the target has one. */
  reference?: number;
}

/** Where a flow's training data came from: none (no flow), MCMC run inside setup, exact samples, a bundled file. */
export type TrainingData = 'none' | 'mcmc' | 'exact' | 'bundled';

/**
 * The flags a row can carry: `few-transitions` (chains crossed the dividing surface fewer than 20 times: ΔF and its
 * error are unreliable), `short-chains` (chains shorter than ~50 IACTs), `degenerate-weights` (Kish ESS < 50),
 * `mode-mismatch` (the flow's mode fraction differs from the reference beyond its error: mode collapse),
 * `no-deltaF` (ΔF not estimable), `oracle` (trained on exact or bundled samples: not a fair total-cost entry),
 * `off-budget` (sampling evaluations more than 1 % away from the equal budget).
 */
export const SAMPLER_FLAGS = ['few-transitions', 'short-chains', 'degenerate-weights', 'mode-mismatch', 'no-deltaF', 'oracle', 'off-budget'] as const;

/** One sampler's row (the fields of the app's results.json `samplers[i]`). */
export interface SamplerResult {
  sampler: string;
  description?: string;
  /** Energy evaluations spent by sampling (gradients count as energy evaluations): the equal budget. */
  energyEvaluations: number;
  /** Energy evaluations spent before sampling (flow training and its training data, warm-up, pilot scans, burn-in). */
  setupEnergyEvaluations: number;
  /** Setup plus sampling: what the sampler cost in all (excluding the generation of bundled or exact training data). */
  totalEnergyEvaluations: number;
  /** Wall time of the sampler's own run (warm-up and sampling, not the shared flow training). */
  wallSeconds: number;
  /** `wallSeconds` plus the flow's training time for flow-based rows. */
  totalWallSeconds: number;
  /** Mean MH acceptance; null for samplers without a single acceptance (importance sampling). */
  acceptanceRate: number | null;
  /** Committed crossings of the dividing surface, summed over chains; null for independent samples. */
  transitions: number | null;
  /** Integrated autocorrelation time of the reaction coordinate in energy evaluations; null when not estimable. */
  iact: number | null;
  ess: number;
  essPerEnergyEvaluation: number;
  essPerSecond: number;
  /** ESS per energy evaluation on total cost (setup included). */
  essPerTotalEnergyEvaluation: number;
  essPerTotalSecond: number;
  /** Where the flow's training data came from (`none` for samplers without a flow). */
  trainingData: TrainingData;
  /** Warnings that disqualify or qualify the row (see `SAMPLER_FLAGS`). */
  flags: string[];
  deltaF: DeltaF | null;
  settings?: Record<string, number | string | boolean>;
  notes?: string[];
  metrics?: Record<string, number | null>;
}

/** One sampler's contribution to the figures. */
export interface SamplerArtifacts {
  samples?: { sampler: string; points: [number, number][] };
  trace?: { sampler: string; coordinate: string; evaluationsPerPoint: number; values: number[] };
  acf?: { sampler: string; evaluationsPerLag: number; values: number[] };
  profile?: { sampler: string; x: number[]; f: (number | null)[] };
}

/**
 * What a sampler run hands back: the row, its figure data, and the raw draws (`[kept, chains, dim]` positions before
 * any projection; `[n, 1, dim]` for weighted samples) with their log-weights, for estimators and experiment metrics.
 */
export interface SamplerOutcome {
  result: SamplerResult;
  artifacts: SamplerArtifacts;
  draws?: Draws;
  logWeights?: Float64Array;
}

/** Training summary of a flow (the app's results.json `training`). */
export interface TrainingSummary {
  steps: number;
  energyEvaluations: number;
  wallSeconds: number;
  finalLoss: number | null;
  essFraction: number | null;
  modeFractions?: Record<string, number>;
  /** Mode-collapse warnings about the training (see reverseKLWarnings). */
  warnings?: string[];
}

/** One point of a training curve. */
export interface TrainingCurvePoint {
  step: number;
  phase?: string;
  loss: number | null;
  essFraction?: number | null;
}

/** One phase's progress (training, one sampler's sampling). */
export interface ProgressBar {
  /** Sets the absolute position and the status fields shown next to the bar (loss, acceptance, …). */
  update(value: number, info?: Record<string, string | number>): void;
  stop(): void;
  /**
   * Optional live view of the chains: each chunk of positions `[steps, chains, dim]` as soon as it is drawn
   * (`runToBudget` calls it after `update`, whose value is then the evaluations spent so far). Chunks arrive in order,
   * so their concatenation along the first axis is the run's draws. The playground streams its live charts from it.
   */
  draws?(block: Draws): void;
}

/** Where progress goes; the app's reporters implement it, `silentProgress` drops it. */
export interface Progress {
  bar(label: string, total: number): ProgressBar;
  log(message: string): void;
  /**
   * Optional: `compareSamplers` calls it before each sampler runs, with how that sampler's draws are read (the coordinate,
   * its exact ΔF when known, plot limits and the budget), so that a live view can compute the same metrics on the
   * chunks `ProgressBar.draws` streams.
   */
  sampler?(name: string, target: { spec: CoordinateSpec; plot: PlotLimits; evaluations: number; chains: number }): void;
}

export const silentProgress: Progress = {
  bar: () => ({ update: () => undefined, stop: () => undefined }),
  log: () => undefined,
};
