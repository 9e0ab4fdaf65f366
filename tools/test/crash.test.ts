// Faults: a run killed while writing, diverging training, and malformed files must never lose or corrupt data.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, isBoltzflowError, tf } from '@boltzflow/core';
import { DoubleWell } from '@boltzflow/energies';
import { loadFlow, saveFlow, trainKL } from '@boltzflow/training';
import { disposeFlow, smallRealNVP } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bf-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** loadFlow must give a complete checkpoint (all weights equal its step) or a typed CHECKPOINT error. */
async function checkLoad(dir: string): Promise<{ step: number } | { error: string }> {
  try {
    const loaded = await loadFlow(dir);
    const values = loaded.flow.trainableVariables.flatMap((v) => Array.from(v.dataSync()));
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((x) => x === loaded.step)).toBe(true);
    disposeFlow(loaded.flow as never);
    return { step: loaded.step };
  } catch (e) {
    expect(isBoltzflowError(e)).toBe(true);
    expect((e as { code: string }).code).toBe('CHECKPOINT');
    return { error: (e as Error).message };
  }
}

function runWriterAndKill(dir: string, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'checkpointWriter.ts'), dir], {
      cwd: path.join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let saved = 0;
    let started = false;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      const m = [...d.toString().matchAll(/saved (\d+)/g)];
      if (m.length) saved = Number(m[m.length - 1][1]);
      if (!started) {
        started = true;
        // The clock starts at the first completed save, so every kill lands among saves.
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('close', (code, signal) => (signal === 'SIGKILL' ? resolve(saved) : reject(new Error(`writer exited ${code}: ${err.slice(-500)}`))));
  });
}

describe('checkpoint writing killed at random times', () => {
  it('after each SIGKILL, loadFlow gives a complete old-or-new checkpoint, never a corrupt one', async () => {
    const dir = path.join(tmp, 'ckpt');
    const rng = createRng(77);
    let lastSeen = 0;
    for (let round = 0; round < 5; round++) {
      const delay = 20 + Math.floor(rng.nextUniform() * 400);
      const savedBeforeKill = await runWriterAndKill(dir, delay);
      const r = await checkLoad(dir);
      expect('step' in r).toBe(true); // a completed save exists, so the checkpoint must load
      if ('step' in r) {
        // Old or new: at least the last save reported complete, at most one more.
        expect(r.step).toBeGreaterThanOrEqual(savedBeforeKill);
        expect(r.step).toBeLessThanOrEqual(savedBeforeKill + 1);
        lastSeen = r.step;
      }
    }
    expect(lastSeen).toBeGreaterThan(0);
  }, 240_000);
});

describe('two processes saving into one checkpoint directory', () => {
  it('interleaved saves, both writers killed: the checkpoint loads, and the next save leaves only its own files', async () => {
    const dir = path.join(tmp, 'two-writers');
    const start = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'checkpointWriter.ts'), dir], {
        cwd: path.join(here, '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let saved = 0;
      child.stdout.on('data', (d: Buffer) => (saved += [...d.toString().matchAll(/saved/g)].length));
      const closed = new Promise<void>((r) => child.on('close', () => r()));
      return { child, saved: () => saved, closed };
    };
    const writers = [start(), start()];
    // Both must have saved several times while the other was saving too.
    const t0 = Date.now();
    while (writers.some((w) => w.saved() < 5) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
    for (const w of writers) w.child.kill('SIGKILL');
    await Promise.all(writers.map((w) => w.closed));
    expect(writers.every((w) => w.saved() >= 5)).toBe(true);
    expect('step' in (await checkLoad(dir))).toBe(true);
    // The next save (the killed writers' lock is taken over) sweeps every temp and unreferenced data file.
    const flow = smallRealNVP(2, 2, 32);
    for (const v of flow.trainableVariables) v.assign(tf.fill(v.shape, 1000));
    await saveFlow(flow, dir, { step: 1000 });
    disposeFlow(flow);
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', m.architecture.file, m.weights.file].sort());
    expect(await checkLoad(dir)).toEqual({ step: 1000 });
  }, 180_000);
});

describe('writeFileAtomic (core), which writes results.json, checkpoints and chain checkpoints', () => {
  it('writeFileAtomic never leaves a half-written file: a reader sees old or new content only', async () => {
    const { writeFileAtomic } = await import('@boltzflow/core');
    const file = path.join(tmp, 'results.json');
    const big = (k: number) => JSON.stringify({ k, pad: 'x'.repeat(200_000 + k) });
    await writeFileAtomic(file, big(0));
    const writes = Array.from({ length: 20 }, (_, k) => writeFileAtomic(file, big(k + 1)));
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const text = readFileSync(file, 'utf8');
      const v = JSON.parse(text) as { k: number; pad: string };
      expect(v.pad.length).toBe(200_000 + v.k);
      seen.add(v.k);
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(seen.size).toBeGreaterThan(0);
  });
});

describe('diverging training', () => {
  it('a learning rate far too high stops with a typed DIVERGED error or finite loss, and the last checkpoint stays loadable', async () => {
    const dir = path.join(tmp, 'diverge');
    const flow = smallRealNVP(2, 2, 16);
    // Energy that explodes away from the origin, so huge steps overflow.
    const target = new DoubleWell();
    let outcome = 'finished';
    try {
      const r = await trainKL(flow, target, { steps: 60, batchSize: 64, learningRate: 1e4, seed: 3, checkpoint: { dir, every: 5 } });
      expect(Number.isFinite(r.loss)).toBe(true);
    } catch (e) {
      expect(isBoltzflowError(e)).toBe(true);
      expect((e as { code: string }).code).toBe('DIVERGED');
      expect((e as Error).message).toMatch(/step/i);
      outcome = 'diverged';
    }
    const loaded = await loadFlow(dir);
    const values = loaded.flow.trainableVariables.flatMap((v) => Array.from(v.dataSync()));
    expect(values.every(Number.isFinite)).toBe(true);
    disposeFlow(loaded.flow as never);
    disposeFlow(flow);
    expect(['finished', 'diverged']).toContain(outcome);
  }, 120_000);
});

describe('files are validated before use', () => {
  async function saved(name: string): Promise<string> {
    const dir = path.join(tmp, name);
    const flow = smallRealNVP(2, 2, 8);
    await saveFlow(flow, dir, { step: 1 });
    disposeFlow(flow);
    return dir;
  }
  const expectCheckpointError = async (dir: string) => {
    const e = await loadFlow(dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isBoltzflowError(e)).toBe(true);
    expect((e as { code: string }).code).toBe('CHECKPOINT');
  };

  it('loadFlow rejects malformed JSON, a wrong schema, a huge manifest, truncated and NaN weights, with typed errors', async () => {
    let dir = await saved('bad-json');
    writeFileSync(path.join(dir, 'manifest.json'), '{"format": "boltzflow-checkpoint", ');
    await expectCheckpointError(dir);

    dir = await saved('bad-schema');
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, version: 'one', step: -1 }));
    await expectCheckpointError(dir);

    dir = await saved('huge');
    writeFileSync(path.join(dir, 'manifest.json'), Buffer.alloc(17 * 2 ** 20, 32));
    await expectCheckpointError(dir);

    dir = await saved('truncated');
    const wfile = readdirSync(dir).find((f) => f.startsWith('weights'))!;
    truncateSync(path.join(dir, wfile), statSync(path.join(dir, wfile)).size - 4);
    await expectCheckpointError(dir);

    // NaN weights with a matching checksum: the finiteness check (not only the hash) must catch them.
    dir = await saved('nan');
    const man = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const wpath = path.join(dir, man.weights.file);
    const buf = readFileSync(wpath);
    buf.writeFloatLE(NaN, 0);
    writeFileSync(wpath, buf);
    const { createHash } = await import('node:crypto');
    man.weights.sha256 = createHash('sha256').update(buf).digest('hex');
    // Resealed: the manifest checksum (SHA-256 of its JSON without the field) recomputed, so only finiteness is left.
    delete man.manifestSha256;
    man.manifestSha256 = createHash('sha256')
      .update(JSON.stringify(man, null, 1))
      .digest('hex');
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(man));
    const e = await loadFlow(dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as Error).message).toMatch(/non-finite/);

    await expectCheckpointError(path.join(tmp, 'does-not-exist'));
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });

  it("the experiments app's readConfigFile rejects malformed JSON, huge files, NaN-like values and unknown keys with typed errors", async () => {
    const { readConfigFile, MAX_CONFIG_BYTES } = await import('../../apps/experiments/src/config.js');
    const cases: Record<string, string | Buffer> = {
      'malformed.json': '{"experiment": "double-well",',
      'huge.json': Buffer.alloc(MAX_CONFIG_BYTES + 1, 32),
      'nan.json': '{"experiment": "double-well", "seed": NaN}',
      'seed-string.json': '{"experiment": "double-well", "seed": "1"}',
      'seed-huge.json': '{"experiment": "double-well", "seed": 1e400}',
      'unknown-key.json': '{"experiment": "double-well", "evil": true}',
      'array.json': '[1, 2, 3]',
      'backend.json': '{"experiment": "double-well", "backend": "cuda"}',
    };
    for (const [name, content] of Object.entries(cases)) {
      const file = path.join(tmp, name);
      writeFileSync(file, content);
      const e = await readConfigFile(file).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isBoltzflowError(e), name).toBe(true);
      expect(['INVALID_CONFIG', 'IO']).toContain((e as { code: string }).code);
    }
    const e = await readConfigFile(path.join(tmp, 'missing.json')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isBoltzflowError(e) && e.code).toBe('IO');
  });
});
