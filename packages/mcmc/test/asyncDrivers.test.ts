import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng, disposeTree, type Energy } from '@boltzflow/core';
import { DoubleWell } from '@boltzflow/energies';
import {
  adaptStepSize,
  adaptStepSizeAsync,
  disposeStateExcept,
  mala,
  randomWalkMetropolis,
  replicaExchangeKernel,
  sampleChain,
  sampleChainAsync,
  smcSampler,
  smcSamplerAsync,
} from '../src/index.js';
import { Normal } from '@boltzflow/distributions';

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
