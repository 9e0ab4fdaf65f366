import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { GaussianMixtureEnergy } from '@boltzflow/energies';
import type { Artifacts, SamplerResult } from '../results.js';
import { defineExperiment, type ExperimentOutput } from './types.js';
import { energyGrid, linspace, round } from './common.js';
import { collectArtifacts, type CoordinateSpec, type Draws } from './samplerMetrics.js';
import { buildFlow, flowImportanceSampler, flowMixtureSampler, localSampler, standardisation, trainFlow } from './flowTools.js';

export const GMM_SAMPLERS = ['rwm', 'flow-imh', 'flow-is'] as const;
const int = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

export const Gmm40Params = z
  .object({
    modes: int(2, 200, 40),
    budget: int(1_000, 100_000_000, 100_000),
    chains: int(2, 1024, 16),
    samplers: z.array(z.enum(GMM_SAMPLERS)).min(1).default([...GMM_SAMPLERS]),
    rwmTargetAcceptance: z.number().gt(0).lt(1).default(0.3),
    flow: z.object({ layers: int(2, 16, 6), hidden: int(4, 256, 64), bins: int(2, 64, 16) }).strict().prefault({}),
    training: z
      .object({
        /** Exact i.i.d. samples of the mixture (the stand-in for MCMC data). */
        samples: int(256, 1_000_000, 20_000),
        steps: int(1, 100_000, 800),
        batchSize: int(8, 8192, 256),
        learningRate: z.number().positive().max(1).default(3e-3),
        klWeight: z.number().min(0).default(0),
      })
      .strict()
      .prefault({}),
    flowMcmc: z.object({ flowProbability: z.number().min(0).max(1).default(0.5), localStepSize: z.number().positive().default(1) }).strict().prefault({}),
    isSamples: int(100, 10_000_000, 50_000),
    plot: z.object({ samplesPerSampler: int(10, 20_000, 1000), tracePoints: int(10, 20_000, 1500), acfLags: int(5, 5_000, 200) }).strict().prefault({}),
  })
  .strict();
export type Gmm40ParamsT = z.infer<typeof Gmm40Params>;

/** Φ(x) by the Abramowitz–Stegun 7.1.26 erf approximation (|error| < 1.5e-7). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Exact P(x₁ > 0) of the mixture, for the ΔF reference on x₁. */
export function gmmProbabilityPositive(energy: GaussianMixtureEnergy): number {
  return energy.means.reduce((s, m, k) => s + energy.weights[k] * normalCdf(m[0] / energy.scales[k]), 0);
}

/** Occupation of each mode (nearest mean, weighted), modes visited and the total-variation distance to the exact weights. */
export function modeOccupation(energy: GaussianMixtureEnergy, x: ArrayLike<number>, weights?: ArrayLike<number>): { fractions: number[]; visited: number; tv: number } {
  const K = energy.components;
  const counts = new Float64Array(K);
  let total = 0;
  for (let i = 0; i < x.length / 2; i++) {
    let best = 0;
    let bd = Infinity;
    for (let k = 0; k < K; k++) {
      const d = (x[2 * i] - energy.means[k][0]) ** 2 + (x[2 * i + 1] - energy.means[k][1]) ** 2;
      if (d < bd) {
        bd = d;
        best = k;
      }
    }
    const w = weights ? weights[i] : 1;
    counts[best] += w;
    total += w;
  }
  const fractions = Array.from(counts, (c) => (total > 0 ? c / total : 0));
  const tv = 0.5 * fractions.reduce((s, f, k) => s + Math.abs(f - energy.weights[k]), 0);
  return { fractions, visited: fractions.filter((f) => f > 0).length, tv };
}

export const gmm40 = defineExperiment<Gmm40ParamsT>({
  name: 'gmm-40',
  description: 'FAB GMM-40 (40 equal modes in 2D, means uniform on [−40, 40]²): RWM vs flow-assisted; modes visited and mode-occupation error against the exact weights, log Z = 0',
  params: Gmm40Params as z.ZodType<Gmm40ParamsT>,
  quickParams: { budget: 8_000, chains: 8, isSamples: 4_000, flow: { layers: 2, hidden: 32, bins: 8 }, training: { samples: 2_000, steps: 60, learningRate: 5e-3 }, plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 } },
  async run(params, ctx): Promise<ExperimentOutput> {
    const children = ctx.rng.split(GMM_SAMPLERS.length + 3);
    const energy = GaussianMixtureEnergy.gmm40(children[GMM_SAMPLERS.length], { modes: params.modes });
    const pPos = gmmProbabilityPositive(energy);
    const exactDeltaF = -Math.log(pPos / (1 - pPos));
    const spec: CoordinateSpec = { index: 0, name: 'x₁', threshold: 0, deadZone: 2, profileEdges: linspace(-45, 45, 61), referenceDeltaF: exactDeltaF };
    const { budget, chains, plot } = params;
    const streams = new Map(GMM_SAMPLERS.map((s, i) => [s, children[i]] as const));
    const want = new Set(params.samplers);
    const samplers: SamplerResult[] = [];
    const artifacts: Artifacts = { energyGrid: energyGrid(energy, [-45, 45], [-45, 45], 91, 30), profiles: { coordinate: 'x₁', samplers: [] } };
    // Chains start at the means of the first `chains` modes (one each, cycling): the question is how many others they find.
    const starts = () => tf.tensor2d(Array.from({ length: chains }, (_, c) => energy.means[c % energy.components]), [chains, 2]);
    const occupationOf = (r: SamplerResult, d: Draws, logW?: Float64Array): void => {
      let w: Float64Array | undefined;
      if (logW) {
        const m = Math.max(...logW);
        w = logW.map((v) => Math.exp(v - m));
      }
      const occ = modeOccupation(energy, d.data, w);
      r.metrics = { ...(r.metrics ?? {}), modesVisited: occ.visited, modeOccupationTV: round(occ.tv, 5) };
      ctx.progress.log(`  ${r.sampler}: modes visited ${occ.visited}/${energy.components}, occupation TV ${occ.tv.toFixed(4)}, ESS ${r.ess.toFixed(1)}`);
    };
    if (want.has('rwm')) {
      const rng = streams.get('rwm')!;
      const x0 = starts();
      const run = localSampler('rwm', energy, x0, { budget, warmup: Math.max(50, Math.round(budget / chains / 10)), targetAcceptance: params.rwmTargetAcceptance, initialStepSize: 1, description: 'random-walk Metropolis, step size adapted to the target acceptance', spec, plot }, rng, ctx);
      x0.dispose();
      occupationOf(run.outcome.result, run.draws);
      samplers.push(run.outcome.result);
      collectArtifacts(artifacts, run.outcome);
    }
    let training: ExperimentOutput['training'];
    if (want.has('flow-imh') || want.has('flow-is')) {
      const flowRng = children[GMM_SAMPLERS.length + 1];
      const dataT = energy.sample(params.training.samples, children[GMM_SAMPLERS.length + 2]);
      const flow = buildFlow(2, { kind: 'spline', layers: params.flow.layers, hidden: params.flow.hidden, bins: params.flow.bins, bound: 3, ...standardisation(dataT.dataSync() as Float32Array, 2) }, flowRng);
      const trained = await trainFlow(flow, dataT, energy, params.training, flowRng, ctx, params.training.klWeight > 0 ? 'ML + KL' : 'ML (exact samples)');
      dataT.dispose();
      training = trained.training;
      artifacts.training = trained.curve;
      const setup = training.energyEvaluations;
      if (want.has('flow-imh')) {
        const rng = streams.get('flow-imh')!;
        const x0 = starts();
        const run = flowMixtureSampler(flow, energy, x0, { budget, ...params.flowMcmc, setup, description: 'independence MH with the trained spline flow as proposal, mixed with random-walk moves', spec, plot }, rng, ctx);
        x0.dispose();
        occupationOf(run.outcome.result, run.draws);
        samplers.push(run.outcome.result);
        collectArtifacts(artifacts, run.outcome);
      }
      if (want.has('flow-is')) {
        const is = flowImportanceSampler(flow, energy, params.isSamples, streams.get('flow-is')!, { setup, spec, plot, referenceLogZ: 0 });
        occupationOf(is.result, { data: is.x, shape: [params.isSamples, 1, 2] }, is.logW);
        samplers.push(is.result);
        collectArtifacts(artifacts, is);
      }
      flow.dispose();
    }
    const gmm = energy.toJSON();
    energy.dispose();
    return {
      reference: {
        logZ: 0,
        deltaF: exactDeltaF,
        method: 'closed form (normalised mixture)',
        definition: 'log Z = 0; mode weights 1/K; ΔF = F(x₁>0) − F(x₁<0) = −ln(P/(1−P)), P = Σ_k w_k Φ(μ_k,₁/σ)',
      },
      samplers,
      skipped: [],
      artifacts: { ...artifacts, extra: { means: gmm.means.map((m) => m.map((v) => round(v, 6))), scales: gmm.scales, modeWeights: gmm.weights } },
      ...(training ? { training } : {}),
    };
  },
});
