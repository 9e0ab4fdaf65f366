import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BoltzflowError } from '@boltzflow/core';
import { validateChainCheckpoint, type ChainCheckpoint, type CheckpointTensor } from './chainCheckpoint.js';

/**
 * Chain checkpoints on disk (Node only; exported from `@boltzflow/mcmc/node`). One JSON file: typed arrays as
 * base64 of their bytes (bit-exact), a SHA-256 of the payload, written to a temporary name, fsynced and renamed, so
 * a crash leaves the previous file intact.
 */
const FILE_FORMAT = 'boltzflow-chain-checkpoint-file';

function b64(a: Float32Array | Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromB64(s: string, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const buf = Buffer.from(s, 'base64');
  const copy = new Uint8Array(buf.length);
  copy.set(buf);
  if (copy.length % 4 !== 0) throw new BoltzflowError('CHECKPOINT', 'Corrupt array in chain checkpoint', { argument: 'file', received: `${copy.length} bytes` });
  return dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
}

export async function saveChainCheckpoint(checkpoint: ChainCheckpoint, file: string): Promise<void> {
  validateChainCheckpoint(checkpoint);
  const payload = JSON.stringify({
    ...checkpoint,
    state: Object.fromEntries(Object.entries(checkpoint.state).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: b64(t.data) }])),
    samples: { width: checkpoint.samples.width, data: b64(checkpoint.samples.data) },
  });
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const text = JSON.stringify({ format: FILE_FORMAT, sha256, payload });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const h = await fs.open(tmp, 'w');
    try {
      await h.writeFile(text);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new BoltzflowError('IO', `Could not write chain checkpoint: ${(e as Error).message}`, { argument: 'file', received: file });
  }
}

export async function loadChainCheckpoint(file: string): Promise<ChainCheckpoint> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new BoltzflowError('IO', `Could not read chain checkpoint: ${(e as Error).message}`, { argument: 'file', received: file });
  }
  let outer: { format?: string; sha256?: string; payload?: string };
  try {
    outer = JSON.parse(text);
  } catch {
    throw new BoltzflowError('CHECKPOINT', 'Chain checkpoint is not valid JSON (truncated or corrupted)', { argument: 'file', received: file });
  }
  if (outer.format !== FILE_FORMAT || typeof outer.payload !== 'string') {
    throw new BoltzflowError('CHECKPOINT', 'Not a chain checkpoint file', { argument: 'file', expected: FILE_FORMAT, received: String(outer.format) });
  }
  const sha = createHash('sha256').update(outer.payload).digest('hex');
  if (sha !== outer.sha256) throw new BoltzflowError('CHECKPOINT', 'Chain checkpoint checksum mismatch (corrupted file)', { argument: 'file', expected: String(outer.sha256), received: sha });
  const p = JSON.parse(outer.payload);
  const state: Record<string, CheckpointTensor> = {};
  for (const [k, t] of Object.entries(p.state as Record<string, { shape: number[]; dtype: 'float32' | 'int32' | 'bool'; data: string }>)) {
    state[k] = { shape: t.shape, dtype: t.dtype, data: fromB64(t.data, t.dtype === 'float32' ? 'float32' : 'int32') };
  }
  const c = { ...p, state, samples: { width: p.samples.width, data: fromB64(p.samples.data, 'float32') as Float32Array } };
  validateChainCheckpoint(c);
  return c;
}
