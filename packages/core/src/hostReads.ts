import * as tf from '@tensorflow/tfjs';
import type { BoltzflowError } from './errors.js';

// Device → host reads for loops that must run on backends without synchronous reads (WebGPU in Node: tfjs reads GPU
// buffers synchronously through OffscreenCanvas, which Node lacks). A loop is written once as a generator that yields
// each tensor whose values it needs and is resumed with them; `runHostReadsSync` drives it with `dataSync` (the
// classic synchronous API), `runHostReadsAsync` with `await data()`. Both run exactly the same tensor ops in the same
// order, so a seeded run gives bit-identical results either way.

/** Host values of a tensor read by a {@link HostReads} driver. */
export type HostValues = Float32Array | Int32Array | Uint8Array;

/**
 * A computation that pauses at every device → host read: it yields the tensor to read (it keeps ownership and
 * disposes it itself) and is resumed with its values. Yielding `null` reads nothing but settles the finiteness checks
 * deferred so far (see {@link requireFinite}), e.g. right after a chain's `init`; it resumes with an empty array.
 */
export type HostReads<T> = Generator<tf.Tensor | null, T, HostValues>;

const NOTHING = new Float32Array(0);

/**
 * True unless the active backend cannot read tensors synchronously (`dataSync`/`arraySync`): WebGPU without
 * `OffscreenCanvas`, i.e. WebGPU in Node.
 */
export function syncReadsAvailable(): boolean {
  return !(tf.getBackend() === 'webgpu' && typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'undefined');
}

/** Drives `g` with synchronous reads (`dataSync`); throws BACKEND_UNAVAILABLE on a backend without them. */
export function runHostReadsSync<T>(g: HostReads<T>): T {
  let r = g.next();
  while (!r.done) {
    let values: HostValues;
    try {
      settleDeferredChecksSync();
      values = r.value === null ? NOTHING : (r.value.dataSync() as HostValues);
    } catch (e) {
      // Into the generator, so that its catch/finally blocks free what it holds.
      r = g.throw(e);
      continue;
    }
    r = g.next(values);
  }
  settleDeferredChecksSync();
  return r.value;
}

/**
 * Drives `g` with asynchronous reads (`await data()`), which every backend supports. Finiteness checks deferred by
 * {@link requireFinite} on a backend without synchronous reads are read at the same time; a failure (or a failed read)
 * is thrown into `g` at its pending `yield`, so that its catch/finally blocks free what it holds.
 */
export async function runHostReadsAsync<T>(g: HostReads<T>): Promise<T> {
  let r = g.next();
  while (!r.done) {
    let values: HostValues;
    try {
      const t = r.value;
      [values] = await Promise.all([t === null ? NOTHING : (t.data() as Promise<HostValues>), settleDeferredChecks()]);
    } catch (e) {
      r = g.throw(e);
      continue;
    }
    r = g.next(values);
  }
  await settleDeferredChecks();
  return r.value;
}

interface DeferredCheck {
  flag: tf.Tensor;
  error: () => BoltzflowError;
}
let deferred: DeferredCheck[] = [];

/**
 * Throws `error()` unless every value of `x` is finite. With synchronous reads the check happens now (one scalar
 * download); on a backend without them (WebGPU in Node) it is deferred to the next read of an asynchronous driver
 * ({@link runHostReadsAsync}) or {@link settleDeferredChecks}, which throws the same error: validation at entry
 * points keeps working there, one read later.
 */
export function requireFinite(x: tf.Tensor, error: () => BoltzflowError): void {
  if (x.size === 0) return;
  const flag = tf.tidy(() => tf.all(tf.isFinite(x)));
  if (syncReadsAvailable()) {
    const ok = flag.dataSync()[0] === 1;
    flag.dispose();
    if (!ok) throw error();
    return;
  }
  deferred.push({ flag, error });
}

/** Reads every deferred finiteness check (one download each, concurrently) and throws the first failure. */
export async function settleDeferredChecks(): Promise<void> {
  if (deferred.length === 0) return;
  const checks = deferred;
  deferred = [];
  const values = await Promise.all(checks.map((c) => c.flag.data()));
  for (const c of checks) c.flag.dispose();
  const bad = values.findIndex((v) => v[0] !== 1);
  if (bad >= 0) throw checks[bad].error();
}

function settleDeferredChecksSync(): void {
  if (deferred.length === 0) return;
  const checks = deferred;
  deferred = [];
  const values = checks.map((c) => c.flag.dataSync());
  for (const c of checks) c.flag.dispose();
  const bad = values.findIndex((v) => v[0] !== 1);
  if (bad >= 0) throw checks[bad].error();
}
