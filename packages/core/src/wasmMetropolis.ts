import * as tf from '@tensorflow/tfjs';
import { simdKernels, type SimdKernels, type WasmHeapBackend } from './kernelReplacements.js';

/** What a Metropolis–Hastings decision returns (mcmc's `mhDecision`). */
export interface MetropolisDecision {
  /** The log ratio with −∞ where the proposal is invalid or the ratio is NaN. */
  logAcceptRatio: tf.Tensor1D;
  /** bool: log u < the cleaned log ratio. */
  mask: tf.Tensor1D;
  /** The mask as 0/1 float32. */
  accepted: tf.Tensor1D;
}

/**
 * The element loops of a Metropolis–Hastings step as single passes of WASM code on tfjs's heap, for the MCMC kernels
 * of @boltzflow/mcmc: at 16384 chains tfjs spends 10–60 µs per kernel and a step of the decision, row mask and
 * validity checks takes 10–15 kernels. Each method returns new tensors with exactly the values the tfjs-op versions
 * give (boolean logic and copies only, no arithmetic), tracked by the enclosing `tf.tidy`. They record no gradient.
 */
export interface WasmMetropolisKernels {
  /**
   * ok = valid ? valid ∧ ¬isNaN(logRatio) : isFinite(logRatio); logAcceptRatio = ok ? logRatio : −∞;
   * mask = logU < logAcceptRatio; accepted = float(mask). Float32 `[n]` ratios and log-uniforms, bool `[n]` valid.
   */
  decide(logRatio: tf.Tensor1D, logU: tf.Tensor1D, valid?: tf.Tensor1D): MetropolisDecision;
  /** bool `[n, d]`: row i is accepted[i] ≠ 0 (a 0/1 float32 `[n]`). */
  rowMask(accepted: tf.Tensor1D, d: number): tf.Tensor2D;
  /** bool `[n]`: every value of row i of every float32 tensor (`[n]` or `[n, d]`) is finite. */
  finiteRows(ts: readonly tf.Tensor[]): tf.Tensor1D;
  /** `mask ? a : b` elementwise for float32 `a`, `b` and a bool `mask` of the same shape. */
  select<T extends tf.Tensor>(mask: tf.Tensor, a: T, b: T): T;
}

/**
 * The kernels above when the active backend is WASM with the SIMD kernel module on its heap and no gradient tape is
 * recording (inside `tf.grad`/`variableGrads` the tfjs ops must run so that gradients flow through the selects);
 * otherwise null, and callers use tfjs ops.
 */
export function wasmMetropolisKernels(): WasmMetropolisKernels | null {
  if (tf.getBackend() !== 'wasm') return null;
  const depth = (tf.engine().state as unknown as { gradientDepth?: unknown }).gradientDepth;
  if (depth !== 0) return null;
  const backend = tf.backend() as unknown as WasmHeapBackend;
  const k = simdKernels(backend);
  if (!k) return null;
  // Asked several times per MCMC step: built once per kernel instance (one per tfjs heap), not per call.
  let m = metropolisByKernels.get(k);
  if (!m) {
    m = heapMetropolis(k, backend);
    metropolisByKernels.set(k, m);
  }
  return m;
}

const metropolisByKernels = new WeakMap<SimdKernels, WasmMetropolisKernels>();

function heapMetropolis(k: SimdKernels, b: WasmHeapBackend): WasmMetropolisKernels {
  const offset = (t: tf.TensorInfo): number => b.typedArrayFromHeap(t).byteOffset;
  const wrap = <T extends tf.Tensor>(info: tf.TensorInfo): T => tf.engine().makeTensorFromTensorInfo(info) as T;
  return {
    decide(logRatio, logU, valid) {
      const n = logRatio.shape[0];
      const clean = b.makeOutput([n], 'float32');
      const mask = b.makeOutput([n], 'bool');
      const accepted = b.makeOutput([n], 'float32');
      // Offsets after every makeOutput: a heap growth there moves nothing, but views taken before it would detach.
      k.metropolis(offset(logRatio), offset(logU), valid ? offset(valid) : 0, offset(clean), offset(mask), offset(accepted), n);
      return { logAcceptRatio: wrap(clean), mask: wrap(mask), accepted: wrap(accepted) };
    },
    rowMask(accepted, d) {
      const n = accepted.shape[0];
      const out = b.makeOutput([n, d], 'bool');
      k.repeatRows(offset(accepted), offset(out), n, d);
      return wrap(out);
    },
    select(mask, t, e) {
      const out = b.makeOutput(t.shape, 'float32');
      k.select(offset(mask), offset(t), offset(e), offset(out), t.size);
      return wrap(out);
    },
    finiteRows(ts) {
      const n = ts[0].shape[0];
      const ok = b.makeOutput([n], 'bool');
      ts.forEach((t, i) => k.finiteRows(offset(t), offset(ok), n, t.size / Math.max(n, 1), i === 0 ? 1 : 0));
      return wrap(ok);
    },
  };
}
