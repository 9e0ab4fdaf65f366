import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Energy } from '@boltzflow/core';
import {
  collectArtifacts,
  compareSamplers,
  getRecipe,
  recipeNames,
  replicaExchangeRecipe,
  reverseKLWarnings,
  round,
  samplerStreams,
  snfRecipe,
  trainBoltzmannGenerator,
  type CoordinateSpec,
} from '@boltzflow/samplers';
import type { Artifacts } from '../results.js';
import type { ExperimentContext, ExperimentOutput } from './types.js';
import { energyGrid } from './common.js';
import { componentPopulations, type MixtureComponents } from './mixtureComponents.js';

const positiveInt = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

/** The 2D comparisons' default rows (before the energy-only recipes existed, every recipe was a default). */
export const DEFAULT_2D_SAMPLERS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange', 'flow-is', 'latent-metropolis', 'flow-imh', 'snf'] as const;

/**
 * The energy-only flow-assisted rows (issue #15): each trains its own flow from the energy alone, and every evaluation of
 * that training is counted as the row's setup, so their total cost is comparable with plain MCMC's.
 */
export const ENERGY_ONLY_SAMPLERS = ['flowmc', 'bg-loop', 'fab-is', 'fab-imh'] as const;

/** gmm-40 adds the temperature-annealed row (ta-is) to {@link ENERGY_ONLY_SAMPLERS}. */
export const GMM_ENERGY_ONLY_SAMPLERS = [...ENERGY_ONLY_SAMPLERS, 'ta-is'] as const;

/** `--quick` overrides shared by the 2D comparisons. */
export const QUICK_2D_PARAMS = {
  budget: 24_000,
  chains: 16,
  training: { steps: 80, batchSize: 128 },
  flow: { dataSamples: 2048 },
  // the SNF's end-to-end training (path KL + ML, 20 Metropolis steps × 3 blocks per path) is the slow part of a quick run
  snf: { trainSteps: 60 },
  plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 },
};

/** The smoke test's overrides shared by the 2D comparisons: the smallest run that still goes through every row. */
export const TINY_2D_PARAMS = {
  budget: 1_000,
  chains: 4,
  rwm: { scan: [0.5, 1] },
  flow: { layers: 2, hidden: 4, dataSamples: 64 },
  training: { steps: 3, batchSize: 16 },
  snf: { metropolisSteps: 2, trainSteps: 2, trainBatchSize: 8 },
  plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
};

/**
 * {@link QUICK_2D_PARAMS} for a comparison whose defaults include the energy-only rows. FAB's AIS costs ~4 s per step on
 * 2 cores (wasm): quick runs keep the adaptive-loop rows and leave fab-is/fab-imh to full runs (and the smoke run).
 */
export const QUICK_2D_ENERGY_ONLY_PARAMS = {
  ...QUICK_2D_PARAMS,
  samplers: [...DEFAULT_2D_SAMPLERS, 'flowmc', 'bg-loop'],
  globalLocal: { trainingLoops: 4, trainStepsPerLoop: 50 },
};

/** {@link TINY_2D_PARAMS} with every energy-only row, each at its smallest. */
export const TINY_2D_ENERGY_ONLY_PARAMS = {
  ...TINY_2D_PARAMS,
  samplers: [...DEFAULT_2D_SAMPLERS, ...ENERGY_ONLY_SAMPLERS],
  fab: { trainSteps: 4, batchSize: 16, intermediateDistributions: 2, leapfrogSteps: 2, layers: 2, hidden: 4 },
  globalLocal: { localSteps: 5, globalSteps: 2, trainingLoops: 2, trainStepsPerLoop: 2, layers: 2, hidden: 4 },
};

/**
 * The sampler settings shared by the 2D comparison experiments (each experiment adds its own `energy` section).
 * `defaultSamplers` are the rows run when the config names none (double-well and gmm-40 add {@link ENERGY_ONLY_SAMPLERS}).
 */
export function comparisonFields(defaultSamplers: readonly string[] = DEFAULT_2D_SAMPLERS) {
  return {
    /** Energy evaluations per sampler (all chains together): the equal budget of the comparison. */
    budget: positiveInt(1_000, 100_000_000, 192_000),
    chains: positiveInt(1, 1024, 64),
    /**
     * Default: plain MCMC and the flow-assisted samplers that share one trained flow. Any registered recipe may be
     * listed, e.g. the energy-only 'flowmc', 'bg-loop', 'fab-is', 'fab-imh' (each trains its own flow, counted as setup).
     */
    samplers: z
      .array(z.enum(recipeNames() as [string, ...string[]]))
      .min(1)
      .default([...defaultSamplers]),
    rwm: z
      .object({
        targetAcceptance: z.number().gt(0).lt(1).default(0.3),
        scan: z.array(z.number().positive()).min(1).max(32).default([0.1, 0.25, 0.5, 1, 1.5, 2, 3]),
      })
      .strict()
      .prefault({}),
    mala: z
      .object({ targetAcceptance: z.number().gt(0).lt(1).default(0.57) })
      .strict()
      .prefault({}),
    replicaExchange: replicaExchangeRecipe.schema.prefault({}),
    flow: z
      .object({
        layers: positiveInt(2, 16, 4),
        hidden: positiveInt(4, 256, 32),
        /** Samples for the maximum-likelihood term, from a large-step random walk (cost counted as training). */
        dataSamples: positiveInt(64, 200_000, 4096),
        dataStepSize: z.number().positive().default(2.5),
      })
      .strict()
      .prefault({}),
    training: z
      .object({
        steps: positiveInt(1, 100_000, 600),
        batchSize: positiveInt(8, 8192, 256),
        learningRate: z.number().positive().max(1).default(1e-3),
        klWeight: z.number().min(0).default(1),
        mlWeight: z.number().min(0).default(1),
      })
      .strict()
      .prefault({}),
    flowMcmc: z
      .object({
        /** Probability of a flow (independence / latent) move in the mixture; the rest are local moves. */
        flowProbability: z.number().min(0).max(1).default(0.5),
        localStepSize: z.number().positive().default(0.5),
      })
      .strict()
      .prefault({}),
    /** The SNF recipe's parameters (blocks, Metropolis steps and size, optional path-KL fine-tuning). */
    snf: snfRecipe.schema.prefault({}),
    /** The fab-is and fab-imh recipes' FAB training (AIS, replay, flow size); fab-imh adds its own local-move settings. */
    fab: getRecipe('fab-imh').schema.prefault({}),
    /** The ta-is recipe's temperature-annealed training (TA-BG: reverse KL at T₀, then reweighting down to T = 1; flow size). */
    ta: getRecipe('ta-is').schema.prefault({}),
    /** The flowmc and bg-loop recipes' adaptive loop (local kernel, loops, flow size). */
    globalLocal: getRecipe('flowmc').schema.prefault({}),
    plot: z
      .object({ samplesPerSampler: positiveInt(10, 20_000, 1000), tracePoints: positiveInt(10, 20_000, 1500), acfLags: positiveInt(5, 5_000, 200) })
      .strict()
      .prefault({}),
  };
}

export type ComparisonParams = z.infer<z.ZodObject<ReturnType<typeof comparisonFields>>>;

/** What an experiment supplies besides the energy: the coordinate, the exact reference, plot ranges and where chains start. */
export interface ComparisonSetup {
  spec: CoordinateSpec;
  reference: ExperimentOutput['reference'];
  exactProfile?: { x: number[]; f: number[] };
  exactModeFractions?: Record<string, number>;
  /** The target's number of basins where known (double well 2, gmm-40 its modes): feeds the reverse-KL warning. */
  basins?: number;
  /** Range of the contour plot of u over (x₁, x₂); omit for dim > 2 (no contours). */
  gridX?: [number, number];
  gridY?: [number, number];
  /** Chains start at N(center, scale²) per coordinate: overdispersed, covering the metastable states. */
  start: { center: number[]; scale: number };
  /** A Gaussian mixture's components: each row then reports how many modes it found and their populations. */
  components?: MixtureComponents;
}

/**
 * The comparisons' random-stream layout: sampler i of this list gets child stream i, the flow training child 8;
 * fixed so that results stay reproducible when recipes are added (those get streams after these, see samplerStreams).
 */
const STREAMS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange', 'flow-is', 'latent-metropolis', 'flow-imh', 'snf', 'flow'];

/** Each recipe's parameters, read from the config sections (the config keeps its shape; a recipe not named here runs with its defaults). */
function recipeParams(p: ComparisonParams): Record<string, unknown> {
  return {
    rwm: { targetAcceptance: p.rwm.targetAcceptance, initialStepSize: 0.5 },
    'rwm-scan': { scan: p.rwm.scan },
    mala: { targetAcceptance: p.mala.targetAcceptance, initialStepSize: 0.5 },
    'replica-exchange': p.replicaExchange,
    'latent-metropolis': { targetAcceptance: p.rwm.targetAcceptance, initialStepSize: 0.5 },
    'flow-imh': { flowProbability: p.flowMcmc.flowProbability, localStepSize: p.flowMcmc.localStepSize, burnIn: true },
    snf: p.snf,
    flowmc: p.globalLocal,
    'bg-loop': p.globalLocal,
    'fab-is': (({ flowProbability: _p, localStepSize: _s, kernelChoice: _k, ...fab }) => fab)(p.fab as Record<string, unknown>),
    'fab-imh': p.fab,
    'ta-is': p.ta,
  };
}

/**
 * Runs every requested sampler on a 2D energy at the same energy-evaluation budget (MCMC baselines, replica exchange,
 * then a KL+ML-trained Boltzmann generator and the flow-assisted samplers built on it) and collects metrics and plot data.
 */
export async function runComparison2D(energy: Energy, params: ComparisonParams, ctx: ExperimentContext, cfg: ComparisonSetup): Promise<ExperimentOutput> {
  const spec = cfg.spec;
  const artifacts: Artifacts = {
    ...(cfg.gridX && cfg.gridY && energy.dim === 2 ? { energyGrid: await energyGrid(energy, cfg.gridX, cfg.gridY, 61) } : {}),
    profiles: {
      coordinate: spec.name,
      ...(cfg.exactProfile ? { exact: { x: cfg.exactProfile.x.map((v) => round(v, 6)), f: cfg.exactProfile.f.map((v) => round(v, 6)) } } : {}),
      samplers: [],
    },
  };
  const { budget, chains } = params;
  const streams = samplerStreams(ctx.rng, STREAMS);
  const perRecipe = recipeParams(params);
  let training: ExperimentOutput['training'];
  const outcomes = await compareSamplers(
    energy,
    [...new Set(params.samplers)].map((name) => ({ name, params: perRecipe[name] })),
    {
      budget: { evaluations: budget, chains, warmup: Math.max(50, Math.round(budget / chains / 10)) },
      streams,
      target: {
        spec,
        plot: params.plot,
        // Overdispersed starts covering the metastable states.
        start: (n, rng) => tf.tidy(() => tf.add(tf.mul(rng.normal([n, energy.dim]), cfg.start.scale), tf.tensor1d(cfg.start.center)) as tf.Tensor2D),
      },
      progress: ctx.progress,
      flow: async () => {
        const f = params.flow;
        const t = params.training;
        const bg = await trainBoltzmannGenerator(
          energy,
          { ...t, layers: f.layers, hidden: f.hidden, dataChains: chains, dataStepSize: f.dataStepSize, dataSamples: f.dataSamples },
          streams('flow'),
          ctx.progress,
          spec.index,
          spec.threshold,
          spec.name,
        );
        const warnings = reverseKLWarnings({
          klWeight: t.klWeight,
          mlWeight: t.mlWeight,
          ...(cfg.basins !== undefined ? { basins: cfg.basins } : {}),
          essFraction: bg.training.essFraction,
          ...(spec.referenceDeltaF !== undefined
            ? { flowModeFraction: Object.values(bg.training.modeFractions ?? {})[0], referenceModeFraction: 1 / (1 + Math.exp(spec.referenceDeltaF)) }
            : {}),
        });
        training = {
          ...bg.training,
          modeFractions: { ...bg.training.modeFractions, ...(cfg.exactModeFractions ?? {}) },
          ...(warnings.length > 0 ? { warnings } : {}),
        };
        for (const w of warnings) ctx.progress.log(`  warning: ${w}`);
        artifacts.training = bg.curve;
        ctx.progress.log(
          `  flow: final loss ${bg.training.finalLoss?.toFixed(3)}, ESS/N ${bg.training.essFraction?.toFixed(3)}, modes ${JSON.stringify(training.modeFractions)}`,
        );
        return { flow: bg.flow, couplings: bg.couplings, data: bg.data, setupEnergyEvaluations: bg.training.energyEvaluations, dispose: bg.dispose };
      },
    },
  );
  const populations: Record<string, number[]> = {};
  for (const o of outcomes) {
    collectArtifacts(artifacts, o);
    const d = o.result.deltaF;
    let modes = '';
    if (cfg.components && o.draws) {
      const pops = componentPopulations(o.draws, cfg.components, o.logWeights);
      o.result.metrics = {
        ...o.result.metrics,
        modesFound: pops.found,
        modesWithin30Percent: pops.within30Percent,
        modeWeightMaxRelativeError: round(pops.maxRelativeError, 4),
      };
      populations[o.result.sampler] = pops.p.map((v) => round(v, 5));
      modes = `, modes found ${pops.found}/${pops.p.length} (within ±30 %: ${pops.within30Percent}, max relative error ${pops.maxRelativeError.toFixed(2)})`;
    }
    ctx.progress.log(
      `  ${o.result.sampler}: ESS ${o.result.ess.toFixed(1)}${o.result.transitions !== null ? `, transitions ${o.result.transitions}` : ''}, ΔF ${d ? `${d.estimate.toFixed(3)} ± ${d.stderr.toFixed(3)}` : 'n/a'}${modes}`,
    );
  }
  if (cfg.components) artifacts.extra = { ...artifacts.extra, componentPopulations: populations };
  return {
    reference: cfg.reference,
    samplers: outcomes.map((o) => o.result),
    skipped: [],
    ...(training ? { training } : {}),
    artifacts,
  };
}
