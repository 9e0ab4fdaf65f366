import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertFiniteTensor, assertInteger, BoltzflowError, type Rng } from '@boltzflow/core';
import { countingEnergy } from '@boltzflow/energies';
import { StochasticNormalizingFlow } from '@boltzflow/mcmc';
import { runObjective, type CommonTrainOptions, type PreparedStep, type TrainingObjective, type TrainResult } from './trainer.js';

/** Options of {@link trainSNF}: the optimiser loop's own, plus the number of paths per step and the loss mix. */
export interface TrainSNFOptions extends Omit<CommonTrainOptions, 'resumeFrom' | 'checkpoint' | 'validateEvery'> {
  /** Optimiser steps. Default 1000. */
  steps?: number;
  /** Forward paths per step (path-KL term). Default 256. */
  batchSize?: number;
  /**
   * Samples `[N, dim]` for maximum likelihood through the backward path (`mlLoss`); required when `weights.ml > 0`.
   * Their own cost is the caller's to count (they are not evaluated here beyond what the stochastic blocks need).
   */
  data?: tf.Tensor2D;
  /** Backward paths per step (ML term), drawn from `data` with replacement. Default `batchSize`. */
  mlBatchSize?: number;
  /** Loss = kl·klLoss + ml·mlLoss. Default `{ kl: 1, ml: 0 }`; with data, the paper's mix is e.g. `{ kl: 1, ml: 1 }`. */
  weights?: { kl?: number; ml?: number };
}

/** What {@link trainSNF} returns: the loop's result plus the target-energy evaluations the paths spent. */
export interface TrainSNFResult extends TrainResult {
  /** Target evaluations of all training paths, forward (KL) and backward (ML) together. */
  energyEvaluations: number;
}

/** Path KL plus ML through the backward path of a stochastic normalizing flow, as an objective of the one optimiser loop. */
class SnfPathObjective implements TrainingObjective {
  readonly hasValidation = false;
  readonly stepsPerEpoch = 0;
  readonly currentEpoch = 0;

  constructor(
    private readonly snf: StochasticNormalizingFlow,
    private readonly batchSize: number,
    private readonly kl: number,
    private readonly ml: number,
    private readonly data: tf.Tensor2D | undefined,
    private readonly mlBatchSize: number,
  ) {}

  get usesData(): boolean {
    return this.ml > 0;
  }

  init(): void {}

  prepareStep(_step: number, _totalSteps: number, rng: Rng): PreparedStep {
    let batch: tf.Tensor2D | undefined;
    if (this.ml > 0) {
      const n = this.data!.shape[0];
      const idx = Int32Array.from({ length: this.mlBatchSize }, () => rng.nextInt(0, n - 1));
      batch = tf.tidy(() => tf.gather(this.data!, tf.tensor1d(idx, 'int32')) as tf.Tensor2D);
    }
    return {
      endsEpoch: false,
      loss: () => {
        const kl = this.kl > 0 ? this.snf.klLoss(this.batchSize, rng) : undefined;
        const nll = batch ? this.snf.mlLoss(batch, rng) : undefined;
        const parts: tf.Scalar[] = [];
        if (kl) parts.push(tf.mul(kl, this.kl) as tf.Scalar);
        if (nll) parts.push(tf.mul(nll, this.ml) as tf.Scalar);
        const loss = parts.length === 1 ? parts[0] : (tf.addN(parts) as tf.Scalar);
        return { loss, ...(kl && this.ml > 0 ? { kl } : {}), ...(nll ? { nll } : {}) };
      },
      dispose: () => batch?.dispose(),
    };
  }

  validationNLL(): undefined {
    return undefined;
  }

  getState(): unknown {
    return null;
  }

  setState(): void {}

  dispose(): void {}
}

/**
 * End-to-end training of a stochastic normalizing flow (Wu, Köhler & Noé 2020) by the path KL
 * mean(−log w) = KL(forward path ‖ backward path) − log Z and, with `data` and `weights.ml > 0`, maximum likelihood
 * through the backward path (`mlLoss`, an upper bound on the NLL of the SNF's marginal), in the one optimiser loop of
 * this package. The ML term counters the mode-seeking of the path KL (it pulls mass onto every basin the data visit);
 * the paper trains with the same mix. Gradients reach
 * the flow layers through Langevin blocks by reparameterisation and through Metropolis blocks along the accepted
 * branch, as in the paper. Every target evaluation of the training paths is counted.
 */
export async function trainSNF(snf: StochasticNormalizingFlow, options: TrainSNFOptions = {}): Promise<TrainSNFResult> {
  if (!(snf instanceof StochasticNormalizingFlow)) {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a StochasticNormalizingFlow', {
      argument: 'snf',
      expected: 'StochasticNormalizingFlow',
      received: typeof snf,
    });
  }
  const batchSize = options.batchSize ?? 256;
  assertInteger(batchSize, 'batchSize', 1);
  const trainable = snf.trainableVariables;
  if (trainable.length === 0) {
    throw new BoltzflowError('INVALID_VALUE', 'The stochastic normalizing flow has no trainable layers', {
      argument: 'snf.trainableVariables',
      expected: 'at least one variable',
    });
  }
  // The same layers (and so the same variables) around a counted target: training updates `snf` itself.
  const counted = countingEnergy(snf.target);
  const view = new StochasticNormalizingFlow({ base: snf.base, target: counted, layers: snf.layers });
  const kl = options.weights?.kl ?? 1;
  const ml = options.weights?.ml ?? 0;
  if (!(kl >= 0) || !(ml >= 0) || !Number.isFinite(kl + ml) || kl + ml <= 0) {
    throw new BoltzflowError('INVALID_CONFIG', 'Loss weights must be finite, ≥ 0 and not both 0', {
      argument: 'weights',
      expected: '{ kl ≥ 0, ml ≥ 0 }, sum > 0',
      received: JSON.stringify(options.weights),
    });
  }
  const mlBatchSize = options.mlBatchSize ?? batchSize;
  assertInteger(mlBatchSize, 'mlBatchSize', 1);
  if (ml > 0) {
    if (!options.data) {
      throw new BoltzflowError('INVALID_CONFIG', 'Maximum likelihood through the backward path needs data', {
        argument: 'data',
        expected: '[N, dim] tensor',
        received: 'undefined',
      });
    }
    assertBatch(options.data, 'data', snf.dim);
    assertFiniteTensor(options.data, 'data');
  }
  const { steps, batchSize: _b, data: _d, mlBatchSize: _m, weights: _w, ...loop } = options;
  const result = await runObjective(
    new SnfPathObjective(view, batchSize, kl, ml, options.data, mlBatchSize),
    { trainable, nonTrainable: [] },
    { steps: steps ?? 1000 },
    { ...loop, updateSpectralNorm: false },
  );
  return { ...result, energyEvaluations: counted.counts.energy + counted.counts.gradient };
}
