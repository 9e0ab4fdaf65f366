import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentReporter } from '../src/progress.js';
import { runExperiment } from '../src/run.js';
import type { Results } from '../src/results.js';
import { dropTimings } from './timings.js';

/** Everything except timings. */
function withoutTimings(r: Results): unknown {
  return JSON.parse(JSON.stringify(r, dropTimings));
}

describe('reproducibility', () => {
  it('same seed and backend give the same results.json numbers (except timings)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-repro-'));
    const config = path.join(dir, 'tiny.json');
    await writeFile(
      config,
      JSON.stringify({
        experiment: 'double-well',
        params: {
          budget: 2000,
          chains: 8,
          samplers: ['rwm', 'rwm-scan', 'mala', 'replica-exchange', 'flow-is', 'latent-metropolis', 'flow-imh', 'snf'],
          training: { steps: 4, batchSize: 32 },
          flow: { dataSamples: 256, hidden: 8 },
          snf: { trainSteps: 3, trainBatchSize: 8, metropolisSteps: 4 },
        },
      }),
    );
    const run = (out: string) => runExperiment({ target: config, seed: 5, out: path.join(dir, out), reporter: silentReporter, noReport: true });
    const a = await run('a');
    const b = await run('b');
    expect(a.results.samplers).toHaveLength(8);
    expect(withoutTimings(b.results)).toEqual(withoutTimings(a.results));
    const c = await runExperiment({ target: config, seed: 6, out: path.join(dir, 'c'), reporter: silentReporter, noReport: true });
    expect(c.results.samplers[0].ess).not.toBe(a.results.samplers[0].ess);
  });
});
