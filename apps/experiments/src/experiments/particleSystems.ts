import { interatomicDistances } from '@boltzflow/energies';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BoltzflowError, disposeTree, type Energy, type Rng } from '@boltzflow/core';
import { randomWalkMetropolis, sampleChain } from '@boltzflow/mcmc';
import {
  collectArtifacts,
  compareSamplers,
  energiesOf,
  getRecipe,
  heldOutNLL,
  mapDraws,
  trainEquivariantFlow,
  recipeNames,
  round,
  samplerStreams,
  type CoordinateSpec,
  type Draws,
  type SamplerOutcome,
} from '@boltzflow/samplers';
import type { Artifacts, SamplerResult } from '../results.js';
import type { ExperimentContext, ExperimentOutput } from './types.js';
import type { ParticleHistograms } from './particleFigures.js';
import { intParam, plotParams } from './common.js';

/**
 * Shared pieces of the particle-system experiments (dw4, lj13): replica-exchange reference data (bundled in
 * apps/experiments/data/, made by tools/particles in the repository), an E(n)-equivariant continuous flow (EGNN vector
 * field, MeanFreeNormal base) trained by flow matching with equivariant OT alignment (Klein et al. 2023), and the
 * sampler comparison at equal energy evaluations: plain RWM vs flow independence MH mixed with RWM moves, plus flow
 * importance sampling (Kish ESS). The observable is the energy u(x) (ESS, IACT, the energy/mean-distance scatter).
 */

/** Random-stream layout (fixed for reproducibility; see samplerStreams). */
const STREAMS = ['rwm', 'flow-imh', 'flow-is', 'flow', 'start'];

/** Params common to dw4 and lj13; the defaults differ per system (see `particleParams`). */
export function particleParams(d: {
  budget: number;
  chains: number;
  hidden: number;
  layers: number;
  odeSteps: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  localStepSize: number;
  trainSamples: number;
  testSamples: number;
  isSamples?: number;
}) {
  return z
    .object({
      /** Energy evaluations per sampler (all chains together). */
      budget: intParam(100, 100_000_000, d.budget),
      chains: intParam(2, 1024, d.chains),
      samplers: z
        .array(z.enum(recipeNames() as [string, ...string[]]))
        .min(1)
        .default(['rwm', 'flow-imh', 'flow-is']),
      rwmTargetAcceptance: z.number().gt(0).lt(1).default(0.3),
      flow: z
        .object({
          hidden: intParam(2, 512, d.hidden),
          layers: intParam(1, 12, d.layers),
          odeSteps: intParam(1, 200, d.odeSteps),
          coordinateRange: z.number().positive().default(10),
        })
        .strict()
        .prefault({}),
      training: z
        .object({
          /**
           * What the flow trains on. 'bundled': the replica-exchange reference data (oracle rows: its generation cost
           * is not counted). 'rwm-chains': energy only — `samples` rows thinned from random-walk Metropolis chains
           * started at random configurations, every evaluation counted as setup (the held-out reference data is
           * then used only to score: test NLL, histograms).
           */
          data: z.enum(['bundled', 'rwm-chains']).default('bundled'),
          /** The 'rwm-chains' generator: chains, burn-in steps per chain, thinning, and the spread of the random starts. */
          rwm: z
            .object({
              chains: intParam(2, 4096, 64),
              burnIn: intParam(0, 1_000_000, 1000),
              thin: intParam(1, 10_000, 10),
              startScale: z.number().positive().default(2),
            })
            .strict()
            .prefault({}),
          /** Reference samples used for training (the rest, up to testSamples, for the test NLL and histograms). */
          samples: intParam(16, 1_000_000, d.trainSamples),
          steps: intParam(1, 1_000_000, d.steps),
          batchSize: intParam(2, 4096, d.batchSize),
          learningRate: z.number().positive().max(1).default(d.learningRate),
          sigma: z.number().min(0).default(0.01),
          pairing: z.enum(['random', 'ot']).default('random'),
          /**
           * Optional likelihood fine-tuning after flow matching: maximum likelihood on the same data (+ klWeight ×
           * reverse KL, whose batches count as energy evaluations), Hutchinson trace, RK4 with odeSteps steps. Every
           * RK4 stage's tape is kept for the second-order backward pass, so memory grows with batchSize × odeSteps.
           */
          likelihood: z
            .object({
              steps: intParam(0, 1_000_000, 0),
              batchSize: intParam(2, 1024, 16),
              odeSteps: intParam(1, 50, 4),
              learningRate: z.number().positive().max(1).default(2e-4),
              klWeight: z.number().min(0).default(0),
            })
            .strict()
            .prefault({}),
        })
        .strict()
        .prefault({}),
      /** Held-out reference samples for the exact-trace test NLL. */
      testSamples: intParam(10, 100_000, d.testSamples),
      flowMcmc: z
        .object({ flowProbability: z.number().min(0).max(1).default(0.5), localStepSize: z.number().positive().default(d.localStepSize) })
        .strict()
        .prefault({}),
      /**
       * Flow samples for importance sampling (exact-trace log q each); default: the equal budget. Fewer samples make
       * the flow-is row 'off-budget' (flagged in the report).
       */
      isSamples: d.isSamples !== undefined ? intParam(10, 10_000_000, d.isSamples) : z.number().int().min(10).max(10_000_000).optional(),
      plot: plotParams(),
    })
    .strict();
}
export type ParticleParamsT = z.infer<ReturnType<typeof particleParams>>;

export interface ParticleSystem {
  label: string;
  particles: number;
  spatialDim: number;
  energy: Energy;
  /** Bundled reference file name in apps/experiments/data/. */
  dataFile: string;
  /** Upper edge of the pair-distance histogram. */
  maxDistance: number;
  /**
   * Published test NLL in the bgflow convention, whose mean-free normal base has energy ½‖z‖² without its
   * normaliser: adding ((P − 1)·d/2)·log 2π makes it comparable with ours (see `publishedNormalisedNLL`).
   */
  published: { nll: number; source: string };
}

/**
 * The published NLL on our scale. bgflow's `MeanFreeNormalDistribution` (the base of Klein et al.'s and Köhler et
 * al.'s flows) has energy ½‖z‖²/σ² with no normalising constant, so their −log q lacks ((P − 1)·d/2)·log 2π, the
 * log-normaliser of the (P − 1)·d-dimensional standard normal that our `MeanFreeNormal` includes.
 */
export function publishedNormalisedNLL(sys: Pick<ParticleSystem, 'particles' | 'spatialDim' | 'published'>): number {
  return sys.published.nll + (((sys.particles - 1) * sys.spatialDim) / 2) * Math.log(2 * Math.PI);
}

export interface ReferenceData {
  samples: Float32Array;
  n: number;
  sampler: Record<string, unknown>;
}

/** Loads `apps/experiments/data/<file>` (rows [n, particles·spatialDim], centre of mass removed). */
export function loadReference(file: string, dim: number): ReferenceData {
  const url = new URL(`../../data/${file}`, import.meta.url);
  let json: { samples: number[][]; sampler?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new BoltzflowError('IO', `Cannot read the bundled reference data ${url.pathname}: ${(e as Error).message}`);
  }
  const n = json.samples.length;
  const samples = new Float32Array(n * dim);
  json.samples.forEach((r, i) => {
    if (r.length !== dim)
      throw new BoltzflowError('INVALID_SHAPE', `Reference row ${i} has the wrong width`, {
        argument: file,
        expected: String(dim),
        received: String(r.length),
      });
    samples.set(r, i * dim);
  });
  return { samples, n, sampler: json.sampler ?? {} };
}

/** Normalised histogram on [lo, hi] (values outside go to the end bins). */
export function histogram(v: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const h = new Array<number>(bins).fill(0);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    h[Math.min(bins - 1, Math.max(0, Math.floor(((x - lo) / (hi - lo)) * bins)))]++;
    n++;
  }
  return h.map((c) => (n > 0 ? c / n : 0));
}

export const totalVariation = (a: number[], b: number[]) => 0.5 * a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);

/** Draws projected to the observables [u(x), mean pair distance] (the energy is column 0, the ESS coordinate). */
function observables(sys: ParticleSystem): (d: Draws) => Draws {
  const P = sys.particles;
  const S = sys.spatialDim;
  const pairs = (P * (P - 1)) / 2;
  return (d: Draws) => {
    const u = energiesOf(sys.energy, d.data, P * S);
    let r = 0;
    return mapDraws(d, 2, (row, out) => {
      out[0] = u[r++];
      out[1] = interatomicDistances(row, P, S).reduce((s, v) => s + v, 0) / pairs;
    });
  };
}

/** The flow-is row's particle metrics (histograms against the reference, TVDs, entropy and KL estimates); returns the Kish ESS fraction. */
function flowIsMetrics(
  o: SamplerOutcome,
  sys: ParticleSystem,
  refU: Float64Array,
  heldOut: Float32Array,
  eLo: number,
  eHi: number,
  nll: number,
  extra: Record<string, unknown>,
): number {
  const P = sys.particles;
  const S = sys.spatialDim;
  const r = o.result;
  const x = o.draws!.data;
  const kish = r.ess / r.energyEvaluations;
  const u = energiesOf(sys.energy, x, P * S);
  const dFlow = interatomicDistances(x, P, S);
  const dRef = interatomicDistances(heldOut, P, S);
  const histograms: ParticleHistograms = {
    energyRange: [round(eLo, 4), round(eHi, 4)],
    energyFlow: histogram(u, eLo, eHi, 30).map((v) => round(v, 5)),
    energyReference: histogram(refU, eLo, eHi, 30).map((v) => round(v, 5)),
    distanceRange: [0, sys.maxDistance],
    distanceFlow: histogram(dFlow, 0, sys.maxDistance, 40).map((v) => round(v, 5)),
    distanceReference: histogram(dRef, 0, sys.maxDistance, 40).map((v) => round(v, 5)),
  };
  extra.histograms = histograms;
  r.metrics = {
    ...(r.metrics ?? {}),
    kishESSFraction: round(kish, 5),
    evaluationsPerEffectiveSample: r.ess > 0 ? round(r.energyEvaluations / r.ess, 3) : null,
    energyHistogramTVD: round(totalVariation(histograms.energyFlow, histograms.energyReference), 4),
    distanceHistogramTVD: round(totalVariation(histograms.distanceFlow, histograms.distanceReference), 4),
    testNLL: round(nll, 4),
  };
  // Target entropy H = E_p[u] + log Z (E_p[u] from the held-out reference, log Z from the flow's weights), so
  // NLL − H estimates KL(p‖q) ≥ 0: how far the flow is from the Boltzmann density, in any NLL convention.
  const logZ = r.metrics.logZ as number;
  const entropy = refU.reduce((a, b) => a + b, 0) / refU.length + logZ;
  extra.entropyEstimate = round(entropy, 4);
  extra.klDataToFlowEstimate = round(nll - entropy, 4);
  return kish;
}

/**
 * Energy-only training data for a particle system: `n` rows thinned from random-walk Metropolis chains started at
 * random positions (N(0, startScale²) per coordinate), centre of mass removed per row (the flow's base is mean-free;
 * the energy is translation invariant). Returns the rows and every energy evaluation spent (initial states included).
 */
export function rwmChainData(
  energy: Energy,
  sys: Pick<ParticleSystem, 'particles' | 'spatialDim'>,
  n: number,
  o: { chains: number; burnIn: number; thin: number; startScale: number; stepSize: number },
  rng: Rng,
): { data: Float32Array; energyEvaluations: number; acceptance: number } {
  const dim = sys.particles * sys.spatialDim;
  const steps = Math.ceil(n / o.chains) * o.thin;
  const x0 = tf.tidy(() => tf.mul(rng.normal([o.chains, dim]), o.startScale)) as tf.Tensor2D;
  const r = sampleChain(randomWalkMetropolis(energy, { stepSize: o.stepSize }), x0, { steps, burnIn: o.burnIn, thin: o.thin, rng });
  x0.dispose();
  disposeTree(r.finalState);
  const raw = r.samples.data;
  const data = new Float32Array(n * dim);
  const S = sys.spatialDim;
  for (let i = 0; i < n; i++) {
    const row = raw.subarray(i * dim, (i + 1) * dim);
    for (let a = 0; a < S; a++) {
      let m = 0;
      for (let p = 0; p < sys.particles; p++) m += row[p * S + a];
      m /= sys.particles;
      for (let p = 0; p < sys.particles; p++) data[i * dim + p * S + a] = row[p * S + a] - m;
    }
  }
  return { data, energyEvaluations: r.energyEvaluations, acceptance: r.overallAcceptanceRate };
}

/** The whole dw4 / lj13 experiment for one particle system. */
export async function runParticleExperiment(sys: ParticleSystem, params: ParticleParamsT, ctx: ExperimentContext): Promise<ExperimentOutput> {
  const P = sys.particles;
  const S = sys.spatialDim;
  const dim = P * S;
  const ref = loadReference(sys.dataFile, dim);
  const nTrain = Math.min(params.training.samples, Math.floor(ref.n * 0.75));
  const testStart = Math.floor(ref.n * 0.75);
  const nTest = Math.min(params.testSamples, ref.n - testStart);
  const trainX = ref.samples.subarray(0, nTrain * dim);
  const testX = ref.samples.subarray(testStart * dim, (testStart + nTest) * dim);
  const heldOut = ref.samples.subarray(testStart * dim);
  const refU = energiesOf(sys.energy, heldOut, dim);
  const sortedU = Array.from(refU).sort((a, b) => a - b);
  const median = sortedU[Math.floor(sortedU.length / 2)];
  const eLo = sortedU[Math.floor(0.002 * sortedU.length)];
  const eHi = sortedU[Math.floor(0.998 * sortedU.length)];
  const above = sortedU.filter((u) => u > median).length;
  const referenceDeltaF = -Math.log(above / (sortedU.length - above));
  ctx.progress.log(`${sys.label}: ${ref.n} replica-exchange reference samples (${nTrain} train, ${nTest} test); median energy ${median.toFixed(3)}`);

  const streams = samplerStreams(ctx.rng, STREAMS);
  const flowRng = streams('flow');
  const startRng = streams('start');
  const { budget, chains, plot } = params;
  const spec: CoordinateSpec = {
    index: 0,
    name: 'energy u(x)',
    threshold: median,
    deadZone: 0,
    profileEdges: Array.from({ length: 31 }, (_, i) => eLo + ((eHi - eLo) * i) / 30),
    referenceDeltaF,
  };
  const samplers: SamplerResult[] = [];
  const artifacts: Artifacts = { profiles: { coordinate: 'energy u(x)', samplers: [] }, sampleAxes: ['energy u(x)', 'mean pair distance'] };
  // Chains start at distinct held-out reference samples (equilibrium: no burn-in needed, equal for every sampler).
  const startIdx = Array.from(startRng.permutation(ref.n - testStart)).slice(0, chains);
  const starts = () => tf.tensor2d(Float32Array.from(startIdx.flatMap((i) => Array.from(heldOut.subarray(i * dim, (i + 1) * dim)))), [chains, dim]);

  let training: ExperimentOutput['training'];
  let trained: { steps: number; seconds: number; loss: number; setup: number; nll: { nll: number; stderr: number } } | undefined;
  const extra: Record<string, unknown> = {
    referenceSampler: ref.sampler,
    referenceSamples: ref.n,
    published: { ...sys.published, normalisedNLL: round(publishedNormalisedNLL(sys), 4) },
  };
  const perRecipe: Record<string, unknown> = {
    rwm: { targetAcceptance: params.rwmTargetAcceptance, initialStepSize: params.flowMcmc.localStepSize },
    'flow-imh': { ...params.flowMcmc, burnIn: false },
    'flow-is': params.isSamples !== undefined ? { samples: params.isSamples } : {},
  };
  const outcomes = await compareSamplers(
    sys.energy,
    [...new Set(params.samplers)].map((name) => ({ name, params: perRecipe[name] })),
    {
      budget: { evaluations: budget, chains, warmup: Math.max(20, Math.round(budget / chains / 10)) },
      streams,
      target: { spec, plot, start: starts, project: observables(sys) },
      progress: ctx.progress,
      flow: async () => {
        const energyOnly = params.training.data === 'rwm-chains';
        let data = trainX;
        let dataCost = 0;
        if (energyOnly) {
          const g = rwmChainData(sys.energy, sys, nTrain, { ...params.training.rwm, stepSize: params.flowMcmc.localStepSize }, flowRng);
          data = g.data;
          dataCost = g.energyEvaluations;
          extra.trainingDataGeneration = {
            sampler: 'random-walk Metropolis from random starts (energy only)',
            ...params.training.rwm,
            stepSize: params.flowMcmc.localStepSize,
            rows: nTrain,
            energyEvaluations: dataCost,
            acceptance: round(g.acceptance, 4),
          };
          ctx.progress.log(
            `  energy-only training data: ${nTrain} rows from RWM chains, ${dataCost} evaluations (setup), acceptance ${g.acceptance.toFixed(3)}`,
          );
        }
        const f = await trainEquivariantFlow(
          { particles: P, spatialDim: S, flow: params.flow, training: params.training },
          data,
          sys.energy,
          flowRng,
          ctx.progress,
        );
        artifacts.training = f.curve;
        const nll = heldOutNLL(f.flow, testX, dim);
        trained = { steps: f.steps, seconds: f.seconds, loss: f.loss, setup: f.setupEnergyEvaluations + dataCost, nll };
        ctx.progress.log(
          `  flow trained: ${f.steps} training steps in ${f.seconds.toFixed(1)} s, loss ${f.loss.toFixed(4)}, test NLL ${nll.nll.toFixed(3)} ± ${nll.stderr.toFixed(3)} (exact trace, ${nTest} samples)`,
        );
        extra.testNLL = round(nll.nll, 4);
        extra.testNLLStderr = round(nll.stderr, 4);
        extra.testNLLSamples = nTest;
        extra.nllConvention = `−log q(x) on the ${(P - 1) * S}-dim centre-of-mass-free subspace (MeanFreeNormal base, exact trace, RK4 with ${params.flow.odeSteps} steps), raw coordinates`;
        return {
          flow: f.flow,
          setupEnergyEvaluations: f.setupEnergyEvaluations + dataCost,
          trainingData: energyOnly ? 'mcmc' : 'bundled',
          dispose: () => f.flow.dispose(),
        };
      },
    },
  );

  let kish: number | null = null;
  for (const o of outcomes) {
    const r = o.result;
    if (o.logWeights) {
      kish = flowIsMetrics(o, sys, refU, heldOut, eLo, eHi, trained!.nll.nll, extra);
      ctx.progress.log(
        `  ${r.sampler}: Kish ESS ${r.ess.toFixed(1)} / ${r.energyEvaluations}, energy TVD ${r.metrics!.energyHistogramTVD}, distance TVD ${r.metrics!.distanceHistogramTVD}`,
      );
    } else {
      if (trained && getRecipe(r.sampler).needsFlow) r.metrics = { ...(r.metrics ?? {}), testNLL: round(trained.nll.nll, 4) };
      r.metrics = { ...(r.metrics ?? {}), evaluationsPerEffectiveSample: r.ess > 0 ? round(r.energyEvaluations / r.ess, 3) : null };
      r.notes = [
        ...(r.notes ?? []),
        'ESS / IACT: of the energy u(x); ΔF: between energies above and below the reference median (a consistency check, reference from the replica-exchange data); scatter: energy vs mean pair distance.',
      ];
      ctx.progress.log(
        `  ${r.sampler}: acceptance ${r.acceptanceRate?.toFixed(3)}, ESS(u) ${r.ess.toFixed(1)}, ${r.metrics.evaluationsPerEffectiveSample ?? '∞'} evaluations per effective sample`,
      );
    }
    samplers.push(r);
    collectArtifacts(artifacts, o);
  }
  if (trained)
    training = {
      steps: trained.steps,
      energyEvaluations: trained.setup,
      wallSeconds: trained.seconds,
      finalLoss: Number.isFinite(trained.loss) ? trained.loss : null,
      essFraction: kish,
    };
  const byName = new Map(samplers.map((s) => [s.sampler, s] as const));
  const a = byName.get('flow-imh')?.essPerEnergyEvaluation;
  const b = byName.get('rwm')?.essPerEnergyEvaluation;
  extra.essPerEvaluationRatio = { 'flow-imh/rwm': a && b ? a / b : null };
  artifacts.extra = extra;
  return {
    reference: {
      deltaF: referenceDeltaF,
      method: 'replica exchange (bundled data)',
      definition: `ΔF = F(u > ${median.toFixed(3)}) − F(u < ${median.toFixed(3)}) in kT from the held-out replica-exchange samples (≈ 0 by construction: the split is their median energy)`,
    },
    samplers,
    skipped: [],
    artifacts,
    ...(training ? { training } : {}),
  };
}
