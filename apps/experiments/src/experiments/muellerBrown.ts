import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { Rng } from '@boltzflow/core';
import { MuellerBrown } from '@boltzflow/energies';
import type { Artifacts, SamplerResult } from '../results.js';
import { defineExperiment, type ExperimentOutput } from './types.js';
import { energyGrid, linspace, round } from './common.js';
import { collectArtifacts, type CoordinateSpec, type Draws } from './samplerMetrics.js';
import { buildFlow, flowImportanceSampler, flowMixtureSampler, gridSamples, localSampler, mapDraws, standardisation, trainFlow } from './flowTools.js';

export const MB_SAMPLERS = ['rwm', 'mala', 'flow-imh', 'flow-is'] as const;
const int = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

/** Deepest minimum A and second-deepest B of Müller–Brown, and the saddle between A and the intermediate minimum C. */
export const MB_POINTS = { A: [-0.5582, 1.4417], B: [0.6235, 0.0280], C: [-0.05, 0.4667], saddleAC: [-0.822, 0.6243] } as const;
const AB = [MB_POINTS.B[0] - MB_POINTS.A[0], MB_POINTS.B[1] - MB_POINTS.A[1]];
const AB_LEN = Math.hypot(AB[0], AB[1]);

/** Reaction coordinate ξ: projection of (x, y) − A on the unit vector from A to B (ξ(A) = 0, ξ(B) = |B − A|). */
export function mbXi(x: number, y: number): number {
  return ((x - MB_POINTS.A[0]) * AB[0] + (y - MB_POINTS.A[1]) * AB[1]) / AB_LEN;
}
/** The dividing surface: ξ at the A–C saddle (C and B are one metastable state at k = 0.1: their barrier is < 1 kT). */
export const MB_THRESHOLD = mbXi(MB_POINTS.saddleAC[0], MB_POINTS.saddleAC[1]);
/** Quadrature box; exp(−u) is negligible outside it at k = 0.1. */
export const MB_BOX: { x: [number, number]; y: [number, number] } = { x: [-3, 2], y: [-1.5, 3] };

/** Exact ΔF = F(ξ > ξ‡) − F(ξ < ξ‡) = −ln(P_B/P_A) by the midpoint rule on a cells × cells grid over MB_BOX (float64). */
export function mbReferenceDeltaF(energy: MuellerBrown, cells = 1500): { deltaF: number; logZ: number } {
  const hx = (MB_BOX.x[1] - MB_BOX.x[0]) / cells;
  const hy = (MB_BOX.y[1] - MB_BOX.y[0]) / cells;
  const umin = energy.u(MB_POINTS.A[0], MB_POINTS.A[1]) - 1;
  let pa = 0;
  let pb = 0;
  for (let j = 0; j < cells; j++) for (let i = 0; i < cells; i++) {
    const x = MB_BOX.x[0] + (i + 0.5) * hx;
    const y = MB_BOX.y[0] + (j + 0.5) * hy;
    const w = Math.exp(-(energy.u(x, y) - umin));
    if (mbXi(x, y) > MB_THRESHOLD) pb += w;
    else pa += w;
  }
  return { deltaF: -Math.log(pb / pa), logZ: Math.log((pa + pb) * hx * hy) - umin };
}

export const MuellerBrownParams = z
  .object({
    k: z.number().positive().default(0.1),
    budget: int(1_000, 100_000_000, 200_000),
    chains: int(2, 1024, 16),
    samplers: z.array(z.enum(MB_SAMPLERS)).min(1).default([...MB_SAMPLERS]),
    rwmTargetAcceptance: z.number().gt(0).lt(1).default(0.3),
    malaTargetAcceptance: z.number().gt(0).lt(1).default(0.57),
    quadratureCells: int(100, 5000, 1500),
    flow: z.object({ layers: int(2, 16, 6), hidden: int(4, 256, 32), bins: int(2, 32, 8) }).strict().prefault({}),
    training: z
      .object({
        /** Near-exact training samples drawn from a fine quadrature grid (the stand-in for MCMC data). */
        samples: int(256, 1_000_000, 10_000),
        steps: int(1, 100_000, 600),
        batchSize: int(8, 8192, 256),
        learningRate: z.number().positive().max(1).default(3e-3),
        klWeight: z.number().min(0).default(0),
      })
      .strict()
      .prefault({}),
    flowMcmc: z.object({ flowProbability: z.number().min(0).max(1).default(0.5), localStepSize: z.number().positive().default(0.1) }).strict().prefault({}),
    isSamples: int(100, 10_000_000, 50_000),
    plot: z.object({ samplesPerSampler: int(10, 20_000, 1000), tracePoints: int(10, 20_000, 1500), acfLags: int(5, 5_000, 200) }).strict().prefault({}),
  })
  .strict();
export type MuellerBrownParamsT = z.infer<typeof MuellerBrownParams>;

/** Draws `[.., .., 2]` → `[.., .., 3]` with ξ appended, so the scatter shows (x, y) and the metrics read ξ. */
const withXi = (d: Draws): Draws => mapDraws(d, 3, (r, o) => {
  o[0] = r[0];
  o[1] = r[1];
  o[2] = mbXi(r[0], r[1]);
});

export const muellerBrown = defineExperiment<MuellerBrownParamsT>({
  name: 'mueller-brown',
  description: 'Müller–Brown (k = 0.1, BG-paper scaling): RWM/MALA vs flow-assisted samplers, ΔF between the deepest basin and the B/C basin against 2D quadrature',
  params: MuellerBrownParams as z.ZodType<MuellerBrownParamsT>,
  quickParams: { budget: 8_000, chains: 8, quadratureCells: 500, isSamples: 4_000, flow: { layers: 2 }, training: { samples: 2_000, steps: 60, learningRate: 5e-3 }, plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 } },
  async run(params, ctx): Promise<ExperimentOutput> {
    const energy = new MuellerBrown({ k: params.k });
    const ref = mbReferenceDeltaF(energy, params.quadratureCells);
    ctx.progress.log(`exact ΔF = ${ref.deltaF.toFixed(4)} kT, log Z = ${ref.logZ.toFixed(4)} (${params.quadratureCells}² midpoint quadrature)`);
    const xiLo = -1.5;
    const xiHi = 3;
    // Exact profile of ξ by quadrature along lines of constant ξ is not needed for the comparison; the histogram profiles are shown against each other.
    const spec: CoordinateSpec = { index: 2, name: 'ξ (A→B)', threshold: MB_THRESHOLD, deadZone: 0.25, profileEdges: linspace(xiLo, xiHi, 46), referenceDeltaF: ref.deltaF };
    const { budget, chains, plot } = params;
    const children = ctx.rng.split(MB_SAMPLERS.length + 2);
    const streams = new Map(MB_SAMPLERS.map((s, i) => [s, children[i]] as const));
    const want = new Set(params.samplers);
    const samplers: SamplerResult[] = [];
    const artifacts: Artifacts = {
      energyGrid: energyGrid(energy, MB_BOX.x, [-1, 2.5], 61, 25),
      profiles: { coordinate: 'ξ (A→B)', samplers: [] },
    };
    // All chains start in the deepest basin A: the question is how fast they find B.
    const starts = (_rng: Rng) => tf.tidy(() => tf.tile(tf.tensor2d([MB_POINTS.A.slice()], [1, 2]), [chains, 1]) as tf.Tensor2D);
    const warmup = Math.max(50, Math.round(budget / chains / 10));
    const record = (o: { result: SamplerResult } & Parameters<typeof collectArtifacts>[1]): void => {
      samplers.push(o.result);
      collectArtifacts(artifacts, o);
      const d = o.result.deltaF;
      ctx.progress.log(`  ${o.result.sampler}: ESS ${o.result.ess.toFixed(1)}, transitions ${o.result.transitions}, ΔF ${d ? `${d.estimate.toFixed(3)} ± ${d.stderr.toFixed(3)}` : 'n/a'}`);
    };
    for (const kind of ['rwm', 'mala'] as const) {
      if (!want.has(kind)) continue;
      const rng = streams.get(kind)!;
      const x0 = starts(rng);
      const target = kind === 'rwm' ? params.rwmTargetAcceptance : params.malaTargetAcceptance;
      const desc = kind === 'rwm' ? 'random-walk Metropolis, step size adapted to the target acceptance' : 'Metropolis-adjusted Langevin, step size adapted by dual averaging';
      record(localSampler(kind, energy, x0, { budget, warmup, targetAcceptance: target, initialStepSize: 0.1, description: desc, spec, plot, project: withXi }, rng, ctx).outcome);
      x0.dispose();
    }
    let training: ExperimentOutput['training'];
    if (want.has('flow-imh') || want.has('flow-is')) {
      const rng = children[MB_SAMPLERS.length];
      const flowRng = children[MB_SAMPLERS.length + 1];
      const data = gridSamples((x, y) => energy.u(x, y), MB_BOX.x, MB_BOX.y, 600, params.training.samples, rng);
      const flow = buildFlow(2, { kind: 'spline', layers: params.flow.layers, hidden: params.flow.hidden, bins: params.flow.bins, bound: 4, ...standardisation(data, 2) }, flowRng);
      const dataT = tf.tensor2d(data, [params.training.samples, 2]);
      const trained = await trainFlow(flow, dataT, energy, params.training, flowRng, ctx, params.training.klWeight > 0 ? 'ML + KL' : 'ML (grid samples)');
      dataT.dispose();
      training = trained.training;
      artifacts.training = trained.curve;
      const setup = training.energyEvaluations;
      if (want.has('flow-imh')) {
        const r = streams.get('flow-imh')!;
        const x0 = starts(r);
        record(
          flowMixtureSampler(flow, energy, x0, { budget, ...params.flowMcmc, setup, description: 'independence MH with the trained spline flow as proposal, mixed with random-walk moves', spec, plot, project: withXi }, r, ctx).outcome,
        );
        x0.dispose();
      }
      if (want.has('flow-is')) {
        const is = flowImportanceSampler(flow, energy, params.isSamples, streams.get('flow-is')!, {
          setup,
          spec,
          plot,
          referenceLogZ: ref.logZ,
          project: (x) => withXi({ data: x, shape: [params.isSamples, 1, 2] }),
        });
        record(is);
      }
      flow.dispose();
    }
    return {
      reference: {
        deltaF: ref.deltaF,
        logZ: ref.logZ,
        method: `2D midpoint quadrature, ${params.quadratureCells}² cells on [${MB_BOX.x}]×[${MB_BOX.y}]`,
        definition: `ΔF = F(ξ > ${MB_THRESHOLD.toFixed(4)}) − F(ξ < ${MB_THRESHOLD.toFixed(4)}) in kT, ξ = projection on the unit vector from the deepest minimum A (${MB_POINTS.A}) to B (${MB_POINTS.B}); the dividing line passes through the A–C saddle, so the B side holds B and the intermediate minimum C`,
      },
      samplers,
      skipped: [],
      artifacts: {
        ...artifacts,
        extra: { minima: MB_POINTS, threshold: MB_THRESHOLD, trainingData: `${params.training.samples} near-exact samples from a 600² grid over the quadrature box (stand-in for MCMC data)` },
      },
      ...(training ? { training } : {}),
    };
  },
});
