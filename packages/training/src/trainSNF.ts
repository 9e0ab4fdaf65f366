import { assertInteger, BoltzflowError, type Rng } from '@boltzflow/core';
import { countingEnergy } from '@boltzflow/energies';
import { StochasticNormalizingFlow } from '@boltzflow/mcmc';
import { runObjective, type CommonTrainOptions, type PreparedStep, type TrainingObjective, type TrainResult } from './trainer.js';

/** Options of {@link trainSNF}: the optimiser loop's own, plus the number of paths per step. */
export interface TrainSNFOptions extends Omit<CommonTrainOptions, 'resumeFrom' | 'checkpoint' | 'validateEvery'> {
  /** Optimiser steps. Default 1000. */
  steps?: number;
  /** Paths per step. Default 256. */
  batchSize?: number;
}

/** What {@link trainSNF} returns: the loop's result plus the target-energy evaluations the paths spent. */
export interface TrainSNFResult extends TrainResult {
  energyEvaluations: number;
}

/** Path KL of a stochastic normalizing flow as an objective of the one optimiser loop. */
class SnfPathKlObjective implements TrainingObjective {
  readonly usesData = false;
  readonly hasValidation = false;
  readonly stepsPerEpoch = 0;
  readonly currentEpoch = 0;

  constructor(
    private readonly snf: StochasticNormalizingFlow,
    private readonly batchSize: number,
  ) {}

  init(): void {}

  prepareStep(_step: number, _totalSteps: number, rng: Rng): PreparedStep {
    return { endsEpoch: false, loss: () => ({ loss: this.snf.klLoss(this.batchSize, rng) }), dispose: () => {} };
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
 * mean(−log w) = KL(forward path ‖ backward path) − log Z, in the one optimiser loop of this package: gradients reach
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
  const { steps, batchSize: _b, ...loop } = options;
  const result = await runObjective(
    new SnfPathKlObjective(view, batchSize),
    { trainable, nonTrainable: [] },
    { steps: steps ?? 1000 },
    { ...loop, updateSpectralNorm: false },
  );
  return { ...result, energyEvaluations: counted.counts.energy + counted.counts.gradient };
}
