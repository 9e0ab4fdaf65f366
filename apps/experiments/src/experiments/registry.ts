import { BoltzflowError } from '@boltzflow/core';
import type { Experiment } from './types.js';
import { doubleWell } from './doubleWell.js';
import { muellerBrown } from './muellerBrown.js';
import { gmm40 } from './gmm40.js';
import { manyWell32 } from './manyWell32.js';
import { twoMoonsExperiment } from './twoMoons.js';
import { dw4 } from './dw4.js';
import { lj13 } from './lj13.js';
import { alanineDipeptideExperiment } from './alanineDipeptide.js';

/** The built-in experiments; add a new one by writing its file and listing it here. */
export const EXPERIMENTS: readonly Experiment<any>[] = [doubleWell, muellerBrown, gmm40, manyWell32, twoMoonsExperiment, dw4, lj13, alanineDipeptideExperiment];

export function findExperiment(name: string): Experiment<any> | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

export function getExperiment(name: string): Experiment<any> {
  const e = findExperiment(name);
  if (!e) {
    throw new BoltzflowError('INVALID_CONFIG', `Unknown experiment '${name}'`, {
      argument: 'experiment',
      expected: `one of ${EXPERIMENTS.map((x) => x.name).join(', ')}`,
      received: JSON.stringify(name),
    });
  }
  return e;
}
