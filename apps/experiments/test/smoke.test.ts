import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend } from '@boltzflow/core';
import { deepMerge, parseWith } from '../src/config.js';
import { EXPERIMENTS } from '../src/experiments/registry.js';
import { silentReporter } from '../src/progress.js';
import { ArtifactsSchema, SamplerResultSchema } from '../src/results.js';

/**
 * Every registered experiment runs end to end with its tiny parameters (quick params plus `tinyParams`): each default
 * sampler produces a row that passes the results schema, with its sampling budget spent. Catches experiments that the
 * slower tests never run (mueller-brown, gmm-40, many-well-32).
 */
describe('smoke: every registered experiment', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const e of EXPERIMENTS) {
    it(`${e.name} runs with a tiny budget`, async () => {
      expect(e.tinyParams, `${e.name} needs tinyParams`).toBeDefined();
      const merged = deepMerge(deepMerge(e.baseParams ?? {}, e.quickParams ?? {}), e.tinyParams ?? {});
      const params = parseWith(e.params, merged, 'params') as { samplers?: string[]; budget?: number };
      const out = await e.run(params, { seed: 1, quick: true, rng: createRng(1), progress: silentReporter });
      ArtifactsSchema.parse(out.artifacts);
      for (const s of out.samplers) {
        SamplerResultSchema.parse(s);
        expect(s.energyEvaluations, s.sampler).toBeGreaterThan(0);
      }
      if (params.samplers) {
        expect(out.samplers.map((s) => s.sampler).sort()).toEqual([...new Set(params.samplers)].sort());
        // Chain samplers spend at least the equal budget (runToBudget stops at the first chunk past it).
        for (const s of out.samplers) if (s.transitions !== null) expect(s.energyEvaluations, s.sampler).toBeGreaterThanOrEqual(params.budget!);
      }
    }, 300_000);
  }
});
