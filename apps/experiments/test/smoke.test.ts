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
        // Every sampler lands within 1 % of the equal budget; the only row allowed off it says so (lj13's flow-is, whose
        // exact-trace log q limits it to isSamples flow samples).
        for (const s of out.samplers) {
          if (s.flags?.includes('off-budget')) expect(`${e.name}/${s.sampler}`).toBe('lj13/flow-is');
          // Tiny budgets (dw4, lj13: 100 evaluations over 4 chains) are finer than one step of all chains can be.
          else
            expect(Math.abs(s.energyEvaluations - params.budget!), `${e.name}/${s.sampler}: ${s.energyEvaluations} vs ${params.budget}`).toBeLessThanOrEqual(
              Math.max(0.01 * params.budget!, 2 * (params as { chains: number }).chains),
            );
        }
      }
    }, 300_000);
  }

  // Quick and full budgets by arithmetic: runToBudget stops within half a step of all chains, and a chain step of the
  // samplers costs one evaluation per chain (replica exchange: one per replica), so a budget that is a multiple of
  // chains × replicas lands exactly and any other within chains·replicas/2, which must stay within 1 %.
  for (const e of EXPERIMENTS) {
    it(`${e.name}: quick and full budgets are reachable within 1 %`, () => {
      for (const extra of [{}, e.quickParams ?? {}]) {
        const p = parseWith(e.params, deepMerge(e.baseParams ?? {}, extra), 'params') as {
          budget?: number;
          chains?: number;
          replicaExchange?: { temperatures?: number[]; replicas?: number };
        };
        if (p.budget === undefined || p.chains === undefined) continue;
        const replicas = p.replicaExchange?.temperatures?.length ?? p.replicaExchange?.replicas ?? 1;
        const step = p.chains * replicas;
        const off = p.budget % step === 0 ? 0 : step / 2;
        expect(off, `${e.name}: budget ${p.budget}, ${p.chains} chains × ${replicas}`).toBeLessThanOrEqual(0.01 * p.budget);
      }
    });
  }
});
