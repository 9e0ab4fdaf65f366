// Long runs of the public entry points must leave tf.memory() where it started once the returned results are disposed,
// and must keep the tensor count flat while they run.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, disposeTree, tf, type Kernel } from '@boltzflow/core';
import { AffineCoupling, MLP } from '@boltzflow/bijectors';
import { Normal } from '@boltzflow/distributions';
import { DoubleWell, energyAndGrad, energyFromFunction } from '@boltzflow/energies';
import {
  flowIndependenceProposal,
  hmc,
  langevin,
  latentMetropolis,
  mala,
  metropolisBlock,
  randomWalkMetropolis,
  replicaExchange,
  replicaExchangeKernel,
  sampleChain,
  StochasticNormalizingFlow,
} from '@boltzflow/mcmc';
import { loadFlow, saveFlow, trainKL, trainML } from '@boltzflow/training';
import { disposeFlow, memorySnapshot, smallRealNVP } from './helpers.js';

const target = new DoubleWell();

function start(n: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(createRng(4).normal([n, 2]), 0.3), tf.tensor2d([[1.7, 0]])) as tf.Tensor2D);
}

describe('no tensor leaks in long runs', () => {
  for (const [name, kernel] of [
    ['randomWalkMetropolis', randomWalkMetropolis(target, { stepSize: 0.5 }), 0],
    ['mala', mala(target, { stepSize: 0.05 }), 0],
  ] as const) {
    it(`sampleChain + ${name}: 5000 steps on 64 chains keep numTensors flat and return to the start`, () => {
      const x0 = start(64);
      const before = memorySnapshot();
      const seen: number[] = [];
      const res = sampleChain(kernel as never, x0, {
        steps: 5000,
        thin: 50,
        rng: createRng(1),
        progressEvery: 250,
        onProgress: () => seen.push(tf.memory().numTensors),
      });
      expect(res.samples.shape).toEqual([100, 64, 2]);
      // Bounded while running: sampleChain holds at most one block of 64 kept draws as tensors before downloading them,
      // so the count may oscillate by that much but must not grow with the number of steps.
      expect(seen.length).toBe(20);
      expect(Math.max(...seen) - Math.min(...seen)).toBeLessThanOrEqual(64);
      disposeTree(res.finalState);
      expect(memorySnapshot()).toEqual(before);
      x0.dispose();
    });
  }

  it('trainKL (200 steps) and trainML (200 steps) on a small RealNVP return to the start', async () => {
    const flow = smallRealNVP();
    const data = start(512);
    const before = memorySnapshot();
    const kl = await trainKL(flow, target, { steps: 200, batchSize: 64, learningRate: 1e-3, seed: 1 });
    expect(Number.isFinite(kl.loss)).toBe(true);
    expect(memorySnapshot()).toEqual(before);
    const ml = await trainML(flow, data, { steps: 200, batchSize: 64, learningRate: 1e-3, seed: 2 });
    expect(Number.isFinite(ml.loss)).toBe(true);
    expect(memorySnapshot()).toEqual(before);
    data.dispose();
    disposeFlow(flow);
  });

  it('StochasticNormalizingFlow sample / klLoss / a training step return to the start', () => {
    const rng = createRng(3);
    const coupling = new AffineCoupling({ dim: 2, split: 1, hidden: [16, 16], activation: 'tanh', outputScale: 0.1, rng });
    const snf = new StochasticNormalizingFlow({
      base: new Normal({ dim: 2 }),
      target,
      layers: [coupling, metropolisBlock({ lambda: 0.5, steps: 5, stepSize: 0.25 }), metropolisBlock({ lambda: 1, steps: 5, stepSize: 0.25 })],
    });
    const before = memorySnapshot();
    for (let i = 0; i < 20; i++) {
      const s = snf.sample(128, rng, { perLayer: i % 2 === 0 });
      expect(s.x.shape).toEqual([128, 2]);
      disposeTree(s);
      snf.klLoss(128, rng).dispose();
    }
    expect(memorySnapshot()).toEqual(before);
    // Adam creates its slot variables on the first step; count from after that step.
    const opt = tf.train.adam(1e-3);
    opt.minimize(() => snf.klLoss(64, rng), false, coupling.trainableVariables);
    const afterFirst = memorySnapshot();
    for (let i = 0; i < 10; i++) opt.minimize(() => snf.klLoss(64, rng), false, coupling.trainableVariables);
    expect(memorySnapshot()).toEqual(afterFirst);
    opt.dispose();
    expect(memorySnapshot()).toEqual(before);
    coupling.dispose();
  });

  it('replicaExchange (3 rungs, 1000 steps) returns to the start', () => {
    const x0 = start(16);
    const before = memorySnapshot();
    const res = replicaExchange(target, {
      temperatures: [1, 2, 4],
      kernel: (e) => randomWalkMetropolis(e, { stepSize: 0.5 }),
      x0,
      steps: 1000,
      thin: 10,
      rng: createRng(8),
    });
    expect(res.swapAcceptance.every((a) => a >= 0 && a <= 1)).toBe(true);
    disposeTree(res.finalState);
    expect(memorySnapshot()).toEqual(before);
    x0.dispose();
  });

  it('building a report (experiments app writeReport) creates no tensors', async () => {
    const { writeReport } = await import('../../apps/experiments/src/report/index.js');
    const { syntheticResults } = await import('../../apps/experiments/test/syntheticResults.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bf-report-'));
    try {
      const before = memorySnapshot();
      const files = await writeReport(dir, syntheticResults());
      expect(files.html).toMatch(/report\.html$/);
      expect(memorySnapshot()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('no tensor leaks when building flows or when a step fails (issue #12)', () => {
  it('200 create/dispose cycles of a RealNVP leave numTensors unchanged (the MLP freed its initial tensors)', () => {
    smallRealNVP().dispose();
    const before = memorySnapshot();
    for (let i = 0; i < 200; i++) smallRealNVP(2, 2, 8, createRng(i)).dispose();
    expect(memorySnapshot()).toEqual(before);
  });

  it('an MLP rejected for a wrong mask (last layer) leaves numTensors unchanged', () => {
    const before = memorySnapshot();
    const ok = (i: number, o: number) => Array.from({ length: i }, () => new Array<number>(o).fill(1));
    expect(() => new MLP({ inputDim: 2, outputDim: 2, hidden: [4], masks: [ok(2, 4), ok(4, 3)] })).toThrow(/masks\[1\]/);
    expect(memorySnapshot()).toEqual(before);
  });

  it('loadFlow/dispose cycles leave numTensors unchanged', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bf-leak-'));
    try {
      const flow = smallRealNVP();
      await saveFlow(flow, dir);
      flow.dispose();
      const dispose = (f: unknown) => (f as { dispose(): void }).dispose();
      dispose((await loadFlow(dir)).flow);
      const before = memorySnapshot();
      for (let i = 0; i < 20; i++) dispose((await loadFlow(dir)).flow);
      expect(memorySnapshot()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * A quadratic energy that, once `fail` is set, lets `okCalls` more calls through and then returns the wrong shape
   * after making tensors (a typed error from energyFromFunction).
   */
  function failing(): { energy: ReturnType<typeof energyFromFunction>; control: { fail: boolean; okCalls: number } } {
    const control = { fail: false, okCalls: 0 };
    const energy = energyFromFunction(
      (x) => {
        const u = tf.sum(tf.mul(tf.square(x), 0.5), 1);
        const bad = control.fail && control.okCalls-- <= 0;
        return (bad ? tf.sum(u) : u) as tf.Tensor1D;
      },
      2,
      'failing',
    );
    return { energy, control };
  }

  it('energyAndGrad on a failing energy (autodiff tape abandoned mid-pass) leaves numTensors unchanged', () => {
    const { energy, control } = failing();
    control.fail = true;
    const x = start(8);
    const before = memorySnapshot();
    for (let i = 0; i < 5; i++) expect(() => energyAndGrad(energy, x)).toThrow(/wrong shape/);
    expect(memorySnapshot()).toEqual(before);
    x.dispose();
  });

  const flow = smallRealNVP(2, 2, 8, createRng(9));
  // [name, kernel factory, energy calls that still succeed in the failing step (replica exchange: rung 0 steps, rung 1 fails)]
  const kernels: [string, (e: ReturnType<typeof energyFromFunction>) => Kernel, number][] = [
    ['randomWalkMetropolis', (e) => randomWalkMetropolis(e, { stepSize: 0.5 }), 0],
    ['mala', (e) => mala(e, { stepSize: 0.1 }), 0],
    ['hmc', (e) => hmc(e, { stepSize: 0.1, numLeapfrogSteps: 3 }), 0],
    ['langevin baoab', (e) => langevin(e, { stepSize: 0.1, scheme: 'baoab' }), 0],
    ['flowIndependenceProposal', (e) => flowIndependenceProposal(flow, e), 0],
    ['latent MALA', (e) => latentMetropolis(flow, e, (t) => mala(t, { stepSize: 0.1 })), 0],
    ['replicaExchange', (e) => replicaExchangeKernel(e, { temperatures: [1, 2, 4], kernel: (et) => randomWalkMetropolis(et, { stepSize: 0.5 }) }) as never, 1],
  ];
  for (const [name, make, okCalls] of kernels) {
    it(`${name}: a step that fails leaves numTensors where it was, and so does sampleChain`, () => {
      const { energy, control } = failing();
      const kernel = make(energy);
      const x = start(8);
      const state = kernel.init(x);
      const before = memorySnapshot();
      control.fail = true;
      for (let i = 0; i < 3; i++) {
        control.okCalls = okCalls;
        expect(() => kernel.step(state, createRng(i))).toThrow(/wrong shape/);
      }
      expect(memorySnapshot()).toEqual(before);
      disposeTree(state);
      const beforeRun = memorySnapshot();
      control.okCalls = 4; // init and a step or two succeed, then a step fails inside sampleChain
      expect(() => sampleChain(kernel, x, { steps: 5, rng: createRng(1) })).toThrow(/wrong shape/);
      expect(memorySnapshot()).toEqual(beforeRun);
      x.dispose();
    });
  }
});
