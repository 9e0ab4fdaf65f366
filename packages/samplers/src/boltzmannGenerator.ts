import * as tf from '@tensorflow/tfjs';
import { disposeTree, type Bijector, type Energy, type Rng } from '@boltzflow/core';
import type { Chain } from '@boltzflow/bijectors';
import type { TransformedDistribution } from '@boltzflow/distributions';
import { randomWalkMetropolis } from '@boltzflow/mcmc';
import { train } from '@boltzflow/training';
import type { Progress, TrainingCurvePoint, TrainingSummary } from './types.js';
import { round } from './util.js';
import { buildFlow } from './flows.js';
import { runToBudgetAsync } from './runToBudget.js';

export interface BoltzmannGenerator {
  flow: TransformedDistribution;
  couplings: Bijector[];
  /**
   * The maximum-likelihood samples the flow was trained on `[N, dim]` (from the counted random walk: their cost is in
   * `training.energyEvaluations`); kept for samplers that train further on them (the SNF's ML through the backward path).
   * Freed by `dispose`.
   */
  data: tf.Tensor2D;
  training: TrainingSummary;
  curve: TrainingCurvePoint[];
  dispose(): void;
}

export interface BgOptions {
  layers: number;
  hidden: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  klWeight: number;
  mlWeight: number;
  /** Chains and step size of the random-walk run that produces the maximum-likelihood data. */
  dataChains: number;
  dataStepSize: number;
  dataSamples: number;
}

/**
 * Trains a Boltzmann generator by reverse KL plus maximum likelihood on MCMC samples (KL alone collapses onto the
 * deeper well on this system). The ML data come from a large-step random-walk run whose cost is counted as training.
 */
export async function trainBoltzmannGenerator(
  energy: Energy,
  o: BgOptions,
  rng: Rng,
  progress: Progress,
  coordinate = 0,
  threshold = 0,
  coordinateName = 'x₁',
): Promise<BoltzmannGenerator> {
  const t0 = performance.now();
  // Training data: a large-step random walk that crosses the barrier often; burn-in dropped, then thinned.
  const perChain = Math.ceil(o.dataSamples / o.dataChains);
  const thinBy = 5;
  const burn = 400;
  const x0 = tf.tidy(() => tf.mul(rng.normal([o.dataChains, energy.dim]), 1.5) as tf.Tensor2D);
  const dataBar = progress.bar('training data (rwm)', o.dataChains * (burn + perChain * thinBy));
  const run = await runToBudgetAsync(randomWalkMetropolis(energy, { stepSize: o.dataStepSize }), x0, o.dataChains * (burn + perChain * thinBy), rng, dataBar);
  dataBar.stop();
  x0.dispose();
  const [kept, chains, dim] = run.draws.shape;
  const rows: number[] = [];
  for (let i = burn; i < kept; i += thinBy)
    for (let c = 0; c < chains; c++) for (let j = 0; j < dim; j++) rows.push(run.draws.data[(i * chains + c) * dim + j]);
  const data = tf.tensor2d(rows, [rows.length / dim, dim]);
  disposeTree(run.finalState);

  // RealNVP (tanh conditioners, alternating masks); the SNF interleaves Metropolis blocks between its couplings.
  const flow = buildFlow(energy.dim, { kind: 'realnvp', layers: o.layers, hidden: o.hidden }, rng);
  const couplings = [...(flow.bijector as Chain).bijectors];
  const bar = progress.bar('training flow (KL+ML)', o.steps);
  const curve: TrainingCurvePoint[] = [];
  const result = await train(flow, {
    energy,
    data,
    weights: { ml: o.mlWeight, kl: o.klWeight },
    steps: o.steps,
    batchSize: o.batchSize,
    klBatchSize: o.batchSize,
    learningRate: o.learningRate,
    validationFraction: 0,
    rng,
    progressEvery: Math.max(1, Math.floor(o.steps / 100)),
    onProgress: (p) => {
      curve.push({
        step: p.step,
        phase: o.klWeight > 0 && o.mlWeight > 0 ? 'KL + ML' : o.klWeight > 0 ? 'KL' : 'ML',
        loss: Number.isFinite(p.loss) ? round(p.loss, 5) : null,
        essFraction: p.essFraction !== undefined && Number.isFinite(p.essFraction) ? round(p.essFraction, 5) : null,
      });
      bar.update(p.step, { loss: p.loss, ...(p.essFraction !== undefined ? { 'ESS/N': p.essFraction } : {}) });
    },
  });
  bar.stop();

  // Mode coverage: a high ESS alone does not show that both wells are covered.
  const probe = 4096;
  const s = flow.sample(probe, rng);
  const above = tf.tidy(() => tf.greater(s.slice([0, coordinate], [probe, 1]), threshold).sum());
  s.dispose();
  const col = (await above.data())[0];
  above.dispose();
  const klEvals = o.klWeight > 0 ? result.steps * o.batchSize : 0;
  return {
    flow,
    couplings,
    data,
    training: {
      steps: result.steps,
      energyEvaluations: run.energyEvaluations + klEvals,
      wallSeconds: (performance.now() - t0) / 1000,
      finalLoss: Number.isFinite(result.loss) ? result.loss : null,
      essFraction: result.essFraction !== undefined && Number.isFinite(result.essFraction) ? result.essFraction : null,
      modeFractions: { [`flow P(${coordinateName}>${threshold})`]: col / probe },
    },
    curve,
    dispose: () => {
      for (const c of couplings) c.dispose();
      data.dispose();
    },
  };
}
