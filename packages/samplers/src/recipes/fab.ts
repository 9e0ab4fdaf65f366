import { z } from 'zod';
import { flowIndependenceProposal, mixtureKernel, randomWalkMetropolis } from '@boltzflow/mcmc';
import { aisRunner, trainFAB } from '@boltzflow/training';
import type { TransformedDistribution } from '@boltzflow/distributions';
import type { Rng } from '@boltzflow/core';
import { defineRecipe, type SamplerTarget, type SamplerBudget } from '../recipe.js';
import { buildFlow, standardisation } from '../flows.js';
import type { Progress } from '../types.js';
import { flowModeFraction, modeFraction } from '../modes.js';
import { flowImportanceRun } from './flowIs.js';
import { kernelChains } from './local.js';

const fabSchema = z
  .object({
    /** FAB gradient steps (each AIS iteration feeds `gradientStepsPerIteration` of them). */
    trainSteps: z.number().int().min(1).max(1_000_000).default(2000),
    batchSize: z.number().int().min(8).max(65_536).default(256),
    gradientStepsPerIteration: z.number().int().min(1).max(64).default(4),
    intermediateDistributions: z.number().int().min(1).max(256).default(8),
    transition: z.enum(['hmc', 'metropolis']).default('hmc'),
    leapfrogSteps: z.number().int().min(1).max(100).default(5),
    learningRate: z.number().positive().max(1).default(1e-3),
    layers: z.number().int().min(1).max(32).default(8),
    hidden: z.number().int().min(2).max(1024).default(64),
    /**
     * Lower bound of the initial flow's per-coordinate scale (the spread of the chains' start positions, at least
     * this). Raise it where the start is one point (many-well) so that the first AIS runs reach the other wells.
     */
    initialScale: z.number().positive().max(1e6).default(1),
  })
  .strict();
type FabParams = z.infer<typeof fabSchema>;

/** Trains a flow by FAB from the energy alone; every target evaluation of AIS is the row's setup. */
async function fabFlow(
  target: SamplerTarget,
  budget: SamplerBudget,
  o: FabParams,
  rng: Rng,
  progress: Progress,
): Promise<{ flow: TransformedDistribution; setup: number; essFraction: number }> {
  const dim = target.energy.dim;
  const x0 = target.start(budget.chains, rng);
  const { loc, scale } = standardisation((await x0.data()) as Float32Array, dim);
  x0.dispose();
  const flow = target.flow
    ? target.flow({ layers: o.layers, hidden: o.hidden }, rng.fork())
    : buildFlow(dim, { kind: 'realnvp', layers: o.layers, hidden: o.hidden, loc, scale: scale.map((s) => Math.max(s, o.initialScale)) }, rng.fork());
  const bar = progress.bar('training flow by FAB (energy only)', o.trainSteps);
  try {
    const r = await trainFAB(flow, target.energy, {
      ais: aisRunner({ intermediateDistributions: o.intermediateDistributions, transition: o.transition, leapfrogSteps: o.leapfrogSteps }),
      steps: o.trainSteps,
      batchSize: o.batchSize,
      gradientStepsPerIteration: o.gradientStepsPerIteration,
      learningRate: o.learningRate,
      clipGradNorm: 100,
      rng: rng.fork(),
      progressEvery: Math.max(1, Math.floor(o.trainSteps / 50)),
      onProgress: (p) => bar.update(p.step, { loss: p.loss }),
    });
    return { flow, setup: r.energyEvaluations, essFraction: r.lastAisEssFraction };
  } finally {
    bar.stop();
  }
}

const fabNote = (o: FabParams, setup: number, ownArchitecture = false) =>
  `Flow (${ownArchitecture ? "the target's" : 'RealNVP'} ${o.layers}×${o.hidden}) trained from the energy alone by FAB: AIS towards p²/q (${o.intermediateDistributions} intermediate distributions, ${o.transition}), prioritised replay, ${o.trainSteps} steps; its ${setup} evaluations are setup.`;

/** FAB's flow as an importance sampler. */
export const fabIs = defineRecipe({
  name: 'fab-is',
  description: 'flow trained by FAB from the energy alone, independent samples reweighted by exp(−u − log q)',
  schema: fabSchema,
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const o = ctx.params;
    const { flow, setup } = await fabFlow(target, budget, o, rng, ctx.progress);
    try {
      const run = await flowImportanceRun('fab-is', flow, target, budget.evaluations, rng, ctx.progress);
      return {
        ...run,
        setupEnergyEvaluations: setup,
        // The flow's own (unweighted) samples: the mode-collapse guard compares their mode fraction with the reference.
        flowModes: modeFraction(target.project ? target.project(run.draws) : run.draws, target.spec),
        settings: { ...o },
        notes: [fabNote(o, setup, target.flow !== undefined)],
      };
    } finally {
      flow.trainableVariables.forEach((v) => v.dispose());
    }
  },
});

/** FAB's flow as the proposal of independence Metropolis–Hastings, mixed with local moves. */
export const fabImh = defineRecipe({
  name: 'fab-imh',
  description: 'independence Metropolis–Hastings with a flow trained by FAB from the energy alone, mixed with local random-walk moves',
  schema: fabSchema
    .extend({
      flowProbability: z.number().min(0).max(1).default(0.5),
      localStepSize: z.number().positive().default(0.5),
      /** 'per-step' (default: one draw moves all chains) or 'per-chain' (each chain draws its move; mcmc's `mixtureKernel`). */
      kernelChoice: z.enum(['per-step', 'per-chain']).default('per-step'),
    })
    .strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const { flowProbability: p, localStepSize, kernelChoice, ...o } = ctx.params;
    const { flow, setup } = await fabFlow(target, budget, o, rng, ctx.progress);
    try {
      const kernel = mixtureKernel(
        [flowIndependenceProposal(flow, target.energy), randomWalkMetropolis(target.energy, { stepSize: localStepSize })],
        [p, 1 - p],
        { choice: kernelChoice },
      );
      const run = await kernelChains('fab-imh', kernel, target, budget, budget.warmup, rng, ctx.progress);
      return {
        ...run,
        setupEnergyEvaluations: run.setupEnergyEvaluations + setup,
        flowModes: await flowModeFraction(flow, target, rng.fork()),
        settings: {
          ...o,
          flowProbability: p,
          localStepSize,
          ...(kernelChoice === 'per-chain' ? { kernelChoice } : {}),
          chains: budget.chains,
          burnInSteps: budget.warmup,
        },
        notes: [fabNote(o, setup, target.flow !== undefined), 'Acceptance is averaged over flow and local moves.'],
      };
    } finally {
      flow.trainableVariables.forEach((v) => v.dispose());
    }
  },
});
