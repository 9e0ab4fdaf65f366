import { z } from 'zod';
import { DoubleWell } from '@boltzflow/energies';
import type { SamplerResult } from '../results.js';
import { defineExperiment, type ExperimentOutput } from './types.js';
import { energyGrid, linspace, round } from './common.js';

export const DOUBLE_WELL_SAMPLERS = ['rwm', 'rwm-scan', 'mala', 'replica-exchange', 'latent-metropolis', 'flow-imh', 'snf'] as const;
export type DoubleWellSampler = (typeof DOUBLE_WELL_SAMPLERS)[number];

const positiveInt = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

export const DoubleWellParams = z
  .object({
    energy: z
      .object({
        a: z.number().default(-0.5),
        b: z.number().default(-6),
        c: z.number().positive().default(1),
        d: z.number().positive().default(1),
      })
      .strict()
      .prefault({}),
    /** Energy evaluations per sampler (all chains together): the equal budget of the comparison. */
    budget: positiveInt(1_000, 100_000_000, 240_000),
    chains: positiveInt(1, 1024, 16),
    samplers: z.array(z.enum(DOUBLE_WELL_SAMPLERS)).min(1).default([...DOUBLE_WELL_SAMPLERS]),
    rwm: z
      .object({
        targetAcceptance: z.number().gt(0).lt(1).default(0.3),
        scan: z.array(z.number().positive()).min(1).max(32).default([0.1, 0.25, 0.5, 1, 1.5, 2, 3]),
      })
      .strict()
      .prefault({}),
    mala: z.object({ targetAcceptance: z.number().gt(0).lt(1).default(0.57) }).strict().prefault({}),
    replicaExchange: z
      .object({ temperatures: z.array(z.number().min(1)).min(2).max(16).default([1, 2, 4, 8]), stepSize: z.number().positive().default(0.5) })
      .strict()
      .prefault({}),
    flow: z
      .object({
        layers: positiveInt(2, 16, 4),
        hidden: positiveInt(4, 256, 32),
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
        metropolisSteps: positiveInt(1, 200, 20),
        stepSize: z.number().positive().default(0.25),
      })
      .strict()
      .prefault({}),
    plot: z
      .object({ samplesPerSampler: positiveInt(10, 20_000, 1000), tracePoints: positiveInt(10, 20_000, 1500), acfLags: positiveInt(5, 5_000, 200) })
      .strict()
      .prefault({}),
  })
  .strict();

export type DoubleWellParamsT = z.infer<typeof DoubleWellParams>;

const PROFILE_RANGE: [number, number] = [-2.75, 2.75];

export const doubleWell = defineExperiment<DoubleWellParamsT>({
  name: 'double-well',
  description: '2D double well u = x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²: MCMC vs flow-assisted samplers at equal energy-evaluation budget, ΔF against quadrature',
  params: DoubleWellParams as z.ZodType<DoubleWellParamsT>,
  quickParams: { budget: 24_000, chains: 8, training: { steps: 60, batchSize: 128 }, plot: { samplesPerSampler: 300, tracePoints: 400, acfLags: 60 } },
  async run(params, ctx): Promise<ExperimentOutput> {
    const energy = new DoubleWell(params.energy);
    const exactDeltaF = energy.deltaF();
    const profileX = linspace(PROFILE_RANGE[0], PROFILE_RANGE[1], 111);
    const exact = energy.freeEnergyProfile(profileX);
    const samplers: SamplerResult[] = [];
    const skipped: ExperimentOutput['skipped'] = [];
    for (const s of params.samplers) skipped.push({ sampler: s, reason: 'its library package is not available yet' });
    ctx.progress.log(`exact ΔF = ${exactDeltaF.toFixed(4)} kT (quadrature)`);
    return {
      reference: {
        deltaF: exactDeltaF,
        method: 'quadrature',
        definition: 'ΔF = F(x₁>0) − F(x₁<0) = −ln(P(x₁>0)/P(x₁<0)) in kT',
      },
      samplers,
      skipped,
      artifacts: {
        energyGrid: energyGrid(energy, [-3, 3], [-3.5, 3.5], 61),
        profiles: { coordinate: 'x₁', exact: { x: Array.from(exact.x, (v) => round(v, 6)), f: Array.from(exact.f, (v) => round(v, 6)) }, samplers: [] },
      },
    };
  },
});
