import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { BoltzflowError } from '@boltzflow/core';
import { StochasticNormalizingFlow, langevinBlock, linearLambdas, metropolisBlock, type SnfLayer } from '@boltzflow/mcmc';
import { trainSNF } from '@boltzflow/training';
import { defineRecipe } from '../recipe.js';
import { CHUNK } from '../flowSamplers.js';

/** Appends a `[n, dim]` batch and its log-weights to host buffers (asynchronous reads), disposing the tensors. */
async function collect(xs: Float32Array[], lws: Float64Array[], x: tf.Tensor2D, logW: tf.Tensor1D): Promise<void> {
  try {
    const [xv, lv] = await Promise.all([x.data(), logW.data()]);
    xs.push(xv as Float32Array);
    lws.push(Float64Array.from(lv));
  } finally {
    x.dispose();
    logW.dispose();
  }
}

function concat<T extends Float32Array | Float64Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Defaults that distinguish the recipes built on the SNF path (see {@link snf} and {@link flowMcmcIs}). */
interface SnfDefaults {
  blocks: number;
  trainSteps: number;
  learningRate: number;
}

/** The stochastic block of each layer group: random-walk Metropolis, MALA, or unadjusted (overdamped) Langevin. */
function stochasticBlock(kind: 'metropolis' | 'mala' | 'langevin', lambda: number, steps: number, stepSize: number): SnfLayer {
  if (kind === 'metropolis') return metropolisBlock({ lambda, steps, stepSize });
  return langevinBlock({ lambda, steps, stepSize, metropolize: kind === 'mala' });
}

/** Per-block running sums: acceptance, mean and second moment of the block's log-weight contribution ΔS. */
interface BlockStats {
  kind: 'flow' | 'stochastic';
  lambda: number | null;
  acc: number;
  accN: number;
  sum: number;
  sumSq: number;
  n: number;
}

function snfRecipe(name: string, description: string, defaults: SnfDefaults) {
  return defineRecipe({
    name,
    description,
    schema: z
      .object({
        /**
         * Flow blocks (groups of the flow's couplings), each followed by a stochastic block at λ_k = k/blocks on
         * u_λ = (1 − λ)·u_prior + λ·u, the last at λ = 1 (at most one block per coupling).
         */
        blocks: z.number().int().min(1).max(16).default(defaults.blocks),
        /** The stochastic blocks' kernel: random-walk Metropolis (the paper's double well), MALA, or unadjusted Langevin. */
        block: z.enum(['metropolis', 'mala', 'langevin']).default('metropolis'),
        /** MCMC steps per stochastic block (the name predates MALA/Langevin blocks; it applies to all three). */
        metropolisSteps: z.number().int().min(1).max(200).default(20),
        /** Metropolis proposal σ, or Langevin time step τ (MALA/Langevin blocks). */
        stepSize: z.number().positive().default(0.25),
        /** End-to-end training steps of the couplings through the stochastic blocks (0 = none); its cost counts as setup. */
        trainSteps: z.number().int().min(0).max(10_000).default(defaults.trainSteps),
        /** Paths per training step, forward (KL) and backward (ML) each. */
        trainBatchSize: z.number().int().min(8).max(4096).default(64),
        learningRate: z.number().positive().max(1).default(defaults.learningRate),
        /** Weight of the path KL (mean −log w over forward paths). */
        klWeight: z.number().min(0).default(1),
        /**
         * Weight of maximum likelihood through the backward path on the flow's training data, where the setup has data
         * (their cost is the flow's setup); it counters the path KL's mode-seeking. Ignored (KL only) without data.
         */
        mlWeight: z.number().min(0).default(1),
      })
      .strict(),
    needsFlow: true,
    async run(target, budget, rng, ctx) {
      const o = ctx.params;
      const bg = await ctx.flow();
      const couplings = bg.couplings;
      if (!couplings || couplings.length === 0) {
        throw new BoltzflowError('INVALID_CONFIG', 'The snf sampler needs a flow built from layers', {
          argument: 'flow.couplings',
          expected: 'the flow’s bijectors in order',
          received: 'none',
        });
      }
      const energy = target.energy;
      const blocks = Math.min(o.blocks, couplings.length);
      const lambdas = linearLambdas(blocks);
      const layers: SnfLayer[] = [];
      // One entry per layer of the path: couplings (kind 'flow', λ null) and Metropolis blocks (kind 'stochastic').
      const stats: BlockStats[] = [];
      const fresh = (kind: BlockStats['kind'], lambda: number | null): BlockStats => ({ kind, lambda, acc: 0, accN: 0, sum: 0, sumSq: 0, n: 0 });
      for (let k = 0; k < blocks; k++) {
        const from = Math.floor((k * couplings.length) / blocks);
        const to = Math.floor(((k + 1) * couplings.length) / blocks);
        for (const c of couplings.slice(from, to)) {
          layers.push(c);
          stats.push(fresh('flow', null));
        }
        layers.push(stochasticBlock(o.block, lambdas[k], o.metropolisSteps, o.stepSize));
        stats.push(fresh('stochastic', lambdas[k]));
      }
      const model = new StochasticNormalizingFlow({ base: bg.flow.base, target: energy, layers });
      // Measure the cost per sample on a small batch (its cost counts as setup), then size the batches to the budget.
      const probe = model.sample(16, rng);
      const perSample = probe.energyEvaluations / 16;
      tf.dispose([probe.x, probe.logWeights, probe.energy]);
      // Fine-tune the couplings end to end through the stochastic layers (Wu et al.: the path KL); without this the
      // intermediate u_λ do not match the partially transformed samples and the path weights degenerate.
      let trainEvals = 0;
      const data = bg.data;
      const mlWeight = data ? o.mlWeight : 0;
      let finalLoss: number | null = null;
      if (o.trainSteps > 0 && o.klWeight + mlWeight > 0) {
        const bar = ctx.progress.bar(mlWeight > 0 ? `training ${name} (path KL + ML)` : `training ${name} (path KL)`, o.trainSteps);
        const trained = await trainSNF(model, {
          steps: o.trainSteps,
          batchSize: o.trainBatchSize,
          learningRate: o.learningRate,
          weights: { kl: o.klWeight, ml: mlWeight },
          ...(mlWeight > 0 ? { data } : {}),
          rng,
          progressEvery: 1,
          onProgress: (p) => bar.update(p.step, { loss: p.loss }),
        });
        bar.stop();
        trainEvals = trained.energyEvaluations;
        finalLoss = Number.isFinite(trained.loss) ? trained.loss : null;
      }
      const total = Math.max(1, Math.floor(budget.evaluations / perSample));
      const xs: Float32Array[] = [];
      const lws: Float64Array[] = [];
      let evals = 0;
      let done = 0;
      let accSum = 0;
      let accN = 0;
      const bar = ctx.progress.bar(`sampling ${name}`, budget.evaluations);
      while (done < total) {
        const n = Math.min(Math.max(64, Math.floor(CHUNK / 4)), total - done);
        const s = await model.sampleAsync(n, rng, { perLayer: true });
        evals += s.energyEvaluations;
        (s.acceptance ?? []).forEach((a, i) => {
          if (a === null) return;
          accSum += a * n;
          accN += n;
          stats[i].acc += a * n;
          stats[i].accN += n;
        });
        const deltaS = await Promise.all((s.deltaS ?? []).map((d) => d.data()));
        deltaS.forEach((values, i) => {
          for (const v of values) {
            stats[i].sum += v;
            stats[i].sumSq += v * v;
            stats[i].n++;
          }
        });
        if (s.deltaS) tf.dispose(s.deltaS);
        s.energy.dispose();
        await collect(xs, lws, s.x, s.logWeights);
        done += n;
        bar.update(evals, { acceptance: accN > 0 ? accSum / accN : 0 });
      }
      bar.stop();
      // Per-block report, flat for the results table: λ, acceptance, mean and variance of each block's ΔS (a flow
      // block groups the couplings before one stochastic block; its ΔS is their summed log|det J| statistics).
      const perBlock: Record<string, number> = {};
      const kernelName = o.block === 'metropolis' ? 'Metropolis' : o.block === 'mala' ? 'MALA' : 'Langevin';
      const stepName = o.block === 'metropolis' ? 'σ' : 'τ';
      const notes: string[] = [];
      let b = 0;
      let flowSum = 0;
      let flowN = 0;
      for (const st of stats) {
        if (st.kind === 'flow') {
          flowSum += st.sum;
          flowN = st.n;
          continue;
        }
        b++;
        const mean = st.n > 0 ? st.sum / st.n : 0;
        const variance = st.n > 1 ? Math.max(0, st.sumSq / st.n - mean * mean) : 0;
        perBlock[`block${b}.lambda`] = st.lambda ?? 1;
        perBlock[`block${b}.acceptance`] = st.accN > 0 ? st.acc / st.accN : 0;
        perBlock[`block${b}.meanDeltaS`] = mean;
        perBlock[`block${b}.varDeltaS`] = variance;
        if (flowN > 0) perBlock[`block${b}.flowMeanLogDet`] = flowSum / flowN;
        notes.push(
          `block ${b}: λ = ${(st.lambda ?? 1).toFixed(3)}, acceptance ${(st.accN > 0 ? st.acc / st.accN : 0).toFixed(3)}, ` +
            `${kernelName} ΔS mean ${mean.toFixed(3)} var ${variance.toFixed(3)}` +
            (flowN > 0 ? `, preceding couplings' mean log|det J| ${(flowSum / flowN).toFixed(3)}` : ''),
        );
        flowSum = 0;
        flowN = 0;
      }
      return {
        kind: 'weighted',
        description:
          blocks === 1
            ? `stochastic normalizing flow: the trained flow followed by ${o.metropolisSteps} ${kernelName} steps (${stepName} = ${o.stepSize}) on the target, path-weighted`
            : `stochastic normalizing flow: the couplings in ${blocks} flow blocks, each followed by ${o.metropolisSteps} ${kernelName} steps (${stepName} = ${o.stepSize}) on u_λ (λ linear to 1), path-weighted`,
        draws: { data: concat(xs, (n) => new Float32Array(n)), shape: [done, 1, energy.dim] },
        logWeights: concat(lws, (n) => new Float64Array(n)),
        energyEvaluations: evals,
        setupEnergyEvaluations: probe.energyEvaluations + trainEvals,
        acceptanceRate: accN > 0 ? accSum / accN : null,
        settings: {
          blocks,
          block: o.block,
          metropolisSteps: o.metropolisSteps,
          stepSize: o.stepSize,
          samples: done,
          pathKlTrainingSteps: o.trainSteps,
          klWeight: o.klWeight,
          mlWeight,
          ...(finalLoss !== null ? { trainingLoss: finalLoss } : {}),
          ...perBlock,
        },
        notes: [
          ...notes,
          o.trainSteps > 0
            ? `Couplings initialised from the shared flow, then trained end to end for ${o.trainSteps} steps with the stochastic blocks in place: ` +
              `${o.klWeight}·path KL${mlWeight > 0 ? ` + ${mlWeight}·ML through the backward path on the flow's ${data!.shape[0]} training samples` : ''}` +
              `${o.mlWeight > 0 && !data ? ' (no training data in this setup: path KL only, which is mode-seeking)' : ''}; its evaluations are setup.`
            : 'Couplings from the shared flow, not trained end to end.',
        ],
      };
    },
  });
}

/**
 * Stochastic normalizing flow as Wu, Köhler & Noé (2020) built it, by default: the shared flow's couplings in 3 flow
 * blocks, each followed by 20 Metropolis steps (σ = 0.25) on u_λ = (1 − λ)·u_prior + λ·u at λ = 1/3, 2/3, 1, trained end
 * to end for 300 steps by path KL + ML through the backward path on the flow's training data (the data's cost is the
 * flow's setup; the training paths' evaluations are this row's setup). Path weights make the estimates exact; the
 * budget fixes how many samples are drawn. Run it last in a comparison: its training changes the shared couplings.
 * Settings report per block λ, acceptance and the block's ΔS mean/variance; `block: 'mala' | 'langevin'` swaps the kernel.
 */
export const snf = snfRecipe(
  'snf',
  'stochastic normalizing flow: flow blocks interleaved with Metropolis blocks at intermediate λ, trained end to end, path-weighted',
  {
    blocks: 3,
    trainSteps: 300,
    learningRate: 2e-3,
  },
);

/**
 * The flow followed by Metropolis steps at the target (λ = 1), path-weighted, no end-to-end training: flow importance
 * sampling with an MCMC correction. Issue #22's name for what the `snf` row used to be.
 */
export const flowMcmcIs = snfRecipe(
  'flow-mcmc-is',
  'the trained flow followed by Metropolis steps on the target, path-weighted (a one-block SNF without end-to-end training)',
  { blocks: 1, trainSteps: 0, learningRate: 5e-4 },
);
