import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { silentReporter } from '../../experiments/src/progress.js';
import { LIGHT_ENERGY_ONLY, resolveRun, type RunRequest } from '../src/targets.js';

const base: RunRequest = {
  target: 'double-well',
  preset: 'bg-paper',
  dim: 6,
  seed: 1,
  samplers: ['rwm-scan', 'flow-imh', 'fab-imh'],
  budget: 4000,
  chains: 8,
  trainingSteps: 30,
  rwmStep: 0.2,
};

describe('resolveRun: page fields → the CLI experiment and its parameters', () => {
  it('double well: the preset, the one-step rwm scan and the playground sizes of the energy-only recipes', () => {
    const r = resolveRun(base);
    const p = r.params as Record<string, any>;
    expect(r.name).toBe('double-well');
    expect(p.energy.preset).toBe('bg-paper');
    expect(p.rwm.scan).toEqual([0.2]);
    expect(p.training.steps).toBe(30);
    expect(p.fab.trainSteps).toBe(LIGHT_ENERGY_ONLY.fab.trainSteps);
    expect(p.globalLocal.trainingLoops).toBe(LIGHT_ENERGY_ONLY.globalLocal.trainingLoops);
  });

  it('Müller–Brown keeps its experiment’s baseParams (shorter length scale) under the page’s values', () => {
    const p = resolveRun({ ...base, target: 'mueller-brown' }).params as Record<string, any>;
    expect(p.flow.dataStepSize).toBe(0.3);
    expect(p.flowMcmc.localStepSize).toBe(0.1);
    expect(p.rwm.scan).toEqual([0.2]); // the page's array replaces the base scan, as in the CLI's deepMerge
    expect(p.budget).toBe(4000);
  });

  it('GMM and many-well map to gmm-40 and many-well-32 with the chosen d; a formula to the 2D comparison', () => {
    expect(resolveRun({ ...base, target: 'gmm' }).name).toBe('gmm-40');
    const mw = resolveRun({ ...base, target: 'many-well' });
    expect(mw.name).toBe('many-well-32');
    expect((mw.params as { dim: number }).dim).toBe(6);
    const f = resolveRun({ ...base, target: 'formula', formula: 'x1^2 + x2^2' });
    expect(f.name).toBe('playground-formula');
    expect(f.description).toContain('x1^2 + x2^2');
  });

  it('rejects an odd many-well dimension through the experiment schema', () => {
    expect(() => resolveRun({ ...base, target: 'many-well', dim: 5 })).toThrow();
  });

  it('a formula whose exact ΔF is not finite: the run rejects with a BoltzflowError naming formula, expected and received', async () => {
    // 800·x₁: exp(−u) on the grid's x₁ > 0 side is below exp(−3200) relative to its maximum, 0 in float64, so ΔF = +∞;
    // sqrt(x₁) is NaN for x₁ < 0, so ΔF is NaN. Both are finite at the probe point (0.1, 0.2) that compileFormula checks.
    for (const [formula, received] of [
      ['800*x1 + x2^2', 'Infinity'],
      ['sqrt(x1) + x2^2', 'NaN'],
    ]) {
      const run = resolveRun({ ...base, target: 'formula', formula }).run;
      const error = await run({ seed: 1, quick: false, rng: createRng(1), progress: silentReporter }).then(
        () => expect.unreachable(formula),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BoltzflowError);
      const e = error as BoltzflowError;
      expect(e.code).toBe('NON_FINITE');
      expect(e.details.argument).toBe('formula');
      expect(e.details.expected).toMatch(/finite/);
      expect(e.details.received).toBe(`${JSON.stringify(formula)}, whose ΔF by quadrature is ${received}`);
      expect(e.message).toContain("argument 'formula'");
      expect(e.message).toContain(`received ${JSON.stringify(formula)}`);
    }
  });
});
