export type {
  Draws,
  CoordinateSpec,
  PlotLimits,
  DeltaF,
  SamplerResult,
  TrainingData,
  SamplerArtifacts,
  SamplerOutcome,
  TrainingSummary,
  TrainingCurvePoint,
  Progress,
  ProgressBar,
} from './types.js';
export { silentProgress, SAMPLER_FLAGS } from './types.js';
export { comparisonVerdicts, ineligibility, verdictLine, type Verdict } from './verdict.js';
export {
  BASELINE_SAMPLERS,
  checkModeCoverage,
  flowModeFraction,
  type FlowTrainingCheck,
  HIGH_ESS_FRACTION,
  modeFraction,
  type ModeFraction,
  reverseKLWarnings,
} from './modes.js';
export type { SamplerRecipe, SamplerTarget, SamplerBudget, FlowSetup, RecipeContext, RecipeRun } from './recipe.js';
export { defineRecipe } from './recipe.js';
export { RECIPES, recipeNames, getRecipe } from './registry.js';
export { compareSamplers, BUDGET_TOLERANCE, samplerStreams, samplerBudget, type CompareOptions, type SamplerSpec } from './compare.js';
export { runToBudget, runToBudgetAsync, runToBudgetReads, type BudgetRun } from './runToBudget.js';
export {
  mcmcOutcome,
  importanceOutcome,
  collectArtifacts,
  accountCosts,
  addFlag,
  betweenChainStderr,
  pointsOf,
  MIN_TRANSITIONS,
  MIN_KISH_ESS,
  type OutcomeOptions,
  type ArtifactLists,
} from './metrics.js';
export { chainColumns, mapDraws, energiesOf } from './draws.js';
export { trainEquivariantFlow, heldOutNLL, type EquivariantFlowOptions } from './equivariantFlow.js';
export {
  buildFlow,
  internalCoordinateFlow,
  torusFlow,
  standardisation,
  trainFlow,
  type FlowKind,
  type FlowSpec,
  type InternalCoordinateFlowOptions,
  type TorusFlowOptions,
  type TrainSpec,
  type TrainedFlow,
} from './flows.js';
export { trainBoltzmannGenerator, type BoltzmannGenerator, type BgOptions } from './boltzmannGenerator.js';
export { flowWeightedSamples, flowWeightedSamplesAsync } from './flowSamplers.js';
export { adaptedChains, kernelChains, type StepSizeKernelFactory } from './recipes/local.js';
export { quadrature2D } from './quadrature.js';
export { linspace, round, thin } from './util.js';
export { rwm as rwmRecipe } from './recipes/rwm.js';
export { rwmScan as rwmScanRecipe } from './recipes/rwmScan.js';
export { mala as malaRecipe } from './recipes/mala.js';
export { replicaExchange as replicaExchangeRecipe } from './recipes/replicaExchange.js';
export { flowIs as flowIsRecipe } from './recipes/flowIs.js';
export { latentMetropolis as latentMetropolisRecipe } from './recipes/latentMetropolis.js';
export { flowImh as flowImhRecipe } from './recipes/flowImh.js';
export { snf as snfRecipe, flowMcmcIs as flowMcmcIsRecipe } from './recipes/snf.js';
export {
  globalLocalSampler,
  type GlobalLocalOptions,
  type GlobalLocalResult,
  type GlobalLocalLoopReport,
  type OverdispersedStart,
} from './globalLocalSampler.js';
