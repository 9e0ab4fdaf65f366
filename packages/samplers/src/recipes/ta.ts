import { z } from 'zod';
import { trainTemperatureAnnealed, type TrainTemperatureAnnealedResult } from '@boltzflow/training';
import type { TransformedDistribution } from '@boltzflow/distributions';
import type { Rng } from '@boltzflow/core';
import { defineRecipe, type SamplerTarget, type SamplerBudget } from '../recipe.js';
import { buildFlow, standardisation } from '../flows.js';
import { modeFraction } from '../modes.js';
import type { Progress } from '../types.js';
import { round } from '../util.js';
import { flowImportanceRun } from './flowIs.js';

/** Parameters of the temperature-annealed flow (training's `trainTemperatureAnnealed`) and its importance sampling. */
export const taSchema = z
  .object({
    /** T₀ of the geometric ladder T_k = T₀^(1 − k/K); ignored when `temperatures` is given. */
    initialTemperature: z.number().gt(1).max(1e6).default(8),
    /** K, steps down the geometric ladder. */
    levels: z.number().int().min(1).max(200).default(6),
    /** The whole ladder T₀ > … > T_K = 1 instead of the geometric one. */
    temperatures: z.array(z.number().positive()).min(2).optional(),
    /** Reverse-KL steps against u/T₀. */
    klSteps: z.number().int().min(1).max(1_000_000).default(1000),
    klBatchSize: z.number().int().min(8).max(65_536).default(256),
    /** Flow samples weighted and resampled at each step down. */
    bufferSize: z.number().int().min(16).max(10_000_000).default(10_000),
    /** Maximum-likelihood steps on each resampled buffer. */
    stepsPerTemperature: z.number().int().min(1).max(1_000_000).default(200),
    batchSize: z.number().int().min(8).max(65_536).default(256),
    /** A step down below this Kish ESS fraction is reported as a collapse (the ladder too steep there). */
    minEssFraction: z.number().min(0).lt(1).default(0.01),
    /** 'warn' (default here: the row is still produced, the collapse is in its notes) or 'stop' (the row fails). */
    onEssCollapse: z.enum(['warn', 'stop']).default('warn'),
    learningRate: z.number().positive().max(1).default(1e-3),
    /** Flow family: RealNVP (affine couplings) or rational-quadratic spline couplings (bimodal marginals in one layer). */
    kind: z.enum(['realnvp', 'spline']).default('realnvp'),
    /** Spline bins and the half-width of the spline interval (in the flow's standardised coordinates). */
    bins: z.number().int().min(2).max(64).default(8),
    bound: z.number().positive().max(1e3).default(5),
    layers: z.number().int().min(1).max(32).default(8),
    hidden: z.number().int().min(2).max(1024).default(64),
    /** Lower bound of the initial flow's per-coordinate scale (its spread around the chains' start positions). */
    initialScale: z.number().positive().max(1e6).default(1),
    /** Flow samples of the importance-sampling run (one evaluation each); default: the comparison's budget. */
    samples: z.number().int().min(2).optional(),
  })
  .strict();
type TaParams = z.infer<typeof taSchema>;

/** Trains a flow by temperature annealing from the energy alone; every target evaluation of training is setup. */
async function taFlow(
  target: SamplerTarget,
  budget: SamplerBudget,
  o: TaParams,
  rng: Rng,
  progress: Progress,
): Promise<{ flow: TransformedDistribution; result: TrainTemperatureAnnealedResult }> {
  const dim = target.energy.dim;
  const x0 = target.start(budget.chains, rng);
  const { loc, scale } = standardisation(x0.dataSync() as Float32Array, dim);
  x0.dispose();
  const flow = target.flow
    ? target.flow({ layers: o.layers, hidden: o.hidden }, rng.fork())
    : buildFlow(
        dim,
        { kind: o.kind, layers: o.layers, hidden: o.hidden, bins: o.bins, bound: o.bound, loc, scale: scale.map((s) => Math.max(s, o.initialScale)) },
        rng.fork(),
      );
  const levels = o.temperatures ? o.temperatures.length - 1 : o.levels;
  const total = o.klSteps + levels * o.stepsPerTemperature;
  const bar = progress.bar('training flow by temperature annealing (energy only)', total);
  try {
    const result = await trainTemperatureAnnealed(flow, target.energy, {
      ...(o.temperatures ? { temperatures: o.temperatures } : { initialTemperature: o.initialTemperature, levels: o.levels }),
      klSteps: o.klSteps,
      klBatchSize: o.klBatchSize,
      bufferSize: o.bufferSize,
      stepsPerTemperature: o.stepsPerTemperature,
      batchSize: o.batchSize,
      minEssFraction: o.minEssFraction,
      onEssCollapse: o.onEssCollapse,
      learningRate: o.learningRate,
      clipGradNorm: 100,
      rng: rng.fork(),
      progressEvery: Math.max(1, Math.floor(total / 50)),
      onProgress: (p) => bar.update(p.step, { loss: p.loss, ...(p.temperature !== undefined ? { T: round(p.temperature, 3) } : {}) }),
      onTemperature: (t) =>
        progress.log(
          `  ta: T ${t.from.toPrecision(4)} → ${t.to.toPrecision(4)}: buffer ESS fraction ${t.essFraction.toFixed(4)}, log Z_T ${t.logZ.toFixed(4)}`,
        ),
    });
    return { flow, result };
  } catch (e) {
    flow.trainableVariables.forEach((v) => v.dispose());
    throw e;
  } finally {
    bar.stop();
  }
}

/** The temperature-annealed flow (TA-BG) as an importance sampler. */
export const taIs = defineRecipe({
  name: 'ta-is',
  description: 'flow trained by temperature annealing (TA-BG) from the energy alone, independent samples reweighted by exp(−u − log q)',
  schema: taSchema,
  needsFlow: false,
  async run(target, budget, rng, ctx) {
    const o = ctx.params;
    const { flow, result: r } = await taFlow(target, budget, o, rng, ctx.progress);
    try {
      const run = await flowImportanceRun('ta-is', flow, target, o.samples ?? budget.evaluations, rng, ctx.progress);
      const ladder = r.temperatures.map((t) => round(t, 4)).join(' → ');
      const steps = r.temperatureSteps.map((t) => `${round(t.to, 3)}: ${t.essFraction.toFixed(3)}`).join(', ');
      const { samples: _s, temperatures: _t, ...settings } = o;
      return {
        ...run,
        setupEnergyEvaluations: r.energyEvaluations,
        // The flow's own (unweighted) samples: the mode-collapse guard compares their mode fraction with the reference.
        flowModes: modeFraction(target.project ? target.project(run.draws) : run.draws, target.spec),
        settings: { ...settings, ...(o.temperatures ? { temperatures: ladder } : {}) },
        metrics: {
          ...run.metrics,
          setupGradientEvaluations: r.gradientEvaluations,
          lastBufferEssFraction: round(r.lastEssFraction, 6),
          trainingSeconds: round(r.seconds, 2),
        },
        notes: [
          `Flow (${target.flow ? "the target's" : o.kind === 'spline' ? `spline (${o.bins} bins)` : 'RealNVP'} ${o.layers}×${o.hidden}) trained from the energy alone by temperature annealing (TA-BG): ${o.klSteps} reverse-KL steps at T₀ = ${round(r.temperatures[0], 4)}, then ladder ${ladder} with ${o.stepsPerTemperature} maximum-likelihood steps on each buffer of ${o.bufferSize} resampled by weight; its ${r.energyEvaluations} evaluations (${r.gradientEvaluations} of them with ∇u) are setup.`,
          `Buffer Kish ESS fraction per temperature: ${steps}.`,
          ...r.warnings.map((w) => `ESS collapse: ${w}.`),
        ],
      };
    } finally {
      flow.trainableVariables.forEach((v) => v.dispose());
    }
  },
});
