// Browser-safe (no Node imports): the CLI's runner and the playground's worker both wrap an experiment's output into
// results.json with this one function, so the two never drift apart.
import { comparisonVerdicts, type SamplerResult } from '@boltzflow/samplers';
import type { ExperimentOutput } from './experiments/types.js';
import type { Results } from './results.js';

/** The results.json schema version written by this code. */
export const RESULTS_SCHEMA_VERSION = 1;

/** What the runner knows about a run besides the experiment's own output. */
export interface RunMetadata {
  experiment: string;
  /** Used when the output carries no description of its own. */
  description: string;
  params: Record<string, unknown>;
  seed: number;
  quick: boolean;
  backend: Results['backend'];
  libraryVersion: string;
  nodeVersion?: string;
  startedAt: Date;
  wallSeconds: number;
}

/** results.json of a finished run: the metadata around the experiment's output, plus the comparison verdicts. */
export function resultsFromOutput(run: RunMetadata, output: ExperimentOutput): Results {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    experiment: run.experiment,
    description: output.description ?? run.description,
    config: { experiment: run.experiment, seed: run.seed, quick: run.quick, params: run.params },
    seed: run.seed,
    quick: run.quick,
    backend: run.backend,
    libraryVersion: run.libraryVersion,
    ...(run.nodeVersion !== undefined ? { nodeVersion: run.nodeVersion } : {}),
    startedAt: run.startedAt.toISOString(),
    wallSeconds: run.wallSeconds,
    reference: output.reference,
    samplers: output.samplers,
    skipped: output.skipped,
    ...(output.training ? { training: output.training } : {}),
    ...(output.samplers.length > 0 ? { verdict: comparisonVerdicts(output.samplers as SamplerResult[], output.reference?.deltaF) } : {}),
    artifacts: output.artifacts,
  };
}
