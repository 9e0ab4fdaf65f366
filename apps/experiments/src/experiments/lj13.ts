import type { z } from 'zod';
import { LennardJones } from '@boltzflow/energies';
import { defineExperiment } from './types.js';
import { particleParams, runParticleExperiment, type ParticleParamsT } from './particleSystems.js';
import { particleFigures } from './particleFigures.js';

// Every flow proposal needs an exact-trace log q (39 vector–Jacobian products per RK4 stage, ≈ 10 s for 16 chains on
// 2 cores), so the default budget and flow-move probability are small: a full run took 48 minutes, 32 of them
// flow IMH. Local moves: step 0.02 (RWM acceptance ≈ 0.4 at T = 1 in this energy convention).
export const Lj13Params = particleParams({
  budget: 4_800,
  chains: 16,
  hidden: 32,
  layers: 3,
  odeSteps: 8,
  steps: 1500,
  batchSize: 64,
  learningRate: 2e-3,
  localStepSize: 0.02,
  trainSamples: 2400,
  testSamples: 200,
  isSamples: 200,
});

/**
 * LJ13 (Köhler et al. 2020): 13 particles in 3D, ε = r_m = τ = 1, harmonic term ½Σ‖xᵢ − x̄‖², pair sum over i ≠ j
 * (every pair twice) as in the equivariant-flow codes and data (bgflow's LennardJonesPotential; Klein et al. 2023).
 */
export const LJ13_ENERGY = { pairSum: 'i!=j' } as const;
export const lj13 = defineExperiment<ParticleParamsT>({
  name: 'lj13',
  description:
    'LJ13 (13 Lennard-Jones particles, 3D, harmonic confinement): E(n)-equivariant CNF (EGNN) trained by equivariant OT flow matching on replica-exchange data; flow IMH + RWM vs RWM at equal energy evaluations, test NLL, Kish ESS',
  params: Lj13Params as z.ZodType<ParticleParamsT>,
  baseParams: { flowMcmc: { flowProbability: 0.25 } },
  quickParams: {
    budget: 320,
    chains: 16,
    testSamples: 16,
    isSamples: 16,
    flowMcmc: { flowProbability: 0.25 },
    flow: { hidden: 8, layers: 1, odeSteps: 2 },
    training: { samples: 400, steps: 10, batchSize: 16, learningRate: 3e-3 },
    plot: { samplesPerSampler: 200, tracePoints: 200, acfLags: 40 },
  },
  tinyParams: {
    budget: 100,
    chains: 4,
    testSamples: 10,
    isSamples: 10,
    flow: { hidden: 2, layers: 1, odeSteps: 1 },
    training: { samples: 16, steps: 2, batchSize: 4 },
    plot: { samplesPerSampler: 20, tracePoints: 20, acfLags: 5 },
  },
  run: (params, ctx) =>
    runParticleExperiment(
      {
        label: 'LJ13',
        particles: 13,
        spatialDim: 3,
        energy: new LennardJones(LJ13_ENERGY),
        dataFile: 'lj13-reference.json',
        maxDistance: 4,
        published: {
          nll: -16.09,
          source:
            'Klein, Krämer & Noé 2023 (equivariant OT flow matching), Table 1 (bgflow convention: unnormalised base); same energy convention (pair sum over i ≠ j), their own MCMC data and a far larger training budget',
        },
      },
      params,
      ctx,
    ),
  figures: particleFigures,
});
