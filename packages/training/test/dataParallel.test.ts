import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError } from '@boltzflow/core';
import { AffineCoupling, Chain } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { DoubleWell } from '@boltzflow/energies';
import { DataParallelObjective, type DataParallelOptions } from '../src/dataParallel.js';
import { MixtureObjective, type ObjectiveConfig } from '../src/objective.js';
import { flowVariables, runObjective, train, trainKL, trainML, type TrainingObjective } from '../src/index.js';
import { residualCouplingFlow } from './fixtures/residualCouplingFlow.js';

const ENERGY_MODULE = new URL('./fixtures/doubleWellEnergy.ts', import.meta.url).pathname;
const ENERGY_ARGS = { a: 0, b: -4, c: 1, d: 1 };

/** A small RealNVP (two affine couplings) on a standard-normal base: rebuilt by the registries in worker threads. */
function realNVP(seed: number): TransformedDistribution {
  const rng = createRng(seed);
  const bij = new Chain([
    new AffineCoupling({ dim: 2, mask: [1, 0], hidden: [16, 16], activation: 'tanh', rng, outputScale: 0.5 }),
    new AffineCoupling({ dim: 2, mask: [0, 1], hidden: [16, 16], activation: 'tanh', rng, outputScale: 0.5 }),
  ]);
  return new TransformedDistribution(Normal.standard(2), bij);
}

function dataOf(n: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(createRng(seed).normal([n, 2]), tf.tensor1d([1.2, 0.6])), tf.tensor1d([0.8, -0.3])) as tf.Tensor2D);
}

function configFor(kind: 'ml' | 'kl' | 'mixed', data: tf.Tensor2D): ObjectiveConfig {
  const ml = kind !== 'kl';
  const kl = kind !== 'ml';
  return {
    ...(ml ? { data } : {}),
    validationFraction: 0,
    mlBatchSize: 37,
    weightML: ml ? (kind === 'mixed' ? 0.7 : 1) : 0,
    ...(kl ? { energy: new DoubleWell(ENERGY_ARGS) } : {}),
    klBatchSize: 53,
    weightKL: kl ? (kind === 'mixed' ? 1.3 : 1) : 0,
  };
}

const flat = (grads: tf.NamedTensorMap, vars: tf.Variable[]): Float32Array =>
  tf.tidy(() => tf.concat(vars.map((v) => tf.reshape(grads[v.name], [-1]))).dataSync() as Float32Array);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number): void {
  expect(got.length).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(rel * scale + 1e-7);
}

describe('data-parallel training (parallel: { workers })', () => {
  for (const kind of ['ml', 'kl', 'mixed'] as const) {
    it(`sums the shares' gradients to the single-thread full-batch gradient (${kind}, workers 2 and 3)`, async () => {
      const flow = realNVP(3);
      const { trainable, nonTrainable } = flowVariables(flow);
      const data = dataOf(200, 5);
      // Reference: the single-thread objective's loss on the full batch under tf.variableGrads, for the same seed.
      const single = new MixtureObjective(flow, configFor(kind, data));
      const rngRef = createRng(11);
      single.init(rngRef);
      // Two steps, so that the second one's ML rows come from the middle of the epoch's shuffle.
      const refs: Array<{ grad: Float32Array; stats: number[]; logWeights?: Float32Array }> = [];
      for (let s = 0; s < 2; s++) {
        const prepared = single.prepareStep(s, 2, rngRef);
        let stats: number[] = [];
        let logWeights: Float32Array | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = prepared.loss();
          stats = [out.nll ? out.nll.dataSync()[0] : NaN, out.kl ? out.kl.dataSync()[0] : NaN];
          logWeights = out.logWeights?.dataSync().slice() as Float32Array | undefined;
          return out.loss;
        }, trainable);
        prepared.dispose();
        refs.push({ grad: flat(grads, trainable), stats: [value.dataSync()[0], ...stats], logWeights });
        tf.dispose([value, ...Object.values(grads)]);
      }
      single.dispose();

      for (const workers of [2, 3]) {
        const options: DataParallelOptions = { workers, energyModule: ENERGY_MODULE, energyArgs: ENERGY_ARGS };
        const objective = new DataParallelObjective(new MixtureObjective(flow, configFor(kind, data)), { trainable, nonTrainable }, options);
        try {
          const rng = createRng(11);
          objective.init(rng);
          for (let s = 0; s < 2; s++) {
            const prepared = await objective.prepareStep(s, 2, rng);
            const out = await prepared.gradients!(trainable);
            prepared.dispose();
            const ref = refs[s];
            expectClose(flat(out.grads, trainable), ref.grad, 1e-5);
            expectClose([out.value.dataSync()[0]], [ref.stats[0]], 1e-5);
            if (kind !== 'kl') expectClose([out.nll!.dataSync()[0]], [ref.stats[1]], 1e-5);
            else expect(out.nll).toBeUndefined();
            if (kind !== 'ml') {
              expectClose([out.kl!.dataSync()[0]], [ref.stats[2]], 1e-5);
              expectClose(out.logWeights!.dataSync(), ref.logWeights!, 1e-5);
            } else expect(out.kl).toBeUndefined();
            tf.dispose([out.value, out.nll, out.kl, out.logWeights, ...Object.values(out.grads)].filter((t) => t !== undefined) as tf.Tensor[]);
          }
        } finally {
          await objective.close();
          objective.dispose();
        }
      }
      data.dispose();
      flow.dispose();
    });
  }

  it('trainKL with workers 1 and 2 gives the same loss history (spectral-norm flow: non-trainable state travels too)', async () => {
    const run = async (workers: number) => {
      const flow = residualCouplingFlow(4);
      const res = await trainKL(flow, new DoubleWell(ENERGY_ARGS), {
        steps: 12,
        batchSize: 96,
        learningRate: 5e-3,
        clipGradNorm: 50,
        seed: 9,
        progressEvery: 1,
        parallel: { workers, energyModule: ENERGY_MODULE, energyArgs: ENERGY_ARGS },
      });
      const weights = flowVariables(flow).nonTrainable.map((v) => Array.from(v.dataSync()));
      flow.dispose();
      return { losses: res.history.map((h) => h.loss), ess: res.history.map((h) => h.ess!), weights };
    };
    const one = await run(1);
    const two = await run(2);
    // Fixed shares, summed in thread order: the same seed and worker count give the same run exactly.
    expect((await run(2)).losses).toEqual(two.losses);
    expect(two.losses.length).toBe(12);
    expectClose(two.losses, one.losses, 1e-4);
    expectClose(two.ess, one.ess, 1e-3);
    for (let i = 0; i < one.weights.length; i++) expectClose(two.weights[i], one.weights[i], 1e-3);
  });

  it('train (mixed) and trainML run with workers and match the single-thread histories', async () => {
    const data = dataOf(300, 6);
    const runs: number[][] = [];
    for (const workers of [1, 2]) {
      const flow = realNVP(8);
      const res = await train(flow, {
        data,
        energy: new DoubleWell(ENERGY_ARGS),
        weights: { ml: 1, kl: 0.5 },
        batchSize: 64,
        klBatchSize: 32,
        steps: 6,
        // The KL target is annealed: worker threads temper their energy as the main thread does.
        temperatureSchedule: { from: 3, to: 1, steps: 4 },
        seed: 3,
        progressEvery: 1,
        parallel: { workers, energyModule: ENERGY_MODULE, energyArgs: ENERGY_ARGS },
      });
      runs.push(
        res.history.map((h) => h.loss),
        res.history.map((h) => h.nll!),
        res.history.map((h) => h.kl!),
      );
      flow.dispose();
    }
    for (let i = 0; i < 3; i++) expectClose(runs[3 + i], runs[i], 1e-4);
    const ml: number[][] = [];
    for (const workers of [1, 3]) {
      const flow = realNVP(8);
      const res = await trainML(flow, data, { batchSize: 50, epochs: 2, seed: 3, progressEvery: 1, parallel: { workers } });
      ml.push(
        res.history.map((h) => h.loss),
        res.history.filter((h) => h.validationNLL !== undefined).map((h) => h.validationNLL!),
      );
      flow.dispose();
    }
    expectClose(ml[2], ml[0], 1e-4);
    expectClose(ml[3], ml[1], 1e-4);
    data.dispose();
  });

  it('resumes a data-parallel run from its checkpoint to the weights of an uninterrupted single-thread run', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'boltzflow-ddp-'));
    const opts = { batchSize: 48, learningRate: 5e-3, seed: 4 };
    const parallel = { workers: 2, energyModule: ENERGY_MODULE, energyArgs: ENERGY_ARGS };
    const straight = realNVP(7);
    await trainKL(straight, new DoubleWell(ENERGY_ARGS), { ...opts, steps: 6 });
    const resumed = realNVP(7);
    await trainKL(resumed, new DoubleWell(ENERGY_ARGS), { ...opts, steps: 3, checkpoint: { dir, every: 3 }, parallel });
    const fresh = realNVP(99);
    await trainKL(fresh, new DoubleWell(ENERGY_ARGS), { ...opts, steps: 6, resumeFrom: dir, parallel });
    const want = flowVariables(straight).trainable.map((v) => Array.from(v.dataSync()));
    flowVariables(fresh).trainable.forEach((v, i) => expectClose(Array.from(v.dataSync()), want[i], 1e-4));
    for (const f of [straight, resumed, fresh]) f.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("keeps the worker threads' tensor counts flat across steps", async () => {
    const flow = realNVP(2);
    const data = dataOf(400, 2);
    const vars = flowVariables(flow);
    const objective = new DataParallelObjective(new MixtureObjective(flow, configFor('mixed', data)), vars, {
      workers: 3,
      energyModule: ENERGY_MODULE,
      energyArgs: ENERGY_ARGS,
    });
    const counts: number[][] = [];
    try {
      const rng = createRng(1);
      objective.init(rng);
      for (let s = 0; s < 6; s++) {
        const prepared = await objective.prepareStep(s, 6, rng);
        const out = await prepared.gradients!(vars.trainable);
        prepared.dispose();
        tf.dispose([out.value, out.nll, out.kl, out.logWeights, ...Object.values(out.grads)].filter((t) => t !== undefined) as tf.Tensor[]);
        counts.push(objective.pool!.workerTensors);
      }
    } finally {
      await objective.close();
      objective.dispose();
    }
    expect(counts[0].length).toBe(2);
    for (const c of counts.slice(2)) expect(c).toEqual(counts[1]);
    data.dispose();
    flow.dispose();
  });

  it('keeps the tensor count flat across steps', async () => {
    const flow = realNVP(2);
    const counts: number[] = [];
    await trainKL(flow, new DoubleWell(ENERGY_ARGS), {
      steps: 8,
      batchSize: 64,
      seed: 1,
      progressEvery: 1,
      afterStep: () => counts.push(tf.memory().numTensors),
      parallel: { workers: 2, energyModule: ENERGY_MODULE, energyArgs: ENERGY_ARGS },
    });
    expect(counts.length).toBe(8);
    expect(new Set(counts.slice(1)).size).toBe(1);
    flow.dispose();
  });

  /** Worker threads still alive in this process (their MessagePorts stay among the active handles until they end). */
  const liveThreads = (): string[] =>
    (process as unknown as { _getActiveHandles(): object[] })
      ._getActiveHandles()
      .map((h) => h.constructor?.name ?? '')
      .filter((n) => n === 'Worker' || n === 'MessagePort');

  it('terminates its worker threads after a run', async () => {
    const flow = realNVP(6);
    let during: string[] = [];
    await trainKL(flow, new DoubleWell(ENERGY_ARGS), {
      steps: 2,
      batchSize: 16,
      afterStep: () => {
        during = liveThreads();
      },
      // energyModule as a file URL (the other tests pass a path).
      parallel: { workers: 3, energyModule: new URL('./fixtures/doubleWellEnergy.ts', import.meta.url).href, energyArgs: ENERGY_ARGS },
    });
    flow.dispose();
    // The check sees the threads while they run (so that its empty answer afterwards means something).
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(liveThreads()).toEqual([]);
  });

  /** What `f` rejects with (undefined when it resolves). */
  const caught = async (f: () => Promise<unknown>): Promise<unknown> => {
    try {
      await f();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  const refused = async (f: () => Promise<unknown>, argument: string): Promise<void> => {
    const err = await caught(f);
    expect(isBoltzflowError(err), String(err)).toBe(true);
    expect((err as { details: { argument?: string } }).details.argument).toBe(argument);
    expect((err as Error).message).toContain(argument);
  };

  it('refuses bad parallel options with a BoltzflowError naming the argument', async () => {
    const flow = realNVP(1);
    const energy = new DoubleWell(ENERGY_ARGS);
    const kl = (parallel: unknown) => trainKL(flow, energy, { steps: 2, batchSize: 16, parallel: parallel as DataParallelOptions });
    await refused(() => kl({ workers: 0, energyModule: ENERGY_MODULE }), 'parallel.workers');
    await refused(() => kl({ workers: 1.5, energyModule: ENERGY_MODULE }), 'parallel.workers');
    await refused(() => kl({ workers: 2 }), 'parallel.energyModule');
    await refused(() => kl(2), 'parallel');
    await refused(() => kl({ workers: 2, energyModule: ENERGY_MODULE, energyExport: 'notAFactory' }), 'parallel.energyExport');
    await refused(() => kl({ workers: 2, energyModule: ENERGY_MODULE, energyExport: 'missing' }), 'parallel.energyExport');
    await refused(() => kl({ workers: 2, energyModule: '/nonexistent/energy.js' }), 'parallel.energyModule');
    await refused(() => kl({ workers: 2, energyModule: ENERGY_MODULE, energyArgs: { d: 'x' } }), 'parallel.energyArgs');
    await refused(() => kl({ workers: 2, energyModule: ENERGY_MODULE, energyArgs: () => 1 }), 'parallel.energyArgs');
    await refused(() => kl({ workers: 2, energyModule: ENERGY_MODULE, energyExport: 'oneDimensional' }), 'parallel.energyModule');
    // Objectives other than the ML/KL mixture (FAB, SNF, temperature-annealed) pass their options to the loop, which refuses.
    let disposed = false;
    const other = { dispose: () => (disposed = true) } as unknown as TrainingObjective;
    await refused(() => runObjective(other, flowVariables(flow), { steps: 1 }, { parallel: { workers: 2 } } as never), 'parallel');
    expect(disposed).toBe(true);
    flow.dispose();
    expect(liveThreads()).toEqual([]);
  });

  it('turns a worker thread failing mid-run into a BoltzflowError naming the thread, and terminates the threads', async () => {
    const flow = realNVP(5);
    const err = await caught(() =>
      trainKL(flow, new DoubleWell(ENERGY_ARGS), {
        steps: 5,
        batchSize: 16,
        parallel: { workers: 3, energyModule: ENERGY_MODULE, energyExport: 'failing' },
      }),
    );
    expect(isBoltzflowError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/worker thread [12] failed: .*energy evaluation failed in the worker/);
    flow.dispose();
    expect(liveThreads()).toEqual([]);
  });

  it('terminates its worker threads after a failure (DIVERGED)', async () => {
    const flow = realNVP(5);
    const err = await caught(() =>
      trainKL(flow, new DoubleWell(ENERGY_ARGS), {
        steps: 20,
        batchSize: 16,
        maxNonFiniteSteps: 2,
        afterStep: () => {
          // Poison the weights after the first update: the next steps' losses are NaN on every thread.
          flowVariables(flow).trainable[0].assign(tf.fill(flowVariables(flow).trainable[0].shape, NaN));
        },
        parallel: { workers: 2, energyModule: ENERGY_MODULE, energyArgs: ENERGY_ARGS },
      }),
    );
    expect(isBoltzflowError(err) && err.code).toBe('DIVERGED');
    flow.dispose();
    expect(liveThreads()).toEqual([]);
  });
});
