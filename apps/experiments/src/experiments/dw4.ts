import type { z } from 'zod';
import { MultiDoubleWell } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { particleParams, runParticleExperiment, type ParticleParamsT } from './particleSystems.js';
import { particleFigures } from './particleFigures.js';

export const Dw4Params = particleParams({
  budget: 40_000,
  chains: 16,
  hidden: 64,
  layers: 3,
  odeSteps: 10,
  steps: 3000,
  batchSize: 128,
  learningRate: 2e-3,
  localStepSize: 0.3,
  trainSamples: 3000,
  testSamples: 500,
});

/** DW4 (Köhler et al. 2020): 4 particles in 2D, pair double well a = 0, b = −4, c = 0.9, d₀ = 4, τ = 1. */
export const dw4 = defineExperiment<ParticleParamsT>({
  name: 'dw4',
  description:
    'DW4 (4 particles, 2D, pair double well): E(n)-equivariant CNF (EGNN) trained by equivariant OT flow matching on replica-exchange data; flow IMH + RWM vs RWM at equal energy evaluations, test NLL, Kish ESS',
  params: Dw4Params as z.ZodType<ParticleParamsT>,
  quickParams: {
    budget: 1_280,
    chains: 64,
    testSamples: 40,
    flowMcmc: { flowProbability: 0.25 },
    flow: { hidden: 16, layers: 2, odeSteps: 3 },
    training: { samples: 1000, steps: 30, batchSize: 32, learningRate: 3e-3 },
    plot: { samplesPerSampler: 200, tracePoints: 200, acfLags: 40 },
  },
  tinyParams: {
    budget: 100,
    chains: 4,
    testSamples: 10,
    flow: { hidden: 2, layers: 1, odeSteps: 1 },
    training: { samples: 16, steps: 2, batchSize: 4 },
    plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
  },
  run: (params, ctx) =>
    runParticleExperiment(
      {
        label: 'DW4',
        particles: 4,
        spatialDim: 2,
        energy: new MultiDoubleWell(),
        dataFile: 'dw4-reference.json',
        maxDistance: 8,
        published: { nll: 1.7, source: 'Klein, Krämer & Noé 2023 (equivariant OT flow matching), Table 1 (bgflow convention: unnormalised base)' },
      },
      params,
      ctx,
    ),
  figures: particleFigures,
});
