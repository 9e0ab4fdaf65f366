import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, disposeTree } from '@boltzflow/core';
import { mala, sampleChain } from '../src/kernels/index.js';
import { resumeChain, type ChainCheckpoint } from '../src/index.js';
import { loadChainCheckpoint, saveChainCheckpoint } from '../src/index.js';
import { correlatedGaussian } from './helpersKernels.js';

function bits(a: ArrayLike<number>): string {
  return Buffer.from(Float32Array.from(a).buffer).toString('hex');
}

describe('resumable chains', () => {
  it('a run checkpointed at step 500 and resumed (through a file) equals the uninterrupted 1000-step run bit for bit', async () => {
    const u = correlatedGaussian();
    const kernel = mala(u, { stepSize: 0.2 });
    const x0 = tf.zeros([4, 2]) as tf.Tensor2D;
    const full = sampleChain(kernel, x0, { steps: 900, burnIn: 100, thin: 3, rng: createRng(42) });
    const checkpoints: ChainCheckpoint[] = [];
    const cut = sampleChain(kernel, x0, {
      steps: 900,
      burnIn: 100,
      thin: 3,
      rng: createRng(42),
      checkpointEvery: 500,
      onCheckpoint: (c) => checkpoints.push(c),
    });
    expect(checkpoints.map((c) => c.step)).toEqual([500]);
    // Same run with or without the hook.
    expect(bits(cut.samples.data)).toBe(bits(full.samples.data));
    const dir = mkdtempSync(join(tmpdir(), 'chainckpt-'));
    try {
      const file = join(dir, 'chain.json');
      await saveChainCheckpoint(checkpoints[0], file);
      const loaded = await loadChainCheckpoint(file);
      const before = tf.memory().numTensors;
      const resumed = resumeChain(loaded, mala(u, { stepSize: 0.2 }));
      expect(bits(resumed.samples.data)).toBe(bits(full.samples.data));
      expect(resumed.samples.shape).toEqual(full.samples.shape);
      expect(resumed.acceptanceRate).toEqual(full.acceptanceRate);
      expect(resumed.energyEvaluations).toBe(full.energyEvaluations);
      expect(bits(resumed.finalState.x.dataSync())).toBe(bits(full.finalState.x.dataSync()));
      expect(bits(resumed.finalState.energy.dataSync())).toBe(bits(full.finalState.energy.dataSync()));
      disposeTree(resumed.finalState);
      expect(tf.memory().numTensors).toBe(before);

      // A different kernel is refused.
      expect(() => resumeChain(loaded, mala(u, { stepSize: 0.3 }))).toThrow(/kernel differs/);
      // A corrupted file: one changed character in the payload → checksum mismatch; truncated → not JSON.
      const text = readFileSync(file, 'utf8');
      const i = text.indexOf('"step\\":') + 9;
      writeFileSync(file, text.slice(0, i) + (text[i] === '1' ? '2' : '1') + text.slice(i + 1));
      await expect(loadChainCheckpoint(file)).rejects.toThrow(/checksum/);
      writeFileSync(file, text.slice(0, text.length / 2));
      await expect(loadChainCheckpoint(file)).rejects.toThrow(BoltzflowError);
      await expect(loadChainCheckpoint(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'IO' });
      expect(() => resumeChain({ ...checkpoints[0], acceptedCounts: [1] }, kernel)).toThrow(/Acceptance counts/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      disposeTree([full.finalState, cut.finalState]);
      x0.dispose();
    }
  });
});
