import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng, disposeTree, type Energy } from '@boltzflow/core';
import { DoubleWell } from '@boltzflow/energies';
import {
  adaptStepSize,
  adaptStepSizeAsync,
  captureChainCheckpoint,
  captureChainCheckpointAsync,
  coordinateCV,
  disposeStateExcept,
  langevinBlock,
  latentMetropolis,
  mala,
  metadynamics,
  metadynamicsAsync,
  metropolisBlock,
  mixtureKernel,
  nuts,
  randomWalkMetropolis,
  replicaExchange,
  replicaExchangeAsync,
  replicaExchangeKernel,
  resumeChain,
  resumeChainAsync,
  sampleChain,
  sampleChainAsync,
  smcSampler,
  smcSamplerAsync,
  StochasticNormalizingFlow,
  umbrellaSampling,
  umbrellaSamplingAsync,
  windowAdaptation,
  windowAdaptationAsync,
  type ChainCheckpoint,
  type MassMatrix,
} from '../src/index.js';
import { Normal } from '@boltzflow/distributions';
import { AffineBijector, flow } from './flowFixtures.js';

// Issue #20: the asynchronous drivers (await data(), which WebGPU in Node needs) run the same generators as the
// synchronous ones, so a seed must give the same bits either way — the equality is exact, not a tolerance.
const energy = new DoubleWell({ a: -0.5, b: -6, c: 1, d: 1 });

describe('asynchronous drivers equal the synchronous ones bit for bit', () => {
  it('sampleChain: RWM, MALA and replica exchange (whose swap reads go through Kernel.stepReads)', async () => {
    const kernels = [
      randomWalkMetropolis(energy, { stepSize: 0.5 }),
      mala(energy, { stepSize: 0.1 }),
      replicaExchangeKernel(energy, { temperatures: [1, 2, 4], kernel: (u, T) => randomWalkMetropolis(u, { stepSize: 0.5 * Math.sqrt(T) }) }),
    ];
    for (const kernel of kernels) {
      const runs = [];
      for (const mode of ['sync', 'async']) {
        const rng = createRng(1);
        const x0 = rng.normal([8, 2]) as tf.Tensor2D;
        const opts = { steps: 70, burnIn: 5, thin: 1, rng };
        const r = mode === 'sync' ? sampleChain(kernel as never, x0, opts) : await sampleChainAsync(kernel as never, x0, opts);
        runs.push({ samples: Array.from(r.samples.data), acc: r.acceptanceRate, evals: r.energyEvaluations });
        disposeStateExcept(r.finalState, undefined);
        x0.dispose();
      }
      expect(runs[1]).toEqual(runs[0]);
    }
  });

  it('adaptStepSize and SMC', async () => {
    const adapt = async (mode: string) => {
      const rng = createRng(2);
      const x0 = rng.normal([8, 2]) as tf.Tensor2D;
      const o = { warmup: 40, rng, targetAcceptance: 0.3, initialStepSize: 0.5 };
      const a = mode === 'sync' ? adaptStepSize(randomWalkMetropolis, energy, x0, o) : await adaptStepSizeAsync(randomWalkMetropolis, energy, x0, o);
      const x = Array.from(await a.state.x.data());
      disposeTree(a.state);
      x0.dispose();
      return { stepSize: a.stepSize, history: a.history, x };
    };
    expect(await adapt('async')).toEqual(await adapt('sync'));
    const smc = async (mode: string) => {
      const o = {
        prior: new Normal({ dim: 2, scale: 2 }),
        particles: 32,
        kernel: (e: Energy, p: { stepSize: number }) => mala(e, p),
        rng: createRng(3),
        mcmcSteps: 2,
      };
      const r = mode === 'sync' ? smcSampler(energy, o) : await smcSamplerAsync(energy, o);
      const x = Array.from(await r.samples.data());
      r.samples.dispose();
      return { x, logW: Array.from(r.logWeights), logZ: r.logZ, betas: r.betas };
    };
    expect(await smc('async')).toEqual(await smc('sync'));
  });
});

/**
 * Runs `fn` with `Tensor.dataSync` refusing every read but the finiteness flags of `requireFinite` (bool scalars, read
 * synchronously wherever the backend allows it), so that a stray synchronous read in an asynchronous path fails here
 * rather than only on WebGPU.
 */
async function withoutSyncReads<T>(fn: () => Promise<T>): Promise<T> {
  const proto = tf.Tensor.prototype as unknown as { dataSync: (this: tf.Tensor) => unknown };
  const original = proto.dataSync;
  proto.dataSync = function (this: tf.Tensor) {
    if (this.dtype === 'bool' && this.rank === 0) return original.call(this);
    throw new Error(`synchronous read of a ${this.dtype} [${this.shape.join(', ')}] tensor in an asynchronous path`);
  };
  try {
    return await fn();
  } finally {
    proto.dataSync = original;
  }
}

describe('asynchronous twins of window adaptation, NUTS, enhanced sampling, checkpoints and the SNF backward path', () => {
  const bits = (a: ArrayLike<number>) => Buffer.from(Float32Array.from(a).buffer).toString('hex');
  const dw1: Energy = {
    dim: 1,
    name: 'dw1',
    energy: (x) =>
      tf.tidy(() => {
        const v = tf.squeeze(x, [1]);
        return tf.sub(tf.sub(tf.pow(v, 4), tf.mul(6, tf.square(v))), tf.mul(0.5, v)) as tf.Tensor1D;
      }),
  };

  it('windowAdaptation (NUTS, diag and dense) then sampleChain with NUTS, and replicaExchange with NUTS rungs', async () => {
    const before = tf.memory().numTensors;
    const run = async (mode: string, kind: 'diag' | 'dense') => {
      const rng = createRng(5);
      const x0 = rng.normal([6, 2]) as tf.Tensor2D;
      const f = (p: { stepSize: number; massMatrix: MassMatrix }) => nuts(energy, { ...p, maxTreeDepth: 5 });
      const o = { steps: 60, rng, massMatrix: kind };
      const w = mode === 'sync' ? windowAdaptation(f, x0, o) : await withoutSyncReads(() => windowAdaptationAsync(f, x0, o));
      const r =
        mode === 'sync'
          ? sampleChain(w.kernel, w.state, { steps: 20, rng })
          : await withoutSyncReads(() => sampleChainAsync(w.kernel, w.state, { steps: 20, rng }));
      const out = {
        eps: w.stepSize,
        mass: w.massMatrix,
        evals: w.energyEvaluations,
        x: bits(await w.state.x.data()),
        samples: bits(r.samples.data),
        acc: r.acceptanceRate,
        chainEvals: r.energyEvaluations,
      };
      disposeTree(w.state);
      disposeTree(r.finalState);
      x0.dispose();
      return out;
    };
    for (const kind of ['diag', 'dense'] as const) {
      const sync = await run('sync', kind);
      expect(sync.mass).not.toEqual(
        kind === 'diag'
          ? [1, 1]
          : [
              [1, 0],
              [0, 1],
            ],
      ); // a slow window ran
      expect(await run('async', kind)).toEqual(sync);
    }
    const re = async (mode: string) => {
      const rng = createRng(6);
      const x0 = rng.normal([5, 2]) as tf.Tensor2D;
      const o = { temperatures: [1, 3], kernel: (u: Energy) => nuts(u, { stepSize: 0.2, maxTreeDepth: 4 }), x0, steps: 15, rng };
      const r = mode === 'sync' ? replicaExchange(energy, o) : await withoutSyncReads(() => replicaExchangeAsync(energy, o));
      const out = { samples: bits(r.samples.data), acc: r.acceptanceRate, evals: r.energyEvaluations, swaps: r.swapAcceptance };
      disposeStateExcept(r.finalState, undefined);
      x0.dispose();
      return out;
    };
    expect(await re('async')).toEqual(await re('sync'));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('kernels wrapping NUTS (mixtureKernel, latentMetropolis) pass its host reads through', async () => {
    const scale = new AffineBijector([0.1, -0.2], [1.2, 0.9], false);
    const kernels = [
      mixtureKernel(
        [nuts(energy, { stepSize: 0.2, maxTreeDepth: 4 }), mala(energy, { stepSize: 0.1 }), randomWalkMetropolis(energy, { stepSize: 0.5 })],
        [0.4, 0.3, 0.3],
      ),
      latentMetropolis(flow(scale), energy, (u) => nuts(u, { stepSize: 0.2, maxTreeDepth: 4 })),
    ];
    const before = tf.memory().numTensors;
    for (const kernel of kernels) {
      const runs = [];
      for (const mode of ['sync', 'async']) {
        const rng = createRng(12);
        const x0 = rng.normal([6, 2]) as tf.Tensor2D;
        const o = { steps: 20, rng };
        const r = mode === 'sync' ? sampleChain(kernel as never, x0, o) : await withoutSyncReads(() => sampleChainAsync(kernel as never, x0, o));
        runs.push({ samples: bits(r.samples.data), acc: r.acceptanceRate, evals: r.energyEvaluations });
        disposeStateExcept(r.finalState, undefined);
        x0.dispose();
      }
      expect(runs[1]).toEqual(runs[0]);
    }
    expect(tf.memory().numTensors).toBe(before);
    scale.dispose();
  });

  it('metadynamics and umbrella sampling', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.fill([4, 1], -1.7) as tf.Tensor2D;
    const metad = {
      cv: coordinateCV(0),
      hillHeight: 0.4,
      hillWidth: 0.15,
      depositEvery: 10,
      biasFactor: 12,
      kernel: (e: Energy) => randomWalkMetropolis(e, { stepSize: 0.25 }),
      steps: 200,
      grid: { min: -2.4, max: 2.4, count: 13 },
      x0,
    };
    const m = async (mode: string) => {
      const o = { ...metad, rng: createRng(7) };
      const r = mode === 'sync' ? metadynamics(dw1, o) : await withoutSyncReads(() => metadynamicsAsync(dw1, o));
      return { f: r.freeEnergy, hills: r.hills, acc: r.acceptance, evals: r.energyEvaluations };
    };
    const ms = await m('sync');
    expect(ms.hills[0].centers).toHaveLength(20);
    expect(await m('async')).toEqual(ms);
    const umbrella = {
      cv: coordinateCV(0),
      centers: [-1.5, 0, 1.5],
      kappa: 10,
      kernel: (e: Energy) => randomWalkMetropolis(e, { stepSize: 0.2 }),
      stepsPerWindow: 80,
      x0,
      bootstrap: 4,
      bins: { min: -2, max: 2, count: 8 },
    };
    const u = async (mode: string) => {
      const o = { ...umbrella, rng: createRng(8) };
      const r = mode === 'sync' ? umbrellaSampling(dw1, o) : await withoutSyncReads(() => umbrellaSamplingAsync(dw1, o));
      return { f: r.freeEnergy, err: r.freeEnergyError, acc: r.acceptance, evals: r.energyEvaluations, xi: r.windowSamples };
    };
    expect(await u('async')).toEqual(await u('sync'));
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('checkpoints taken by sampleChainAsync, captureChainCheckpointAsync and resumeChainAsync', async () => {
    const before = tf.memory().numTensors;
    const kernel = mala(energy, { stepSize: 0.2 });
    const x0 = tf.zeros([3, 2]) as tf.Tensor2D;
    const run = async (mode: string) => {
      const cps: ChainCheckpoint[] = [];
      const o = { steps: 40, burnIn: 5, rng: createRng(9), checkpointEvery: 20, onCheckpoint: (c: ChainCheckpoint) => cps.push(c) };
      const r = mode === 'sync' ? sampleChain(kernel, x0, o) : await withoutSyncReads(() => sampleChainAsync(kernel, x0, o));
      const res = mode === 'sync' ? resumeChain(cps[0], kernel) : await withoutSyncReads(() => resumeChainAsync(cps[0], kernel));
      const out = { samples: bits(r.samples.data), resumed: bits(res.samples.data), acc: res.acceptanceRate, cps };
      disposeTree(r.finalState);
      disposeTree(res.finalState);
      return out;
    };
    const sync = await run('sync');
    expect(sync.cps.map((c) => c.step)).toEqual([20, 40]);
    expect(sync.resumed).toBe(sync.samples);
    expect(await run('async')).toEqual(sync);
    // The capture alone, on a state outside any run.
    const state = kernel.init(x0);
    const accSum = tf.tensor1d([1, 2, 3]);
    const runInfo = { step: 1, steps: 2, burnIn: 0, thin: 1, accSum, energyEvaluations: 3, samples: new Float32Array(0), width: 2 };
    const c = await withoutSyncReads(() => captureChainCheckpointAsync(kernel, state, createRng(1), runInfo));
    expect(c).toEqual(captureChainCheckpoint(kernel, state, createRng(1), runInfo));
    expect(c.acceptedCounts).toEqual([1, 2, 3]);
    tf.dispose(accSum);
    disposeTree(state);
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('StochasticNormalizingFlow.backward and backwardAsync', async () => {
    const snf = new StochasticNormalizingFlow({
      base: new Normal({ dim: 2, scale: 1 }),
      target: energy,
      layers: [metropolisBlock({ lambda: 0.5, steps: 2, stepSize: 0.4 }), langevinBlock({ lambda: 1, steps: 2, stepSize: 0.05, metropolize: true })],
    });
    const x = createRng(10).normal([6, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const run = async (mode: string) => {
      const b =
        mode === 'sync'
          ? snf.backward(x, createRng(11), { perLayer: true })
          : await withoutSyncReads(() => snf.backwardAsync(x, createRng(11), { perLayer: true }));
      const out = {
        z0: bits(await b.z0.data()),
        logW: bits(await b.logWeights.data()),
        deltaS: await Promise.all(b.deltaS!.map(async (d) => bits(await d.data()))),
        acc: b.acceptance,
        evals: b.energyEvaluations,
      };
      tf.dispose([b.z0, b.logWeights, ...b.deltaS!]);
      return out;
    };
    const sync = await run('sync');
    expect(sync.acc!.every((a) => a !== null && a >= 0 && a <= 1)).toBe(true);
    expect(await run('async')).toEqual(sync);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
