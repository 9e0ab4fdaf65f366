import { z } from 'zod';
import { Normal } from '@boltzflow/distributions';
import { mala, randomWalkMetropolis, smcSamplerAsync } from '@boltzflow/mcmc';
import { defineRecipe } from '../recipe.js';
import { standardisation } from '../flows.js';
import { round } from '../util.js';

/**
 * Sequential Monte Carlo with adaptive tempering from a broad Gaussian prior (fitted to where the chains start) to the
 * target: weighted particles and log Z with its error. A pilot run (setup) measures the cost per particle, so the
 * particle count fills the sampling budget.
 */
export const smc = defineRecipe({
  name: 'smc',
  description: 'sequential Monte Carlo with adaptive tempering (conditional ESS), resampling and tuned MCMC moves; log Z with its error',
  schema: z
    .object({
      kernel: z.enum(['mala', 'rwm']).default('mala'),
      mcmcSteps: z.number().int().min(0).max(100).default(5),
      targetEss: z.number().gt(0).lt(1).default(0.5),
      /** Prior width in units of the starting points' spread. */
      priorScale: z.number().positive().default(2),
      pilotParticles: z.number().int().min(8).max(4096).default(64),
    })
    .strict(),
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const o = ctx.params;
    const dim = target.energy.dim;
    const x0 = target.start(budget.chains, rng);
    const { loc, scale } = standardisation((await x0.data()) as Float32Array, dim);
    x0.dispose();
    const prior = new Normal({ loc, scale: scale.map((s) => Math.max(s, 1) * o.priorScale) });
    const kernel =
      o.kernel === 'mala'
        ? (e: Parameters<typeof mala>[0], p: { stepSize: number }) => mala(e, p)
        : (e: Parameters<typeof randomWalkMetropolis>[0], p: { stepSize: number }) => randomWalkMetropolis(e, p);
    const settings = { prior, kernel, mcmcSteps: o.mcmcSteps, targetEss: o.targetEss, rng };
    const pilot = await smcSamplerAsync(target.energy, { ...settings, particles: o.pilotParticles });
    pilot.samples.dispose();
    const particles = Math.max(2, Math.round((budget.evaluations / pilot.energyEvaluations) * o.pilotParticles));
    const bar = ctx.progress.bar('sampling smc', 1);
    const r = await smcSamplerAsync(target.energy, { ...settings, particles });
    bar.update(1, {});
    bar.stop();
    const data = (await r.samples.data()) as Float32Array;
    r.samples.dispose();
    return {
      kind: 'weighted',
      draws: { data: Float32Array.from(data), shape: [particles, 1, dim] },
      logWeights: Float64Array.from(r.logWeights),
      energyEvaluations: r.energyEvaluations,
      setupEnergyEvaluations: pilot.energyEvaluations,
      acceptanceRate: r.acceptance.length > 0 ? r.acceptance.reduce((a, b) => a + b, 0) / r.acceptance.length : null,
      settings: { particles, stages: r.betas.length - 1, resamplings: r.resamplings, kernel: o.kernel, mcmcSteps: o.mcmcSteps },
      metrics: {
        logZ: round(r.logZ, 6),
        logZStderr: round(r.logZError, 6),
        ...(target.referenceLogZ !== undefined ? { logZError: round(r.logZ - target.referenceLogZ, 6) } : {}),
      },
      notes: [`Adaptive tempering reached β = 1 in ${r.betas.length - 1} stages; a ${o.pilotParticles}-particle pilot (setup) sized the run to the budget.`],
    };
  },
});
