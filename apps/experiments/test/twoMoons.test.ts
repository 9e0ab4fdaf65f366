import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../src/run.js';
import { silentReporter } from '../src/progress.js';
import { readResults, ResultsSchema } from '../src/results.js';
import { logDensityFigure } from '../src/experiments/twoMoons.js';

const quick = async (name: string) => {
  const out = await mkdtemp(path.join(tmpdir(), `bf-${name}-`));
  const o = await runExperiment({ target: name, quick: true, out, noReport: true, reporter: silentReporter, seed: 3 });
  // What was written validates against the schema on the way back in.
  const back = await readResults(o.dir);
  expect(back.experiment).toBe(name);
  return ResultsSchema.parse(o.results);
};

describe('two-moons', () => {
  it('quick run: held-out NLL per model and a log-density figure', async () => {
    const r = await quick('two-moons');
    const models = r.artifacts.extra!.models as { model: string; heldOutNLL: number }[];
    expect(models.map((m) => m.model)).toEqual(['maf', 'realnvp', 'spline']);
    for (const m of models) expect(Number.isFinite(m.heldOutNLL)).toBe(true);
    expect(logDensityFigure(r)?.id).toBe('log-density');
  });
});
