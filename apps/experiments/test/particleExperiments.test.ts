import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend } from '@boltzflow/core';
import { runExperiment } from '../src/run.js';
import { silentReporter } from '../src/progress.js';
import { readResults, ResultsSchema } from '../src/results.js';
import { countingEnergy, interatomicDistances, LennardJones, MultiDoubleWell } from '@boltzflow/energies';
import { LJ13_ENERGY } from '../src/experiments/lj13.js';
import { histogram, loadReference, publishedNormalisedNLL, rwmChainData, totalVariation } from '../src/experiments/particleSystems.js';
import { MeanFreeNormal } from '@boltzflow/distributions';

const quick = async (name: string) => {
  const out = await mkdtemp(path.join(tmpdir(), `bf-${name}-`));
  const o = await runExperiment({ target: name, quick: true, out, noReport: true, reporter: silentReporter, seed: 3 });
  const back = await readResults(o.dir);
  expect(back.experiment).toBe(name);
  return ResultsSchema.parse(o.results);
};

beforeAll(async () => {
  await initBackend(); // whatever BOLTZFLOW_BACKEND selects (the test setup already initialised it)
});

describe('particle-system helpers', () => {
  it('pair distances of a unit square, histogram normalisation and TVD', () => {
    const d = interatomicDistances([0, 0, 1, 0, 1, 1, 0, 1], 4, 2).sort();
    expect(d.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(d[4]).toBeCloseTo(Math.SQRT2, 6);
    const h = histogram([0.1, 0.2, 0.9, 5], 0, 1, 2);
    expect(h).toEqual([0.5, 0.5]);
    expect(totalVariation([1, 0], [0, 1])).toBe(1);
  });

  it('bundled reference data are centred (centre of mass removed) and have the right width', () => {
    for (const [file, P, S] of [
      ['dw4-reference.json', 4, 2],
      ['lj13-reference.json', 13, 3],
    ] as const) {
      const r = loadReference(file, P * S);
      expect(r.n).toBeGreaterThan(1000);
      let worst = 0;
      for (let i = 0; i < r.n; i++)
        for (let a = 0; a < S; a++) {
          let m = 0;
          for (let p = 0; p < P; p++) m += r.samples[i * P * S + p * S + a];
          worst = Math.max(worst, Math.abs(m / P));
        }
      expect(worst).toBeLessThan(1e-3); // data rounded to 1e-3 or finer
    }
  });

  it('published NLLs (bgflow: unnormalised mean-free base) are shifted by exactly our base density’s log-normaliser', () => {
    for (const [P, S] of [
      [4, 2],
      [13, 3],
    ] as const) {
      const sys = { particles: P, spatialDim: S, published: { nll: 1.25, source: 'test' } };
      // −log N(0; 0, I) on the (P−1)·S-dim subspace, from the distribution itself.
      const zero = tf.zeros([1, P * S]) as tf.Tensor2D;
      const logNormaliser = -new MeanFreeNormal({ particles: P, spatialDim: S }).logProb(zero).dataSync()[0];
      expect(publishedNormalisedNLL(sys) - sys.published.nll).toBeCloseTo(logNormaliser, 4);
      zero.dispose();
    }
  });

  it('the lj13 experiment uses the energy convention its bundled data were generated in', async () => {
    const file = JSON.parse(await readFile(new URL('../data/lj13-reference.json', import.meta.url), 'utf8')) as {
      energy: { pairSum: string };
      meanEnergy: number;
      samples: number[][];
    };
    expect(file.energy.pairSum).toBe(LJ13_ENERGY.pairSum);
    const u = new LennardJones(LJ13_ENERGY).energy(tf.tensor2d(file.samples));
    // The file's mean energy was computed when the data were made; recompute it with the experiment's energy.
    expect(tf.mean(u).dataSync()[0]).toBeCloseTo(file.meanEnergy, 2);
    u.dispose();
  });
});

describe.each(['dw4', 'lj13'])('%s --quick', (name) => {
  it('valid results: RWM, flow IMH and flow IS rows at equal budget, test NLL and Kish ESS recorded', async () => {
    const r = await quick(name);
    expect(r.samplers.map((s) => s.sampler).sort()).toEqual(['flow-imh', 'flow-is', 'rwm']);
    const rwm = r.samplers.find((s) => s.sampler === 'rwm')!;
    const imh = r.samplers.find((s) => s.sampler === 'flow-imh')!;
    const is = r.samplers.find((s) => s.sampler === 'flow-is')!;
    // runToBudget stops at the first chunk that reaches the budget: both chains spend it, overshooting by < one chunk.
    const budget = (r.config as { params: { budget: number } }).params.budget;
    for (const s of [rwm, imh]) {
      expect(s.energyEvaluations).toBeGreaterThanOrEqual(budget);
      expect(s.acceptanceRate).toBeGreaterThan(0);
    }
    const extra = r.artifacts.extra as Record<string, unknown>;
    expect(Number.isFinite(extra.testNLL as number)).toBe(true);
    expect(is.metrics!.testNLL).toBe(extra.testNLL);
    expect(is.metrics!.kishESSFraction).toBeGreaterThan(0);
    expect(is.metrics!.kishESSFraction).toBeLessThanOrEqual(1);
    // Flow IS spends one energy evaluation per sample, so without an explicit isSamples the sample count is its budget.
    const isSamples = (r.config as { params: { isSamples?: number } }).params.isSamples ?? is.energyEvaluations;
    expect(is.metrics!.kishESSFraction).toBeCloseTo(is.ess / isSamples, 4);
    expect(r.training?.essFraction).toBeCloseTo(is.metrics!.kishESSFraction!, 4);
    for (const s of [rwm, imh]) if (s.ess > 0) expect(s.metrics!.evaluationsPerEffectiveSample).toBeCloseTo(s.energyEvaluations / s.ess, 2);
    const h = extra.histograms as Record<string, number[]>;
    for (const k of ['energyFlow', 'energyReference', 'distanceFlow', 'distanceReference']) expect(h[k].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  }, 600_000); // quick runs take ~30 s each on an idle 2-core machine; the margin is for a shared one
});

describe('dw4 with likelihood fine-tuning', () => {
  it('ML + reverse-KL steps after flow matching: KL batches counted as setup evaluations, KL(p‖q) estimate recorded', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'bf-dw4-lik-'));
    const config = path.join(out, 'config.json');
    const lik = { steps: 3, batchSize: 8, odeSteps: 2, klWeight: 0.5 };
    await writeFile(config, JSON.stringify({ experiment: 'dw4', quick: true, params: { samplers: ['flow-is'], training: { likelihood: lik } } }));
    const o = await runExperiment({ target: config, out: path.join(out, 'run'), noReport: true, reporter: silentReporter, seed: 4 });
    const r = ResultsSchema.parse(o.results);
    const quickSteps = (r.config as { params: { training: { steps: number } } }).params.training.steps;
    expect(r.training?.steps).toBe(quickSteps + lik.steps);
    expect(r.training?.energyEvaluations).toBe(lik.steps * lik.batchSize);
    const is = r.samplers.find((s) => s.sampler === 'flow-is')!;
    expect(is.setupEnergyEvaluations).toBe(lik.steps * lik.batchSize);
    const phases = new Set((r.artifacts.training ?? []).map((c) => c.phase));
    expect(phases.has('maximum likelihood + reverse KL (Hutchinson trace)')).toBe(true);
    const extra = r.artifacts.extra as Record<string, number>;
    // H = E_p[u] + log Z and NLL − H, recomputed from the recorded pieces.
    expect(extra.klDataToFlowEstimate).toBeCloseTo(extra.testNLL - extra.entropyEstimate, 3);
    expect(Number.isFinite(extra.entropyEstimate)).toBe(true);
  }, 600_000);
});

describe('dw4 from the energy alone (training.data: rwm-chains)', () => {
  it('rwmChainData: centre-of-mass-free rows, evaluations equal to a counting wrapper', () => {
    const u = countingEnergy(new MultiDoubleWell());
    const o = { chains: 6, burnIn: 5, thin: 3, startScale: 2, stepSize: 0.3 };
    const g = rwmChainData(u, { particles: 4, spatialDim: 2 }, 40, o, createRng(9));
    expect(g.data.length).toBe(40 * 8);
    for (let i = 0; i < 40; i++)
      for (let a = 0; a < 2; a++) {
        let m = 0;
        for (let p = 0; p < 4; p++) m += g.data[i * 8 + 2 * p + a];
        expect(Math.abs(m / 4)).toBeLessThan(1e-5);
      }
    expect(g.energyEvaluations).toBe(u.counts.energy + u.counts.gradient);
    // Initial state + burn-in + ⌈40 / 6⌉ · 3 steps, one evaluation per chain each.
    expect(g.energyEvaluations).toBe(6 * (1 + 5 + Math.ceil(40 / 6) * 3));
  });

  it('the flow rows count the chains as setup and are not oracle rows', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'bf-dw4-eo-'));
    const config = path.join(out, 'config.json');
    const rwm = { chains: 8, burnIn: 20, thin: 2 };
    await writeFile(
      config,
      JSON.stringify({
        experiment: 'dw4',
        quick: true,
        params: {
          samplers: ['flow-is'],
          budget: 200,
          testSamples: 10,
          flow: { hidden: 4, layers: 1, odeSteps: 1 },
          training: { data: 'rwm-chains', rwm, samples: 64, steps: 3, batchSize: 16 },
        },
      }),
    );
    const o = await runExperiment({ target: config, out: path.join(out, 'run'), noReport: true, reporter: silentReporter, seed: 5 });
    const r = ResultsSchema.parse(o.results);
    const gen = (r.artifacts.extra as { trainingDataGeneration: { rows: number; energyEvaluations: number } }).trainingDataGeneration;
    expect(gen.energyEvaluations).toBe(rwm.chains * (1 + rwm.burnIn + Math.ceil(gen.rows / rwm.chains) * rwm.thin));
    const is = r.samplers.find((s) => s.sampler === 'flow-is')!;
    expect(is.setupEnergyEvaluations).toBe(gen.energyEvaluations);
    expect(is.flags ?? []).not.toContain('oracle');
    expect(is.trainingData).toBe('mcmc');
  }, 600_000);
});
