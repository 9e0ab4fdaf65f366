import { z } from 'zod';
import { defineRecipe, type SamplerRecipe } from '../recipe.js';
import { buildFlow, standardisation } from '../flows.js';
import { globalLocalSampler } from '../globalLocalSampler.js';

const schema = z
  .object({
    localKernel: z.enum(['mala', 'rwm']).default('mala'),
    localStepSize: z.number().positive().default(0.3),
    localSteps: z.number().int().min(1).max(10_000).default(50),
    globalSteps: z.number().int().min(1).max(10_000).default(20),
    latentStepSize: z.number().positive().default(0.8),
    trainingLoops: z.number().int().min(1).max(1000).default(10),
    trainStepsPerLoop: z.number().int().min(1).max(100_000).default(100),
    learningRate: z.number().positive().max(1).default(2e-3),
    layers: z.number().int().min(1).max(32).default(6),
    hidden: z.number().int().min(2).max(1024).default(32),
  })
  .strict();

/**
 * The two faces of {@link globalLocalSampler} as recipes: its own flow, trained during the training loops from the
 * chains alone (no data, no shared flow), every training-loop evaluation counted as setup; production loops fill the
 * sampling budget.
 */
export function globalLocalRecipe(name: string, globalMove: 'flow-imh' | 'latent-metropolis', description: string): SamplerRecipe<typeof schema> {
  return defineRecipe({
    name,
    description,
    schema,
    needsFlow: false,
    async run(target, budget, rng, ctx) {
      const o = ctx.params;
      const dim = target.energy.dim;
      const x0 = target.start(budget.chains, rng);
      // Standardise the flow by where the chains start: the scale of the problem, learned from nothing else.
      const { loc, scale } = standardisation((await x0.data()) as Float32Array, dim);
      const flow = target.flow
        ? target.flow({ layers: o.layers, hidden: o.hidden }, rng.fork())
        : buildFlow(dim, { kind: 'realnvp', layers: o.layers, hidden: o.hidden, loc, scale: scale.map((s) => Math.max(s, 1)) }, rng.fork());
      const bar = ctx.progress.bar(`sampling ${name}`, o.trainingLoops);
      try {
        const r = await globalLocalSampler(flow, target.energy, x0, {
          localKernel: o.localKernel,
          localStepSize: o.localStepSize,
          localSteps: o.localSteps,
          globalSteps: o.globalSteps,
          globalMove,
          latentStepSize: o.latentStepSize,
          trainingLoops: o.trainingLoops,
          trainStepsPerLoop: o.trainStepsPerLoop,
          learningRate: o.learningRate,
          productionBudget: budget.evaluations,
          rng,
          onLoop: (rep) => bar.update(Math.min(rep.loop, o.trainingLoops), { acceptance: rep.globalAcceptance }),
        });
        return {
          kind: 'chains',
          draws: { data: r.samples.data, shape: r.samples.shape },
          energyEvaluations: r.energyEvaluations,
          setupEnergyEvaluations: r.setupEnergyEvaluations,
          acceptanceRate: r.globalAcceptance,
          settings: { ...o, chains: budget.chains, productionLoops: r.history.filter((h) => h.phase === 'production').length },
          metrics: { localAcceptance: r.localAcceptance, globalAcceptance: r.globalAcceptance },
          notes: [
            `Flow trained from the energy alone: ${o.trainingLoops} loops of ${o.localSteps} ${o.localKernel} + ${o.globalSteps} global steps, then ${o.trainStepsPerLoop} maximum-likelihood steps on the chains' positions; their ${r.setupEnergyEvaluations} evaluations are setup.`,
            'Acceptance is that of the global moves; production loops use the frozen flow.',
          ],
        };
      } finally {
        bar.stop();
        x0.dispose();
        flow.trainableVariables.forEach((v) => v.dispose());
      }
    },
  });
}
