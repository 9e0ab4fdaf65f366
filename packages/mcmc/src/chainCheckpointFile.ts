import { BoltzflowError, readTextFile, sha256Hex, writeFileAtomic } from '@boltzflow/core';
import { validateChainCheckpoint, type ChainCheckpoint, type CheckpointTensor } from './chainCheckpoint.js';

/**
 * Chain checkpoints on disk (Node: the file primitives are core's `#platform` adapter, which throws a typed IO error in a browser). One JSON file: typed arrays as
 * base64 of their bytes (bit-exact), a SHA-256 of the payload, written to a temporary name, fsynced and renamed, so
 * a crash leaves the previous file intact.
 */
const FILE_FORMAT = 'boltzflow-chain-checkpoint-file';

function b64(a: Float32Array | Int32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromB64(s: string, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new BoltzflowError('CHECKPOINT', 'Corrupt array in chain checkpoint', { argument: 'file', received: 'invalid base64' });
  }
  const copy = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (copy.length % 4 !== 0)
    throw new BoltzflowError('CHECKPOINT', 'Corrupt array in chain checkpoint', { argument: 'file', received: `${copy.length} bytes` });
  return dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
}

/** Writes a chain checkpoint to `file` atomically (SHA-256 of the payload, typed arrays bit-exact). */
export async function saveChainCheckpoint(checkpoint: ChainCheckpoint, file: string): Promise<void> {
  validateChainCheckpoint(checkpoint);
  const payload = JSON.stringify({
    ...checkpoint,
    state: Object.fromEntries(Object.entries(checkpoint.state).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, data: b64(t.data) }])),
    samples: { width: checkpoint.samples.width, data: b64(checkpoint.samples.data) },
  });
  const sha256 = sha256Hex(payload);
  const text = JSON.stringify({ format: FILE_FORMAT, sha256, payload });
  try {
    await writeFileAtomic(file, text);
  } catch (e) {
    throw new BoltzflowError('IO', `Could not write chain checkpoint: ${(e as Error).message}`, { argument: 'file', received: file });
  }
}

/** Reads and validates a chain checkpoint written by {@link saveChainCheckpoint}; corruption is a typed CHECKPOINT error. */
export async function loadChainCheckpoint(file: string): Promise<ChainCheckpoint> {
  let text: string;
  try {
    text = await readTextFile(file);
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
  const sha = sha256Hex(outer.payload);
  if (sha !== outer.sha256)
    throw new BoltzflowError('CHECKPOINT', 'Chain checkpoint checksum mismatch (corrupted file)', {
      argument: 'file',
      expected: String(outer.sha256),
      received: sha,
    });
  const p = JSON.parse(outer.payload);
  const state: Record<string, CheckpointTensor> = {};
  for (const [k, t] of Object.entries(p.state as Record<string, { shape: number[]; dtype: 'float32' | 'int32' | 'bool'; data: string }>)) {
    state[k] = { shape: t.shape, dtype: t.dtype, data: fromB64(t.data, t.dtype === 'float32' ? 'float32' : 'int32') };
  }
  const c = { ...p, state, samples: { width: p.samples.width, data: fromB64(p.samples.data, 'float32') as Float32Array } };
  validateChainCheckpoint(c);
  return c;
}
