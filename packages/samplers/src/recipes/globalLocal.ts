import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BoltzflowError, type Rng } from '@boltzflow/core';
import { Mixture, type TransformedDistribution, VonMises } from '@boltzflow/distributions';
import { defineRecipe, type SamplerRecipe } from '../recipe.js';
import { buildFlow, standardisation, torusFlow } from '../flows.js';
import { round } from '../util.js';
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
    /**
     * Independent draws of the frozen flow after production for an importance-sampling log Z (metrics logZ,
     * logZStderr, logZError); they are taken out of the sampling budget. Default 0.
     */
    logZSamples: z.number().int().min(0).max(10_000_000).default(0),
    /** The flow trains on at most this many of the chains' most recent positions (current and past loops). */
    maxTrainingSamples: z.number().int().min(1).max(10_000_000).default(20_000),
    layers: z.number().int().min(1).max(32).default(6),
    hidden: z.number().int().min(2).max(1024).default(32),
    /** Couplings of the default flow (`buildFlow`; targets with their own `flow` ignore it): affine or rational-quadratic spline. */
    flowKind: z.enum(['realnvp', 'spline']).default('realnvp'),
    /** Spline bins and half-width (standardised units) of `flowKind: 'spline'`. */
    bins: z.number().int().min(2).max(64).default(8),
    bound: z.number().positive().default(5),
    /**
     * Where the chains start: 'target' (the target's `start`) or 'overdispersed' (the target's
     * `overdispersedStart`, default a Gaussian of `startScale` around the mean of its `start`), relaxed and burnt in
     * as setup before the training loops.
     */
    start: z.enum(['target', 'overdispersed']).default('target'),
    startScale: z.number().positive().default(2),
    relaxSteps: z.number().int().min(0).max(100_000).default(0),
    relaxMaxStep: z.number().positive().default(0.01),
    burnInSteps: z.number().int().min(0).max(100_000).default(0),
    /**
     * block-flowmc: weight of uniform draws of the block in its proposal (a defensive mixture, Hesterberg 1995): the
     * torus flow is fit to chains that are not yet in equilibrium, and the uniform part keeps them moving (and the
     * proposal's tails heavy) while it learns; 0 proposes from the flow alone.
     */
    uniformFraction: z.number().min(0).max(0.99).default(0.3),
  })
  .strict();

/** The uniform distribution on the torus (−π, π]^k. */
function uniformTorus(k: number): VonMises {
  return new VonMises({ loc: new Array<number>(k).fill(0), concentration: new Array<number>(k).fill(0) });
}

/** (1 − ε)·flow + ε·uniform on the torus; the flow alone for ε = 0. Its variables are the flow's. */
function defensive(flow: TransformedDistribution, epsilon: number): TransformedDistribution | Mixture {
  return epsilon > 0 ? new Mixture([flow, uniformTorus(flow.dim)], [1 - epsilon, epsilon]) : flow;
}

/** The parameters that act for this variant (a block recipe has no latent step, default flow or log Z draws). */
function settingsOf(o: z.infer<typeof schema>, coordinates: GlobalCoordinates): Record<string, unknown> {
  const unused =
    coordinates === 'all'
      ? ['uniformFraction']
      : [
          'latentStepSize',
          'flowKind',
          'bound',
          'logZSamples',
          'maxTrainingSamples',
          ...(coordinates === 'block-uniform' ? ['uniformFraction', 'layers', 'hidden', 'bins', 'trainingLoops', 'trainStepsPerLoop', 'learningRate'] : []),
        ];
  return Object.fromEntries(Object.entries(o).filter(([k]) => !unused.includes(k)));
}

/**
 * Which coordinates the global moves redraw: all of them (flowMC), or the target's `block` with a torus flow fit to
 * the chains ('block-flow') or with uniform draws and no flow ('block-uniform', the plain-MCMC baseline of the same
 * move).
 */
export type GlobalCoordinates = 'all' | 'block-flow' | 'block-uniform';

/**
 * The faces of {@link globalLocalSampler} as recipes: its own flow, trained during the training loops from the
 * chains alone (no data, no shared flow), every training-loop evaluation counted as setup; production loops fill the
 * sampling budget.
 */
export function globalLocalRecipe(
  name: string,
  globalMove: 'flow-imh' | 'latent-metropolis',
  description: string,
  coordinates: GlobalCoordinates = 'all',
): SamplerRecipe<typeof schema> {
  return defineRecipe({
    name,
    description,
    schema,
    needsFlow: false,
    needsBlock: coordinates !== 'all',
    async run(target, budget, rng, ctx) {
      const o = ctx.params;
      const dim = target.energy.dim;
      const x0 = target.start(budget.chains, rng);
      const overdispersed = o.start === 'overdispersed';
      const draw =
        target.overdispersedStart ??
        ((n: number, r: Rng): tf.Tensor2D => tf.tidy(() => tf.add(tf.mean(x0, 0, true), tf.mul(r.normal([n, dim]), o.startScale)) as tf.Tensor2D));
      // Standardise the flow by where the chains start: the scale of the problem, learned from nothing else.
      const placement = overdispersed ? draw(Math.max(256, budget.chains), rng.fork()) : x0;
      const block = target.block;
      if (coordinates !== 'all' && (!block || block.circular.some((c) => !c))) {
        placement !== x0 && placement.dispose();
        x0.dispose();
        throw new BoltzflowError('INVALID_CONFIG', `The ${name} recipe needs a block of angles on its target`, {
          argument: 'target.block',
          expected: 'a CoordinateBlock of angles (e.g. dihedralBlock of backbone torsions)',
          received: block ? `a block with non-circular coordinates` : 'none',
        });
      }
      // The flow this variant trains (or the uniform proposal); only the default flow needs the placement's scale.
      const buildOwnFlow = async (): Promise<TransformedDistribution | Mixture | VonMises> => {
        if (coordinates === 'block-uniform') return uniformTorus(block!.dim);
        if (coordinates === 'block-flow') {
          const angles = block!.read(placement);
          try {
            return defensive(
              torusFlow({ dim: block!.dim, layers: o.layers, hidden: o.hidden, bins: o.bins, data: angles, rng: rng.fork() }),
              o.uniformFraction,
            );
          } finally {
            angles.dispose();
          }
        }
        if (target.flow) return target.flow({ layers: o.layers, hidden: o.hidden }, rng.fork());
        const { loc, scale } = standardisation((await placement.data()) as Float32Array, dim);
        return buildFlow(
          dim,
          { kind: o.flowKind, layers: o.layers, hidden: o.hidden, bins: o.bins, bound: o.bound, loc, scale: scale.map((s) => Math.max(s, 1)) },
          rng.fork(),
        );
      };
      let flow: TransformedDistribution | Mixture | VonMises;
      try {
        flow = await buildOwnFlow();
      } finally {
        if (placement !== x0) placement.dispose();
      }
      // The uniform block proposal has nothing to learn: no training loops.
      const trainingLoops = coordinates === 'block-uniform' ? 0 : o.trainingLoops;
      const logZSamples = coordinates === 'all' ? o.logZSamples : 0;
      const bar = ctx.progress.bar(`sampling ${name}`, o.trainingLoops);
      try {
        const r = await globalLocalSampler(flow, target.energy, x0, {
          localKernel: o.localKernel,
          localStepSize: o.localStepSize,
          localSteps: o.localSteps,
          globalSteps: o.globalSteps,
          globalMove,
          latentStepSize: o.latentStepSize,
          trainingLoops,
          trainStepsPerLoop: o.trainStepsPerLoop,
          learningRate: o.learningRate,
          maxTrainingSamples: o.maxTrainingSamples,
          productionBudget: Math.max(1, budget.evaluations - logZSamples),
          logZSamples,
          ...(coordinates !== 'all' ? { block: block! } : {}),
          start: overdispersed ? 'overdispersed' : 'given',
          overdispersed: { draw, relaxSteps: o.relaxSteps, relaxMaxStep: o.relaxMaxStep, burnInSteps: o.burnInSteps },
          rng,
          onLoop: (rep) => bar.update(Math.min(rep.loop, trainingLoops), { acceptance: rep.globalAcceptance }),
        });
        return {
          kind: 'chains',
          draws: { data: r.samples.data, shape: r.samples.shape },
          energyEvaluations: r.energyEvaluations,
          setupEnergyEvaluations: r.setupEnergyEvaluations,
          acceptanceRate: r.globalAcceptance,
          settings: { ...settingsOf(o, coordinates), chains: budget.chains, productionLoops: r.history.filter((h) => h.phase === 'production').length },
          metrics: {
            localAcceptance: r.localAcceptance,
            globalAcceptance: r.globalAcceptance,
            startEnergyEvaluations: r.startEnergyEvaluations,
            ...(r.logZ
              ? {
                  logZ: round(r.logZ.logZ, 6),
                  logZStderr: round(r.logZ.stderr, 6),
                  ...(target.referenceLogZ !== undefined ? { logZError: round(r.logZ.logZ - target.referenceLogZ, 6) } : {}),
                }
              : {}),
          },
          notes: [
            ...(overdispersed
              ? [
                  `Overdispersed starts (${target.overdispersedStart ? "the target's broad start distribution" : `Gaussian of scale ${o.startScale} around the mean start`}), ${o.relaxSteps} relaxation + ${o.burnInSteps} ${o.localKernel} burn-in steps: ${r.startEnergyEvaluations} evaluations, counted in the setup.`,
                ]
              : []),
            ...(coordinates === 'block-uniform'
              ? [
                  `Global moves redraw the target's block of ${block!.dim} angles uniformly (the rest of each chain kept, Metropolis-within-Gibbs), ${o.globalSteps} after every ${o.localSteps} ${o.localKernel} steps; no flow, no training.`,
                ]
              : [
                  `Flow${coordinates === 'block-flow' ? ` on the target's block of ${block!.dim} angles (circular splines; its global moves redraw the block, the rest of each chain kept; proposals ${1 - o.uniformFraction} flow + ${o.uniformFraction} uniform)` : ''} trained from the energy alone: ${o.trainingLoops} loops of ${o.localSteps} ${o.localKernel} + ${o.globalSteps} global steps, then ${o.trainStepsPerLoop} maximum-likelihood steps on the chains' ${coordinates === 'block-flow' ? 'block values' : 'positions'}; their ${r.setupEnergyEvaluations} evaluations are setup.`,
                ]),
            coordinates === 'block-uniform'
              ? 'Acceptance is that of the global moves.'
              : 'Acceptance is that of the global moves; production loops use the frozen flow.',
          ],
        };
      } finally {
        bar.stop();
        x0.dispose();
        // The whole flow is this run's own: its variables and its constant tensors.
        flow.dispose();
      }
    },
  });
}
