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

/** One sampler's row (the fields of the app's results.json `samplers[i]`). */
export interface SamplerResult {
  sampler: string;
  description?: string;
  /** Energy evaluations spent by sampling (gradients count as energy evaluations): the equal budget. */
  energyEvaluations: number;
  /** Energy evaluations spent before sampling (flow training, warm-up, pilot scans, burn-in). */
  setupEnergyEvaluations?: number;
  wallSeconds: number;
  /** Mean MH acceptance; null for samplers without a single acceptance (importance sampling). */
  acceptanceRate: number | null;
  /** Committed crossings of the dividing surface, summed over chains; null for independent samples. */
  transitions: number | null;
  /** Integrated autocorrelation time of the reaction coordinate in energy evaluations; null when not estimable. */
  iact: number | null;
  ess: number;
  essPerEnergyEvaluation: number;
  essPerSecond: number;
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
}

/** Where progress goes; the app's reporters implement it, `silentProgress` drops it. */
export interface Progress {
  bar(label: string, total: number): ProgressBar;
  log(message: string): void;
}

export const silentProgress: Progress = {
  bar: () => ({ update: () => undefined, stop: () => undefined }),
  log: () => undefined,
};
