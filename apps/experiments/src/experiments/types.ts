import type { z } from 'zod';
import type { Rng } from '@boltzflow/core';
import type { Reporter } from '../progress.js';
import type { Results } from '../results.js';
import type { Figure } from '../report/figures.js';

/** What an experiment hands back; the runner adds the metadata (name, seed, backend, timings) around it. */
export type ExperimentOutput = Pick<Results, 'reference' | 'samplers' | 'skipped' | 'artifacts'> & Partial<Pick<Results, 'training' | 'description'>>;

export interface ExperimentContext {
  seed: number;
  quick: boolean;
  /** The run's random stream, seeded by `seed`. */
  rng: Rng;
  progress: Reporter;
}

/**
 * A built-in experiment. `params` is a zod schema with defaults for every field, so `{}` is a full config;
 * `quickParams` are overrides applied under `--quick` before the user's own params (the user's values win).
 */
export interface Experiment<P = unknown> {
  name: string;
  description: string;
  params: z.ZodType<P>;
  /** Experiment-specific defaults on top of the schema's (e.g. step sizes for another length scale). */
  baseParams?: Record<string, unknown>;
  quickParams?: Record<string, unknown>;
  /**
   * Overrides on top of `quickParams` for the smoke test (test/smoke.test.ts): the smallest run that still goes through
   * every default sampler and figure, in seconds. Never used by the CLI, so `--quick` results do not depend on it.
   */
  tinyParams?: Record<string, unknown>;
  run(params: P, ctx: ExperimentContext): Promise<ExperimentOutput>;
  /** The report's figures; defaults to the standard figures of the artifacts. */
  figures?(results: Results): Figure[];
}

/** Keeps P typed at the definition site while the registry stores experiments uniformly. */
export function defineExperiment<P>(e: Experiment<P>): Experiment<P> {
  return e;
}
