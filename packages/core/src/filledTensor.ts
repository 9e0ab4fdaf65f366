import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './kernelReplacements.js';

/**
 * A float32 tensor whose values `fill` writes on the host. On WASM, `fill` writes straight into the tensor's memory in
 * the WASM heap; elsewhere into a new Float32Array that is then uploaded (the cpu backend keeps that array, so it must
 * be a fresh one). Bulk random draws go through here: a fresh 128 KB Float32Array per MCMC step (16384 chains × 2
 * coordinates) costs little to fill but keeps V8's garbage collector busy — the mean step time, not the typical one.
 * `fill` must write every element and must not run tensor operations (a heap growth would detach the view).
 */
export function filledTensor(shape: number[], fill: (out: Float32Array) => void): tf.Tensor {
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmHeapBackend & { disposeData(id: unknown): void };
    const info = backend.makeOutput([...shape], 'float32');
    try {
      fill(backend.typedArrayFromHeap(info) as Float32Array);
    } catch (e) {
      backend.disposeData(info.dataId);
      throw e;
    }
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  let size = 1;
  for (const d of shape) size *= d;
  const out = new Float32Array(size);
  fill(out);
  return tf.tensor(out, shape, 'float32');
}
