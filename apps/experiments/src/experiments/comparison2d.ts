import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { disposeTree, type Energy, type Rng } from '@boltzflow/core';
import { flowIndependenceProposal, latentMetropolis, mala, mixtureKernel, randomWalkMetropolis, replicaExchangeKernel } from '@boltzflow/mcmc';
import { trainBoltzmannGenerator } from './boltzmannGenerator.js';
import { flowImportanceSampler, localSampler, snfSampler, type StepSizeKernelFactory } from './flowSamplers.js';
import type { Artifacts, SamplerResult } from '../results.js';
import type { ExperimentContext, ExperimentOutput } from './types.js';
import { energyGrid, linspace, round } from './common.js';
import { collectArtifacts, mcmcOutcome, type CoordinateSpec, type SamplerOutcome } from './samplerMetrics.js';
import { runToBudget } from './runToBudget.js';

export const COMPARISON_SAMPLERS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange', 'flow-is', 'latent-metropolis', 'flow-imh', 'snf'] as const;
const FLOW_SAMPLERS: readonly ComparisonSampler[] = ['flow-is', 'latent-metropolis', 'flow-imh', 'snf'];
export type ComparisonSampler = (typeof COMPARISON_SAMPLERS)[number];

const positiveInt = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

/** The sampler settings shared by the 2D comparison experiments (each experiment adds its own `energy` section). */
export function comparisonFields() {
  return {
      /** Energy evaluations per sampler (all chains together): the equal budget of the comparison. */
      budget: positiveInt(1_000, 100_000_000, 192_000),
      chains: positiveInt(1, 1024, 64),
      samplers: z.array(z.enum(COMPARISON_SAMPLERS)).min(1).default([...COMPARISON_SAMPLERS]),
      rwm: z
        .object({
          targetAcceptance: z.number().gt(0).lt(1).default(0.3),
          scan: z.array(z.number().positive()).min(1).max(32).default([0.1, 0.25, 0.5, 1, 1.5, 2, 3]),
        })
        .strict()
        .prefault({}),
      mala: z.object({ targetAcceptance: z.number().gt(0).lt(1).default(0.57) }).strict().prefault({}),
      replicaExchange: z
        .object({ temperatures: z.array(z.number().min(1)).min(2).max(16).default([1, 2.2, 4.8, 10.5]), stepSize: z.number().positive().default(0.5) })
        .strict()
        .prefault({}),
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
      snf: z
        .object({
          /**
         * Metropolis blocks interleaved with the coupling layers, λ linear up to 1 after the last coupling. Default 1: all
         * couplings, then Metropolis on the target; more blocks put intermediate u_λ between couplings, which only pays
         * off with end-to-end training (`trainSteps`).
         */
          blocks: positiveInt(1, 16, 1),
          metropolisSteps: positiveInt(1, 200, 20),
          stepSize: z.number().positive().default(0.25),
          /** End-to-end fine-tuning of the couplings on the SNF path KL (0 = none); its cost counts as setup. */
          trainSteps: positiveInt(0, 10_000, 0),
          trainBatchSize: positiveInt(8, 4096, 64),
          learningRate: z.number().positive().max(1).default(5e-4),
        })
        .strict()
        .prefault({}),
      plot: z
        .object({ samplesPerSampler: positiveInt(10, 20_000, 1000), tracePoints: positiveInt(10, 20_000, 1500), acfLags: positiveInt(5, 5_000, 200) })
        .strict()
        .prefault({}),
  };
}

export interface ComparisonParams {
  budget: number;
  chains: number;
  samplers: ComparisonSampler[];
  rwm: { targetAcceptance: number; scan: number[] };
  mala: { targetAcceptance: number };
  replicaExchange: { temperatures: number[]; stepSize: number };
  flow: { layers: number; hidden: number; dataSamples: number; dataStepSize: number };
  training: { steps: number; batchSize: number; learningRate: number; klWeight: number; mlWeight: number };
  flowMcmc: { flowProbability: number; localStepSize: number };
  snf: { blocks: number; metropolisSteps: number; stepSize: number; trainSteps: number; trainBatchSize: number; learningRate: number };
  plot: { samplesPerSampler: number; tracePoints: number; acfLags: number };
}

/** What an experiment supplies besides the energy: the coordinate, the exact reference, plot ranges and where chains start. */
export interface ComparisonSetup {
  spec: CoordinateSpec;
  reference: ExperimentOutput['reference'];
  exactProfile?: { x: number[]; f: number[] };
  exactModeFractions?: Record<string, number>;
  /** Range of the contour plot of u over (x₁, x₂); omit for dim > 2 (no contours). */
  gridX?: [number, number];
  gridY?: [number, number];
  /** Chains start at N(center, scale²) per coordinate: overdispersed, covering the metastable states. */
  start: { center: number[]; scale: number };
}

const DESCRIPTIONS: Record<ComparisonSampler, string> = {
  rwm: 'random-walk Metropolis, step size adapted by dual averaging to the target acceptance',
  'rwm-scan': 'random-walk Metropolis with the step size that had the best ESS per evaluation in a pilot scan',
  mala: 'Metropolis-adjusted Langevin, step size adapted by dual averaging',
  'replica-exchange': 'replica exchange (parallel tempering) over a temperature ladder, statistics at T = 1',
  'flow-is': 'the trained Boltzmann generator alone: independent flow samples reweighted by exp(−u − log q)',
  'latent-metropolis': 'random-walk Metropolis in the latent space of the trained flow',
  'flow-imh': 'independence Metropolis–Hastings with the trained flow as proposal, mixed with local random-walk moves',
  snf: 'stochastic normalizing flow: the trained flow with Metropolis blocks between its layers, importance weighted',
};


/**
 * Runs every requested sampler on a 2D energy at the same energy-evaluation budget (MCMC baselines, replica exchange,
 * then a KL+ML-trained Boltzmann generator and the flow-assisted samplers built on it) and collects metrics and plot data.
 */
export async function runComparison2D(energy: Energy, params: ComparisonParams, ctx: ExperimentContext, cfg: ComparisonSetup): Promise<ExperimentOutput> {
  const spec = cfg.spec;
  const samplers: SamplerResult[] = [];
  const skipped: ExperimentOutput['skipped'] = [];
  const artifacts: Artifacts = {
    ...(cfg.gridX && cfg.gridY && energy.dim === 2 ? { energyGrid: energyGrid(energy, cfg.gridX, cfg.gridY, 61) } : {}),
    profiles: { coordinate: spec.name, ...(cfg.exactProfile ? { exact: { x: cfg.exactProfile.x.map((v) => round(v, 6)), f: cfg.exactProfile.f.map((v) => round(v, 6)) } } : {}), samplers: [] },
  };
  const startingPoints = (n: number, rng: Rng): tf.Tensor2D =>
    tf.tidy(() => tf.add(tf.mul(rng.normal([n, energy.dim]), cfg.start.scale), tf.tensor1d(cfg.start.center)) as tf.Tensor2D);
  const { budget, chains } = params;
  const warmup = Math.max(50, Math.round(budget / chains / 10));
  const record = (o: SamplerOutcome): void => {
    samplers.push(o.result);
    collectArtifacts(artifacts, o);
    const d = o.result.deltaF;
    ctx.progress.log(`  ${o.result.sampler}: ESS ${o.result.ess.toFixed(1)}${o.result.transitions !== null ? `, transitions ${o.result.transitions}` : ''}, ΔF ${d ? `${d.estimate.toFixed(3)} ± ${d.stderr.toFixed(3)}` : 'n/a'}`);
  };
  // Each sampler gets its own child stream so that adding or removing one does not change the others' numbers.
  const children = ctx.rng.split(COMPARISON_SAMPLERS.length + 1);
  const streams = new Map(COMPARISON_SAMPLERS.map((s, i) => [s, children[i]] as const));
  const want = new Set(params.samplers);

  /** A kernel with its step size adapted by dual averaging during warm-up, then run at the budget. */
  const local = (name: ComparisonSampler, factory: StepSizeKernelFactory, target: number, setupBefore = 0): void => {
    const rng = streams.get(name)!;
    const x0 = startingPoints(chains, rng);
    const run = localSampler(name, energy, x0, { budget, warmup, targetAcceptance: target, initialStepSize: 0.5, description: DESCRIPTIONS[name], spec, plot: params.plot, factory, setupBefore }, rng, ctx);
    x0.dispose();
    record(run.outcome);
  };

  if (want.has('rwm')) local('rwm', randomWalkMetropolis, params.rwm.targetAcceptance);
  if (want.has('mala')) local('mala', mala, params.mala.targetAcceptance);
  if (want.has('rwm-scan')) {
    const rng = streams.get('rwm-scan')!;
    const t0 = performance.now();
    const scanBudget = Math.max(chains * 50, Math.round(budget / 5 / params.rwm.scan.length));
    let best: { step: number; score: number } | undefined;
    let setup = 0;
    const bar = ctx.progress.bar('step-size scan rwm', params.rwm.scan.length);
    params.rwm.scan.forEach((step, i) => {
      const x0 = startingPoints(chains, rng);
      const pilot = runToBudget(randomWalkMetropolis(energy, { stepSize: step }), x0, scanBudget, rng);
      x0.dispose();
      disposeTree(pilot.finalState);
      setup += pilot.energyEvaluations;
      const o = mcmcOutcome({ sampler: 'pilot', description: '', draws: pilot.draws, energyEvaluations: pilot.energyEvaluations, wallSeconds: pilot.wallSeconds, acceptanceRate: pilot.acceptanceRate, spec, plot: params.plot });
      const score = o.result.essPerEnergyEvaluation;
      if (!best || score > best.score) best = { step, score };
      bar.update(i + 1, { step, 'ESS/eval': score });
    });
    bar.stop();
    const x0 = startingPoints(chains, rng);
    const sbar = ctx.progress.bar('sampling rwm-scan', budget);
    const run = runToBudget(randomWalkMetropolis(energy, { stepSize: best!.step }), x0, budget, rng, sbar, warmup);
    sbar.stop();
    x0.dispose();
    disposeTree(run.finalState);
    record(
      mcmcOutcome({
        sampler: 'rwm-scan',
        description: DESCRIPTIONS['rwm-scan'],
        draws: run.draws,
        energyEvaluations: run.energyEvaluations,
        setupEnergyEvaluations: setup + run.burnInEnergyEvaluations,
        wallSeconds: (performance.now() - t0) / 1000,
        acceptanceRate: run.acceptanceRate,
        settings: { stepSize: best!.step, burnInSteps: warmup, scanned: params.rwm.scan.join(', '), pilotEvaluationsEach: scanBudget, chains },
        spec,
        plot: params.plot,
      }),
    );
  }
  if (want.has('replica-exchange')) {
    const rng = streams.get('replica-exchange')!;
    const t0 = performance.now();
    const { temperatures, stepSize } = params.replicaExchange;
    // Random-walk step grows with √T so that every rung keeps a similar acceptance.
    const kernel = replicaExchangeKernel(energy, { temperatures, kernel: (uT, T) => randomWalkMetropolis(uT, { stepSize: stepSize * Math.sqrt(T) }) });
    const x0 = startingPoints(chains, rng);
    const bar = ctx.progress.bar('sampling replica-exchange', budget);
    const run = runToBudget(kernel, x0, budget, rng, bar, Math.max(10, Math.round(warmup / temperatures.length)));
    bar.stop();
    x0.dispose();
    const st = run.finalState;
    const swap = st.swapAttempts.map((a, i) => (a > 0 ? round(st.swapAccepted[i] / a, 4) : 0));
    disposeTree(st);
    record(
      mcmcOutcome({
        sampler: 'replica-exchange',
        description: DESCRIPTIONS['replica-exchange'],
        draws: run.draws,
        energyEvaluations: run.energyEvaluations,
        setupEnergyEvaluations: run.burnInEnergyEvaluations,
        wallSeconds: (performance.now() - t0) / 1000,
        acceptanceRate: run.acceptanceRate,
        settings: { temperatures: temperatures.join(', '), stepSizeAtT1: stepSize, swapAcceptance: swap.join(', '), chains },
        notes: ['Energy evaluations count every replica; ESS, transitions and ΔF use the T = 1 replica only.'],
        spec,
        plot: params.plot,
      }),
    );
  }
  let training: ExperimentOutput['training'];
  if (FLOW_SAMPLERS.some((s) => want.has(s))) {
    const bg = await trainBoltzmannGenerator(
      energy,
      {
        layers: params.flow.layers,
        hidden: params.flow.hidden,
        steps: params.training.steps,
        batchSize: params.training.batchSize,
        learningRate: params.training.learningRate,
        klWeight: params.training.klWeight,
        mlWeight: params.training.mlWeight,
        dataChains: chains,
        dataStepSize: params.flow.dataStepSize,
        dataSamples: params.flow.dataSamples,
      },
      children[COMPARISON_SAMPLERS.length],
      ctx.progress,
      spec.index,
      spec.threshold,
      spec.name,
    );
    training = { ...bg.training, modeFractions: { ...bg.training.modeFractions, ...(cfg.exactModeFractions ?? {}) } };
    artifacts.training = bg.curve;
    ctx.progress.log(`  flow: final loss ${bg.training.finalLoss?.toFixed(3)}, ESS/N ${bg.training.essFraction?.toFixed(3)}, modes ${JSON.stringify(training.modeFractions)}`);
    const setup = bg.training.energyEvaluations;
    try {
      if (want.has('flow-is')) {
        record(flowImportanceSampler(bg.flow, energy, budget, streams.get('flow-is')!, { setup, spec, plot: params.plot, description: DESCRIPTIONS['flow-is'], progress: ctx.progress }));
      }
      if (want.has('latent-metropolis')) {
        // The step size lives in latent space; the factory ignores the data-space target adaptStepSize passes.
        const latent = (_t: Energy, o: { stepSize: number }) => latentMetropolis(bg.flow, energy, (lt) => randomWalkMetropolis(lt, { stepSize: o.stepSize }));
        local('latent-metropolis', latent, params.rwm.targetAcceptance, setup);
      }
      if (want.has('flow-imh')) {
        const rng = streams.get('flow-imh')!;
        const t0 = performance.now();
        const p = params.flowMcmc.flowProbability;
        const kernel = mixtureKernel([flowIndependenceProposal(bg.flow, energy), randomWalkMetropolis(energy, { stepSize: params.flowMcmc.localStepSize })], [p, 1 - p]);
        const x0 = startingPoints(chains, rng);
        const bar = ctx.progress.bar('sampling flow-imh', budget);
        const run = runToBudget(kernel, x0, budget, rng, bar, warmup);
        bar.stop();
        x0.dispose();
        disposeTree(run.finalState);
        record(mcmcOutcome({ sampler: 'flow-imh', description: DESCRIPTIONS['flow-imh'], draws: run.draws, energyEvaluations: run.energyEvaluations, setupEnergyEvaluations: setup + run.burnInEnergyEvaluations, wallSeconds: (performance.now() - t0) / 1000, acceptanceRate: run.acceptanceRate, settings: { burnInSteps: warmup, flowProbability: p, localStepSize: params.flowMcmc.localStepSize, chains }, notes: ['Acceptance is averaged over flow and local moves.'], spec, plot: params.plot }));
      }
      // Last: it fine-tunes the shared couplings.
      if (want.has('snf')) record(snfSampler(bg, energy, budget, params.snf, streams.get('snf')!, setup, spec, params.plot, ctx));
    } finally {
      bg.dispose();
    }
  }
  return {
    reference: cfg.reference,
    samplers,
    skipped,
    ...(training ? { training } : {}),
    artifacts,
  };
}
