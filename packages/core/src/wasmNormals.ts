import * as tf from '@tensorflow/tfjs';
import { simdKernels, tfjsWasmMemory } from './kernelReplacements.js';

/** Where the WASM ziggurat keeps its state and tables in tfjs's heap. */
interface HeapZiggurat {
  memory: WebAssembly.Memory;
  /** Byte offsets: the xoshiro128** state (4 × i32) and the three tables (128 doubles each). */
  state: number;
  kn: number;
  wn: number;
  fn: number;
  normals(state: number, out: number, n: number, kn: number, wn: number, fn: number, scale: number): number;
}

/** One per tfjs heap; null where the SIMD module or malloc is unavailable. */
const byMemory = new WeakMap<WebAssembly.Memory, HeapZiggurat | null>();

/**
 * Fills `out` with n seeded normals (times `scale`) in WASM when `out` is a view on the active WASM backend's heap (a tensor that
 * `filledTensor` is filling) and returns how many 32-bit words were drawn from `state` (advanced in place); returns
 * null, touching nothing, otherwise. The same algorithm as rng.ts word for word (xoshiro128**, the 128-layer ziggurat
 * with its rejection branch, Math.log/Math.exp imported), so the numbers are identical; ≈ 3× faster than the
 * JavaScript loop. The tables are copied into a block of the heap (tfjs's malloc) once per heap.
 */
export function heapNormals(out: Float32Array, state: Int32Array, tables: { kn: Float64Array; wn: Float64Array; fn: Float64Array }, scale = 1): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as { wasm?: { _malloc?: (bytes: number) => number } };
  const memory = tfjsWasmMemory(backend);
  if (!memory || out.buffer !== memory.buffer) return null;
  let z = byMemory.get(memory);
  if (z === undefined) {
    const k = simdKernels(backend);
    const malloc = backend.wasm?._malloc;
    if (!k || typeof malloc !== 'function') z = null;
    else {
      // 16 bytes of state (padded to 24), then the tables at 8-byte boundaries (malloc's blocks are 8-aligned).
      const base = malloc(24 + 3 * 128 * 8) >>> 0;
      z = { memory, state: base, kn: base + 24, wn: base + 24 + 1024, fn: base + 24 + 2048, normals: k.normals };
      new Float64Array(memory.buffer, z.kn, 128).set(tables.kn);
      new Float64Array(memory.buffer, z.wn, 128).set(tables.wn);
      new Float64Array(memory.buffer, z.fn, 128).set(tables.fn);
    }
    byMemory.set(memory, z);
  }
  if (!z) return null;
  new Int32Array(memory.buffer, z.state, 4).set(state);
  const words = z.normals(z.state, out.byteOffset, out.length, z.kn, z.wn, z.fn, scale);
  state.set(new Int32Array(memory.buffer, z.state, 4));
  return words;
}
