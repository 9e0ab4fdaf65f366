import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng, type Energy, type Rng } from '@boltzflow/core';
import { trainBoltzmannGenerator, type BgOptions } from './boltzmannGenerator.js';
import { addFlag, importanceOutcome, mcmcOutcome } from './metrics.js';
import type { FlowSetup, SamplerBudget, SamplerTarget } from './recipe.js';
import { getRecipe, recipeNames } from './registry.js';
import { silentProgress, type Progress, type SamplerOutcome } from './types.js';
import { linspace } from './util.js';
import { checkModeCoverage, flowModeFraction, modeFraction, type ModeFraction } from './modes.js';

/** Relative deviation from the equal budget beyond which a row is flagged 'off-budget' (or two evaluations per chain, if more). */
export const BUDGET_TOLERANCE = 0.01;

/** A sampler of a comparison: a recipe name, or a name with parameters for its schema. */
export type SamplerSpec = string | { name: string; params?: unknown };

export interface CompareOptions {
  /** Energy evaluations per sampler, or the full budget (chains, warm-up steps). Default chains 64, warm-up max(50, evaluations/chains/10). */
  budget: number | SamplerBudget;
  /** Seed of the run's stream (default 0); ignored when `rng` or `streams` is given. */
  seed?: number;
  rng?: Rng;
  /**
   * Each sampler's own random stream (and 'flow' for the default flow training). Default:
   * `samplerStreams(rng, [...names, 'flow'])`.
   */
  streams?: (name: string) => Rng;
  /** How the comparison reads the target; default for a bare energy: x₁ with ΔF at x₁ = 0, chains from N(0, 1.5²). */
  target?: Partial<SamplerTarget>;
  /**
   * The trained flow of the flow-based samplers, built on first use. Default: a Boltzmann generator
   * (`trainBoltzmannGenerator`, KL + ML on a large-step random walk) with `flowOptions`, on the 'flow' stream.
   */
  flow?: () => Promise<FlowSetup>;
  flowOptions?: Partial<BgOptions>;
  progress?: Progress;
}

/**
 * Named child streams of `rng`, so that adding or removing a sampler does not change the others' numbers: `layout[i]`
 * gets child i (experiments fix their layout, including streams for what they train themselves, e.g. 'flow'); a
 * registered recipe missing from the layout gets child `layout.length + its registry index`. Children depend only on
 * their index (core's `split`), so extending the registry or a layout at its end changes no existing stream.
 * Consumes `rng`: do not draw from it afterwards.
 */
export function samplerStreams(rng: Rng, layout: readonly string[]): (name: string) => Rng {
  const names = recipeNames();
  const children = rng.split(layout.length + names.length);
  return (name) => {
    const i = layout.indexOf(name);
    if (i >= 0) return children[i];
    const r = names.indexOf(name);
    if (r < 0)
      throw new BoltzflowError('INVALID_CONFIG', `No random stream named '${name}'`, {
        argument: 'streams',
        expected: `one of ${[...layout, ...names].join(', ')}`,
        received: JSON.stringify(name),
      });
    return children[layout.length + r];
  };
}

/** The budget with its defaults filled in. */
export function samplerBudget(b: number | SamplerBudget): SamplerBudget {
  const full = typeof b === 'number' ? { evaluations: b, chains: 64, warmup: Math.max(50, Math.round(b / 64 / 10)) } : b;
  for (const [k, v] of Object.entries(full)) {
    if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1)) {
      throw new BoltzflowError('INVALID_CONFIG', `Invalid sampler budget`, {
        argument: `budget.${k}`,
        expected: k === 'warmup' ? 'an integer ≥ 0' : 'an integer ≥ 1',
        received: String(v),
      });
    }
  }
  return full;
}

/** The 'flow' stream (continued after training) for the flow's mode check; a fixed stream when the layout has none. */
function flowStream(streams: (name: string) => Rng): Rng {
  try {
    return streams('flow');
  } catch {
    return createRng(0x6d6f6465);
  }
}

function defaultTarget(energy: Energy, t: Partial<SamplerTarget> = {}): SamplerTarget {
  return {
    energy,
    spec: t.spec ?? { index: 0, name: 'x₁', threshold: 0, deadZone: 1, profileEdges: linspace(-3, 3, 45) },
    plot: t.plot ?? { samplesPerSampler: 1000, tracePoints: 1500, acfLags: 200 },
    start: t.start ?? ((n, rng) => tf.tidy(() => tf.mul(rng.normal([n, energy.dim]), 1.5) as tf.Tensor2D)),
    ...(t.overdispersedStart ? { overdispersedStart: t.overdispersedStart } : {}),
    ...(t.project ? { project: t.project } : {}),
    ...(t.referenceLogZ !== undefined ? { referenceLogZ: t.referenceLogZ } : {}),
    ...(t.flow ? { flow: t.flow } : {}),
    ...(t.block ? { block: t.block } : {}),
  };
}

function parseParams(
  name: string,
  schema: { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } } },
  params: unknown,
): unknown {
  const r = schema.safeParse(params ?? {});
  if (!r.success) {
    const issues = r.error!.issues.map((i) => `'${[name, ...i.path.map(String)].join('.')}': ${i.message}`).join('; ');
    throw new BoltzflowError('INVALID_CONFIG', `Invalid parameters of sampler '${name}': ${issues}`, { argument: `samplers.${name}` });
  }
  return r.data;
}

/**
 * Runs samplers on one energy at the same budget of energy evaluations and returns one outcome per sampler, in the
 * order given: the results row (ESS, IACT, transitions, ΔF, with sampling and setup evaluations and wall time), the
 * figure data and the raw draws. Flow-based samplers share one flow, trained once before the first of them; its cost
 * is every flow-based row's setup. Usable without the app:
 * `await compareSamplers(energy, ['rwm', 'flow-imh'], { budget: 24_000, seed: 1 })`.
 */
export async function compareSamplers(energy: Energy, samplers: readonly SamplerSpec[], options: CompareOptions): Promise<SamplerOutcome[]> {
  const specs = samplers.map((s) => (typeof s === 'string' ? { name: s, params: undefined } : s));
  const recipes = specs.map((s) => ({ recipe: getRecipe(s.name), params: parseParams(s.name, getRecipe(s.name).schema, s.params) }));
  const budget = samplerBudget(options.budget);
  const target = defaultTarget(energy, options.target);
  const progress = options.progress ?? silentProgress;
  const streams = options.streams ?? samplerStreams(options.rng ?? createRng(options.seed ?? 0), [...specs.map((x) => x.name), 'flow']);
  const makeFlow =
    options.flow ??
    (async (): Promise<FlowSetup> => {
      const o: BgOptions = {
        layers: 4,
        hidden: 32,
        steps: 600,
        batchSize: 256,
        learningRate: 1e-3,
        klWeight: 1,
        mlWeight: 1,
        dataChains: budget.chains,
        dataStepSize: 2.5,
        dataSamples: 4096,
        ...options.flowOptions,
      };
      const bg = await trainBoltzmannGenerator(energy, o, streams('flow'), progress, target.spec.index, target.spec.threshold, target.spec.name);
      return { flow: bg.flow, couplings: bg.couplings, data: bg.data, setupEnergyEvaluations: bg.training.energyEvaluations, dispose: bg.dispose };
    });
  let flow: FlowSetup | undefined;
  let flowSeconds = 0;
  const getFlow = async (): Promise<FlowSetup> => {
    if (!flow) {
      const t = performance.now();
      flow = await makeFlow();
      flowSeconds = flow.setupWallSeconds ?? (performance.now() - t) / 1000;
    }
    return flow;
  };
  let flowModes: ModeFraction | undefined;
  const flowRows: SamplerOutcome['result'][] = [];
  const ownFlowRows: { row: SamplerOutcome['result']; modes: ModeFraction }[] = [];
  const outcomes: SamplerOutcome[] = [];
  try {
    for (const { recipe, params } of recipes) {
      // The flow is trained before the sampler's clock starts: its time and evaluations are setup, counted below.
      const flowSetup = recipe.needsFlow ? (await getFlow()).setupEnergyEvaluations : 0;
      progress.sampler?.(recipe.name, { spec: target.spec, plot: target.plot, evaluations: budget.evaluations, chains: budget.chains });
      const t0 = performance.now();
      const run = await recipe.run(target, budget, streams(recipe.name), {
        params,
        progress,
        flow: () => {
          if (!recipe.needsFlow) throw new BoltzflowError('INVALID_CONFIG', `Sampler '${recipe.name}' asked for a flow without declaring needsFlow`);
          return getFlow();
        },
      });
      const projected = target.project ? target.project(run.draws) : run.draws;
      const common = {
        sampler: recipe.name,
        description: run.description ?? recipe.description,
        energyEvaluations: run.energyEvaluations,
        setupEnergyEvaluations: flowSetup + run.setupEnergyEvaluations,
        wallSeconds: (performance.now() - t0) / 1000,
        ...(recipe.needsFlow ? { setupWallSeconds: flowSeconds, trainingData: flow!.trainingData ?? ('mcmc' as const) } : {}),
        acceptanceRate: run.acceptanceRate,
        ...(run.settings ? { settings: run.settings } : {}),
        ...(run.notes ? { notes: run.notes } : {}),
        spec: target.spec,
        plot: target.plot,
      };
      let outcome: SamplerOutcome;
      if (run.kind === 'weighted') {
        if (!run.logWeights) throw new BoltzflowError('INVALID_VALUE', `Sampler '${recipe.name}' returned weighted samples without log-weights`);
        outcome = importanceOutcome({ ...common, x: projected, logWeights: run.logWeights });
      } else outcome = mcmcOutcome({ ...common, draws: projected });
      if (run.metrics) outcome.result.metrics = { ...outcome.result.metrics, ...run.metrics };
      // Chains move in whole steps: a budget below ~50 steps per chain cannot be met closer than a step of all chains.
      if (Math.abs(run.energyEvaluations - budget.evaluations) > Math.max(BUDGET_TOLERANCE * budget.evaluations, 2 * budget.chains)) {
        addFlag(outcome.result, 'off-budget');
        (outcome.result.notes ??= []).push(
          `Off budget: ${run.energyEvaluations} sampling evaluations against the equal budget of ${budget.evaluations} (compare its ESS per evaluation, not its ESS).`,
        );
      }
      // The flow's own samples (unweighted proposals) are free here; otherwise the flow is sampled once below.
      if (recipe.needsFlow && run.kind === 'weighted' && flowModes === undefined) flowModes = modeFraction(projected, target.spec);
      if (recipe.needsFlow) flowRows.push(outcome.result);
      else if (run.flowModes) ownFlowRows.push({ row: outcome.result, modes: run.flowModes });
      outcomes.push({ ...outcome, draws: run.draws, ...(run.logWeights ? { logWeights: run.logWeights } : {}) });
    }
    if (flow && flowModes === undefined) flowModes = await flowModeFraction(flow.flow, target, flowStream(streams));
  } finally {
    flow?.dispose();
  }
  if (flowModes)
    checkModeCoverage(
      flowRows,
      flowModes,
      outcomes.map((o) => o.result),
      target.spec,
    );
  for (const { row, modes } of ownFlowRows)
    checkModeCoverage(
      [row],
      modes,
      outcomes.map((o) => o.result),
      target.spec,
    );
  return outcomes;
}
