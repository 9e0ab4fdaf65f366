// Regression tests of issue #12 (checkpoints and the training loop): manifest bit flips and hand edits, unbounded
// numbers, prototype names, orphaned files, shapes before building, and training-loop errors.
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError, type SerializedConfig } from '@boltzflow/core';
import {
  AffineCoupling,
  Chain,
  ContinuousFlow,
  EGNNVectorField,
  MaskedAutoregressiveFlow,
  MLPVectorField,
  neuralSplineFlow,
  realNVP,
  ResidualFlow,
} from '@boltzflow/bijectors';
import { Normal, TransformedDistribution } from '@boltzflow/distributions';
import { energyFromFunction } from '@boltzflow/energies';
import { CHECKPOINT_TMP_PREFIX, loadFlow, minimumParameterCount, readCheckpoint, saveFlow, train, trainKL, type TrainOptions } from '../src/index.js';
import { affineFlow, weightsOf } from './affineFlow.js';
import { gaussianData } from './gaussian.js';

const tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'boltzflow-ckpt-int-'));
afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});
let dirCounter = 0;
const freshDir = (): string => path.join(tmpRoot, `c${dirCounter++}`);

const energy = energyFromFunction((x) => tf.tidy(() => tf.mul(tf.sum(tf.square(tf.sub(x, tf.tensor1d([1, -1]))), 1), 0.5) as tf.Tensor1D), 2, 'shifted');

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message: string; details?: Record<string, unknown> } | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (!isBoltzflowError(e)) throw e; // untyped errors (TypeError, …) fail the test
    return e as never;
  }
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const manifestPath = (dir: string): string => path.join(dir, 'manifest.json');
const readManifest = async (dir: string): Promise<Record<string, any>> => JSON.parse(await fs.readFile(manifestPath(dir), 'utf8'));

/** A deliberate edit with every checksum recomputed here (SHA-256 of the manifest JSON without its checksum field). */
async function writeResealed(dir: string, m: Record<string, any>): Promise<void> {
  const { manifestSha256: _, ...rest } = m;
  await fs.writeFile(manifestPath(dir), JSON.stringify({ ...rest, manifestSha256: sha(JSON.stringify(rest, null, 1)) }, null, 1));
}

/** A checkpoint with optimizer, RNG, step and extra, as training writes it. */
async function savedCheckpoint(): Promise<{ dir: string; dispose: () => void }> {
  const dir = freshDir();
  const flow = affineFlow(2, { shift: [0.3, -0.2], logDiag: [0.1, -0.3] });
  const optimizer = tf.train.adam(0.01);
  const x = tf.tensor2d([
    [0.5, 1],
    [-1, 2],
    [0.1, 0.1],
  ]);
  for (let i = 0; i < 3; i++) optimizer.minimize(() => tf.neg(tf.mean(flow.logProb(x))) as tf.Scalar, false, flow.trainableVariables);
  const rng = createRng(42);
  rng.normalArray(17);
  await saveFlow(flow, dir, { optimizer, rng, step: 3, extra: { training: { note: 'hi' } } });
  x.dispose();
  optimizer.dispose();
  return { dir, dispose: () => flow.dispose() };
}

/** Everything a resume depends on, to compare a loaded checkpoint with the original. */
async function fingerprint(dir: string): Promise<string> {
  const l = await loadFlow(dir);
  const opt = l.optimizer ? await l.optimizer.getWeights() : [];
  const state = {
    step: l.step,
    weights: weightsOf(l.flow),
    rng: l.rng?.getState(),
    extra: l.extra,
    optimizer: l.optimizer
      ? { cls: l.optimizer.getClassName(), config: l.optimizer.getConfig(), slots: opt.map((w) => Array.from(w.tensor.dataSync())) }
      : null,
    names: l.manifest.weights.tensors.map((t) => t.name),
  };
  tf.dispose(opt.map((w) => w.tensor));
  l.optimizer?.dispose();
  (l.flow as unknown as { dispose(): void }).dispose();
  return JSON.stringify(state);
}

describe('checkpoint manifest integrity', () => {
  it('every single-bit flip of manifest.json either fails with CHECKPOINT or loads exactly the original state', async () => {
    const { dir, dispose } = await savedCheckpoint();
    const original = await fs.readFile(manifestPath(dir));
    const reference = await fingerprint(dir);
    const rng = createRng(12);
    let rejected = 0;
    for (let k = 0; k < 40; k++) {
      const flipped = Buffer.from(original);
      const pos = Math.floor(rng.nextUniform() * flipped.length);
      flipped[pos] ^= 1 << Math.floor(rng.nextUniform() * 8);
      await fs.writeFile(manifestPath(dir), flipped);
      const e = await errorOf(fingerprint(dir).then((f) => expect(f, `flip at byte ${pos} loaded a different state`).toBe(reference)));
      if (e) {
        expect(e.code, e.message).toBe('CHECKPOINT');
        rejected++;
      }
    }
    // Loads that survive a flip can only be flips the JSON parser cannot see; nearly every flip is rejected.
    expect(rejected).toBeGreaterThanOrEqual(38);
    await fs.writeFile(manifestPath(dir), original);
    expect(await fingerprint(dir)).toBe(reference);
    dispose();
  });

  it('hand edits (seed, step, names, optimizer settings, extra) are rejected by the manifest checksum', async () => {
    const { dir, dispose } = await savedCheckpoint();
    const m = await readManifest(dir);
    const edits: Array<(x: Record<string, any>) => void> = [
      (x) => (x.rng.seed[0] += 1),
      (x) => (x.rng.useCount += 2),
      (x) => (x.step = 4),
      (x) => (x.weights.tensors[0].name = 'renamed'),
      (x) => (x.optimizer.config.learningRate = 0.02),
      (x) => (x.optimizer.iterations = 2),
      (x) => (x.optimizer.accBeta1 = 0.5),
      (x) => (x.extra = { training: { note: 'edited' } }),
      (x) => (x.createdAt = '2020-01-01T00:00:00.000Z'),
      (x) => delete x.manifestSha256,
      (x) => (x.version = 1),
    ];
    for (const edit of edits) {
      const copy = structuredClone(m);
      edit(copy);
      await fs.writeFile(manifestPath(dir), JSON.stringify(copy, null, 1));
      const e = await errorOf(loadFlow(dir));
      expect(e?.code, edit.toString()).toBe('CHECKPOINT');
    }
    dispose();
  });

  it('bounds every number and looks names up in own properties only, even with a valid checksum', async () => {
    const { dir, dispose } = await savedCheckpoint();
    const m = await readManifest(dir);
    const crafted: Array<[string, (x: Record<string, any>) => void]> = [
      ['rng.useCount', (x) => (x.rng.useCount = 2 ** 53 - 1)], // replaying it used to hang loadFlow
      ['rng.seed', (x) => (x.rng.seed = [2 ** 32])],
      ['optimizer.className', (x) => (x.optimizer.className = '__proto__')],
      ['optimizer.className', (x) => (x.optimizer.className = 'toString')],
      ['optimizer.iterations', (x) => (x.optimizer.iterations = 2 ** 40)],
      ['optimizer.accBeta1', (x) => (x.optimizer.accBeta1 = 2)],
      ['optimizer.config', (x) => (x.optimizer.config.learningRate = 'x'.repeat(10_000))],
      ['step', (x) => (x.step = 2 ** 52)],
      ['weights.tensors', (x) => (x.weights.tensors[0].shape = [2 ** 40, 0])],
      ['backend', (x) => (x.backend = { toString: 1 })],
    ];
    for (const [field, edit] of crafted) {
      const copy = structuredClone(m);
      edit(copy);
      await writeResealed(dir, copy);
      const e = await errorOf(loadFlow(dir));
      expect(e?.code, field).toBe('CHECKPOINT');
      expect(JSON.stringify(e?.details ?? {}) + e?.message, field).toContain(field.split('.').pop()!);
    }
    // The resealed original still loads: the checksum recomputed here is the one the loader expects.
    await writeResealed(dir, m);
    const ok = await loadFlow(dir);
    expect(ok.step).toBe(3);
    ok.optimizer?.dispose();
    (ok.flow as unknown as { dispose(): void }).dispose();
    dispose();
  });

  it('checks the weight count an architecture implies before building it', async () => {
    const dir = freshDir();
    const flow = new TransformedDistribution(
      new Normal({ dim: 2 }),
      new Chain([new AffineCoupling({ dim: 2, mask: [1, 0], hidden: [8, 8], activation: 'tanh', rng: createRng(1) })]),
    );
    await saveFlow(flow, dir, { step: 1 });
    const m = await readManifest(dir);
    const archFile = path.join(dir, m.architecture.file);
    const arch = JSON.parse(await fs.readFile(archFile, 'utf8'));
    arch.bijector.bijectors[0].hidden = [4096, 4096];
    const text = JSON.stringify(arch);
    await fs.writeFile(archFile, text);
    m.architecture = { ...m.architecture, bytes: Buffer.byteLength(text), sha256: sha(text) };
    await writeResealed(dir, m);
    let built = 0;
    const e = await errorOf(
      loadFlow(dir, {
        fromConfig: (c: SerializedConfig) => {
          built++;
          throw new Error(`must not build ${c.type}`);
        },
      }),
    );
    expect(e?.code).toBe('CHECKPOINT');
    expect(e?.message).toMatch(/weights/);
    expect(built).toBe(0);
    (flow.bijector as Chain).dispose?.();
  });
});

describe('minimumParameterCount', () => {
  it('is a lower bound on the weights of every built-in flow family (so no real checkpoint is refused)', () => {
    const rng = createRng(1);
    const flows = [
      realNVP({ dim: 4, hidden: [16, 16], rng }),
      neuralSplineFlow({ dim: 4, hidden: [16, 16], rng }),
      new MaskedAutoregressiveFlow({ dim: 4, hidden: [16, 16], rng }),
      new ResidualFlow({ dim: 4, hidden: [16, 16], rng }),
      new ContinuousFlow(new MLPVectorField({ dim: 4, hidden: [16, 16], rng })),
      new ContinuousFlow(new EGNNVectorField({ particles: 3, spatialDim: 2, hidden: 8, layers: 1, rng })),
    ];
    for (const f of flows) {
      const actual = f.trainableVariables.reduce((n, v) => n + v.size, 0);
      const bound = minimumParameterCount(f.toConfig());
      expect(bound, f.toConfig().type).toBeGreaterThan(0);
      expect(bound, f.toConfig().type).toBeLessThanOrEqual(actual);
      f.dispose?.();
    }
  });
});

describe('checkpoint directories are swept of orphans', () => {
  it('concurrent saves into one directory leave exactly the files of the last manifest', async () => {
    const dir = freshDir();
    const flows = [affineFlow(2), affineFlow(2, { shift: [1, 1] })];
    // Two writers interleaving saves (each saveFlow awaits file I/O, so their steps overlap).
    await Promise.all(
      flows.map(async (f, w) => {
        for (let s = 1; s <= 6; s++) await saveFlow(f, dir, { step: 10 * w + s });
      }),
    );
    const m = await readManifest(dir);
    const files = (await fs.readdir(dir)).sort();
    expect(files).toEqual(['manifest.json', m.architecture.file, m.weights.file].sort());
    flows.forEach((f) => f.dispose());
  });

  it('the next save removes temp files, unreferenced data files and the lock of a killed writer', async () => {
    const dir = freshDir();
    const flow = affineFlow(2);
    await saveFlow(flow, dir, { step: 1 });
    // What a writer killed mid-save leaves: a temp file, data files its manifest never referenced, its lock.
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '0']);
      child.on('exit', () => resolve(child.pid!));
    });
    await fs.writeFile(path.join(dir, `${CHECKPOINT_TMP_PREFIX}weights-9-abc.bin.1234`), 'partial');
    await fs.writeFile(path.join(dir, 'weights-9-deadbeef.bin'), Buffer.alloc(16));
    await fs.writeFile(path.join(dir, 'architecture-9-deadbeef.json'), '{}');
    await fs.writeFile(path.join(dir, '.boltzflow-lock'), `${dead} ${os.hostname()}`);
    await saveFlow(flow, dir, { step: 2 });
    const m = await readManifest(dir);
    expect((await fs.readdir(dir)).sort()).toEqual(['manifest.json', m.architecture.file, m.weights.file].sort());
    expect((await readCheckpoint(dir)).step).toBe(2);
    flow.dispose();
  });
});

describe('training-loop errors', () => {
  it('DIVERGED names the gradient when the loss is finite and the gradient is not', async () => {
    // Finite energy 0.5|x|², gradient NaN: the loss stays finite, only the gradient diverges.
    const nanGrad = energyFromFunction(
      (x) =>
        tf.customGrad(((xx: tf.Tensor) => ({
          value: tf.mul(tf.sum(tf.square(xx), 1), 0.5),
          gradFunc: () => tf.mul(tf.onesLike(xx), NaN),
        })) as unknown as Parameters<typeof tf.customGrad>[0])(x) as tf.Tensor1D,
      2,
      'nan-gradient',
    );
    const flow = affineFlow(2);
    const e = await errorOf(trainKL(flow, nanGrad, { steps: 10, batchSize: 8, maxNonFiniteSteps: 2 }));
    expect(e?.code).toBe('DIVERGED');
    expect(e?.details?.argument).toBe('gradient');
    expect(e?.message).toMatch(/non-finite gradient/);
    flow.dispose();
  });

  it('a corrupted manifest in the checkpoint directory fails before the first step, not at the first save', async () => {
    const dir = freshDir();
    await fs.mkdir(dir);
    await fs.writeFile(manifestPath(dir), '{"format": "boltzflow-checkpoint", "ver');
    const flow = affineFlow(2);
    let steps = 0;
    const e = await errorOf(trainKL(flow, energy, { steps: 6, batchSize: 8, checkpoint: { dir, every: 5 }, progressEvery: 1, onProgress: () => void steps++ }));
    expect(e?.code).toBe('CHECKPOINT');
    expect(steps).toBe(0);
    flow.dispose();
  });

  it('resuming a step-20 checkpoint with a budget of 10 steps is a typed error, not a NaN loss', async () => {
    const dir = freshDir();
    const flow = affineFlow(2);
    await trainKL(flow, energy, { steps: 20, batchSize: 8, checkpoint: { dir, every: 20 } });
    const again = affineFlow(2);
    const e = await errorOf(trainKL(again, energy, { steps: 10, batchSize: 8, resumeFrom: dir }));
    expect(e?.code).toBe('INVALID_CONFIG');
    expect(e?.details?.argument).toBe('steps');
    expect(e?.message).toContain('20');
    [flow, again].forEach((f) => f.dispose());
  });

  it('a bad split state in the training state of a checkpoint is a typed CHECKPOINT error', async () => {
    const dir = freshDir();
    const data = gaussianData(
      100,
      [1, -1],
      [
        [1, 0],
        [0, 1],
      ],
      createRng(3),
    );
    const opts = (extra: Partial<TrainOptions>): TrainOptions => ({ data: data.x, weights: { ml: 1, kl: 0 }, batchSize: 20, steps: 4, seed: 2, ...extra });
    const flow = affineFlow(2);
    await train(flow, opts({ checkpoint: { dir, every: 2 } }));
    const m = await readManifest(dir);
    for (const bad of [{ seed: 'x' }, { seed: [1], useCount: 2 ** 53 - 1 }, 7]) {
      const copy = structuredClone(m);
      copy.extra.training.splitState = bad;
      await writeResealed(dir, copy);
      const again = affineFlow(2);
      const e = await errorOf(train(again, opts({ steps: 8, resumeFrom: dir })));
      expect(e?.code, JSON.stringify(bad)).toBe('CHECKPOINT');
      again.dispose();
    }
    data.x.dispose();
    flow.dispose();
  });
});
