// tfjs kernels re-registered where the profile of boltzflow's workloads showed tfjs's own slow (issue #20): each
// replacement wraps the original once (`replaceKernel`), handles the common dtype/shape cases in the hand-written WASM
// SIMD module (wasm/kernels.wat) or in JavaScript over WASM heap views, and falls back to the original for everything
// else. Tested against plain JavaScript references (packages/core/test/wasm*.test.ts).
import * as tf from '@tensorflow/tfjs';
import { KERNELS_WASM_BASE64 } from './wasmKernelsModule.js';

type KernelFunc = (params: { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => tf.TensorInfo | tf.TensorInfo[];
interface KernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc: KernelFunc;
  setupFunc?: (backend: unknown) => void;
  disposeFunc?: (backend: unknown) => void;
}

/** Kernels this process has replaced, as `backend/name`: each is wrapped around tfjs's original once. */
const replacedKernels = new Set<string>();

/**
 * Re-registers tfjs's kernel `name` on `backendName` as `wrap(original)` (the original keeps its setup, and the
 * wrapper may fall back to it). Once per process; nothing when tfjs has no such kernel.
 */
function replaceKernel(name: string, backendName: string, wrap: (original: KernelConfig) => KernelFunc): void {
  const key = `${backendName}/${name}`;
  if (replacedKernels.has(key)) return;
  const original = tf.getKernel(name, backendName) as unknown as KernelConfig | undefined;
  if (!original) return;
  tf.unregisterKernel(name, backendName);
  tf.registerKernel({ ...original, kernelFunc: wrap(original) } as unknown as tf.KernelConfig);
  replacedKernels.add(key);
}

/**
 * tfjs-webgpu's AddN binds every input as a storage buffer in one shader, but the device it requests keeps WebGPU's
 * default of 8 storage buffers per stage: `tf.addN` of more than 7 tensors (e.g. the trainer's gradient norm over a
 * flow's variables) fails pipeline validation and silently yields garbage. Re-register AddN to sum at most
 * `maxStorageBuffersPerShaderStage − 1` inputs per kernel, in rounds (its Concat already chunks this way).
 */
export function registerChunkedWebGpuAddN(): void {
  replaceKernel('AddN', 'webgpu', (original) => ({ inputs, backend, attrs }) => {
    const b = backend as { device: { limits: { maxStorageBuffersPerShaderStage: number } }; disposeData: (id: unknown) => void };
    const limit = Math.max(2, b.device.limits.maxStorageBuffersPerShaderStage - 1);
    let list = inputs as unknown as tf.TensorInfo[];
    if (list.length <= limit) return original.kernelFunc({ inputs, backend, attrs });
    const temps: tf.TensorInfo[] = [];
    while (list.length > limit) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < list.length; i += limit) {
        const chunk = list.slice(i, i + limit);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const out = original.kernelFunc({ inputs: chunk as unknown as Record<string, tf.TensorInfo>, backend, attrs }) as tf.TensorInfo;
        temps.push(out);
        next.push(out);
      }
      list = next;
    }
    const result = original.kernelFunc({ inputs: list as unknown as Record<string, tf.TensorInfo>, backend, attrs });
    for (const t of temps) b.disposeData(t.dataId);
    return result;
  });
}

/**
 * `a · b` (either transposed, as tfjs's BatchMatMul attributes say) in the SIMD kernel of wasm/kernels.wat, for
 * non-empty float32 inputs of one rank and the same batch dimensions — every product of a dense layer and its
 * gradients. Reads a transposed `a` through strides; a transposed `b` (a layer's weight, small) is copied first. Null
 * for anything else (broadcast batches, other dtypes, no SIMD), which keeps XNNPACK.
 */
function simdMatMul(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean, backend: WasmHeapBackend): tf.TensorInfo | null {
  const rank = a.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || b.shape.length !== rank || rank < 2) return null;
  const batchShape = a.shape.slice(0, rank - 2);
  if (batchShape.some((d, i) => d !== b.shape[i])) return null;
  const [aRows, aCols] = a.shape.slice(rank - 2);
  const [bRows, bCols] = b.shape.slice(rank - 2);
  const m = ta ? aCols : aRows;
  const k = ta ? aRows : aCols;
  const n = tb ? bRows : bCols;
  if ((tb ? bCols : bRows) !== k || m === 0 || k === 0 || n === 0) return null;
  const simd = simdKernels(backend);
  if (!simd) return null;
  const bRowMajor = tb ? transposeLastTwo(b, backend) : b;
  const out = backend.makeOutput([...batchShape, m, n], 'float32');
  // Views after every makeOutput: a heap growth there detaches views taken before it.
  const av = backend.typedArrayFromHeap(a);
  const bv = backend.typedArrayFromHeap(bRowMajor);
  const ov = backend.typedArrayFromHeap(out);
  const batches = batchShape.reduce((p, d) => p * d, 1);
  for (let p = 0; p < batches; p++)
    simd.matMul(av.byteOffset + 4 * p * m * k, ta ? 4 : 4 * k, ta ? 4 * m : 4, bv.byteOffset + 4 * p * k * n, ov.byteOffset + 4 * p * m * n, m, k, n);
  if (tb) (backend as unknown as { disposeData: (id: unknown) => void }).disposeData(bRowMajor.dataId);
  return out;
}

/**
 * The WASM matMul kernels take a slow path when an input is transposed, and every gradient of a dense layer asks
 * for exactly that. Re-register BatchMatMul and _FusedMatMul so that they transpose explicitly first (a cheap copy)
 * and then run the fast untransposed kernel. Measured ≈5× faster Adam steps on an MLP (see shared toolchain notes).
 * BatchMatMul products of suitable shapes (`simdMatMul`) skip both the copy and XNNPACK.
 */
export function registerFastWasmMatMul(): void {
  const transpose = tf.getKernel('Transpose', 'wasm') as unknown as KernelConfig | undefined;
  if (!transpose) return;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    replaceKernel(name, 'wasm', (original) => ({ inputs, backend, attrs }) => {
      const ta = Boolean(attrs?.transposeA);
      const tb = Boolean(attrs?.transposeB);
      if (name === 'BatchMatMul') {
        const product = simdMatMul(inputs.a, inputs.b, ta, tb, backend as WasmHeapBackend);
        if (product) return product;
      }
      if (!ta && !tb) return original.kernelFunc({ inputs, backend, attrs });
      const temps: tf.TensorInfo[] = [];
      const flip = (t: tf.TensorInfo): tf.TensorInfo => {
        const r = t.shape.length;
        const perm = [...Array(r).keys()];
        perm[r - 2] = r - 1;
        perm[r - 1] = r - 2;
        // The WASM Transpose kernel costs ≈ 8 ns per element (0.5 ms for a [1024, 64] weight gradient's input); an
        // output-order copy over heap views ≈ 1–2 ns.
        const out =
          t.dtype === 'float32' || t.dtype === 'int32'
            ? transposeLastTwo(t, backend as WasmHeapBackend)
            : (transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo);
        temps.push(out);
        return out;
      };
      const newInputs = { ...inputs, a: ta ? flip(inputs.a) : inputs.a, b: tb ? flip(inputs.b) : inputs.b };
      const result = original.kernelFunc({ inputs: newInputs, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      const b = backend as { disposeData: (id: unknown) => void };
      for (const t of temps) b.disposeData(t.dataId);
      return result;
    });
  }
}

/** The parts of tfjs's WASM backend the slice kernels use. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Copies the box `begin`/`size` of `x` into a new WASM tensor, reading `x` through a heap view (no full copy). */
function sliceFromHeap(x: tf.TensorInfo, begin: number[], size: number[], backend: WasmHeapBackend): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const rank = size.length;
  let total = 1;
  for (const d of size) total *= d;
  if (total === 0) return out;
  // Views are taken after makeOutput: a heap growth there would detach views taken before it.
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= x.shape[i];
  }
  // Merge trailing axes taken whole into one contiguous run.
  let runAxis = rank - 1;
  let run = size[rank - 1];
  while (runAxis > 0 && size[runAxis] === x.shape[runAxis] && begin[runAxis] === 0) {
    runAxis--;
    run *= size[runAxis];
  }
  const outer = total / run;
  const idx = new Array<number>(runAxis).fill(0);
  let base = 0;
  for (let a = 0; a <= runAxis; a++) base += begin[a] * strides[a];
  let o = 0;
  for (let r = 0; r < outer; r++) {
    let off = base;
    for (let a = 0; a < runAxis; a++) off += idx[a] * strides[a];
    if (run >= 64) ov.set(xv.subarray(off, off + run), o);
    else for (let j = 0; j < run; j++) ov[o + j] = xv[off + j];
    o += run;
    for (let a = runAxis - 1; a >= 0; a--) {
      if (++idx[a] < size[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * tfjs's WASM `Slice` (and `SplitV`, which calls it once per piece) first copies the *whole* input out of the WASM
 * heap (`readSync`) for every slice: splitting a 58k-parameter vector into 48 pieces copied 11 MB, and a coupling's
 * column slice of a [100k, d] batch copies the batch each time. Re-register both to read the input through a heap
 * view and copy only the slice (contiguous runs with `TypedArray.set`). Strings keep the original kernels.
 */
export function registerFastWasmSlice(): void {
  replaceKernel('Slice', 'wasm', (slice) => ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    if (x.dtype === 'string') return slice.kernelFunc({ inputs, backend, attrs });
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs?.begin as number | number[], attrs?.size as number | number[]);
    return sliceFromHeap(x, b, s, backend as WasmHeapBackend);
  });
  replaceKernel('SplitV', 'wasm', (split) => ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    if (x.dtype === 'string') return split.kernelFunc({ inputs, backend, attrs });
    const axis = tf.util.parseAxisParam(attrs?.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs?.numOrSizeSplits as number | number[], axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[axis] = n;
      const out = sliceFromHeap(x, [...begin], size, backend as WasmHeapBackend);
      begin[axis] += n;
      return out;
    });
  });
}

// Eigen's float tanh (generic_fast_tanh_float): a 13/6 rational in x on [−7.905, 7.905]; evaluated in double here,
// then rounded to float32: within 2.4e-7 of Math.tanh everywhere (tested).
const TANH_CLAMP = 7.905311107635498;
const [TA1, TA3, TA5, TA7, TA9, TA11, TA13] = [
  4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8, -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16,
];
const [TB0, TB2, TB4, TB6] = [4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6];

/** tanh(x) by the rational above; beyond it 1 − 2e^(−2|x|) with the sign of x (±∞ gives ±1, NaN stays NaN). */
export function rationalTanh(x: number): number {
  if (x > TANH_CLAMP) return 1 - 2 * Math.exp(-2 * x);
  if (x < -TANH_CLAMP) return 2 * Math.exp(2 * x) - 1;
  const x2 = x * x;
  const p = x * (TA1 + x2 * (TA3 + x2 * (TA5 + x2 * (TA7 + x2 * (TA9 + x2 * (TA11 + x2 * TA13))))));
  return p / (TB0 + x2 * (TB2 + x2 * (TB4 + x2 * TB6)));
}

/** The SIMD kernels of packages/core/wasm/kernels.wat: float32 arrays at byte offsets of tfjs's heap. */
export interface SimdKernels {
  /** tanh of the first n − n mod 4 elements. */
  tanh(src: number, dst: number, n: number): void;
  /** e^x of the first n − n mod 4 elements. */
  exp(src: number, dst: number, n: number): void;
  /** ln x of the first n − n mod 4 elements. */
  log(src: number, dst: number, n: number): void;
  /** dst = src + row, row broadcast over the rows of a row-major [rows, cols] array; cols a multiple of 4. */
  addRow(src: number, row: number, dst: number, rows: number, cols: number): void;
  /** Column sums of a row-major [rows, cols] array, cols a multiple of 4. */
  sumRows(src: number, dst: number, rows: number, cols: number): void;
  /** dst [m, n] = A · B, A[i, q] at a + i·aRowStride + q·aColStride (bytes), B row-major [k, n]. */
  matMul(a: number, aRowStride: number, aColStride: number, b: number, dst: number, m: number, k: number, n: number): void;
  /** The transpose of a row-major [rows, cols] array of 4-byte values, rows and cols multiples of 4. */
  transpose(src: number, dst: number, rows: number, cols: number): void;
  /** The Metropolis–Hastings decision's element loop (see wasmMetropolis.ts); valid = 0 when there is none. */
  metropolis(logRatio: number, logU: number, valid: number, clean: number, mask: number, accepted: number, n: number): void;
  /** u8 [n, d] row mask from a 0/1 float32 [n]. */
  repeatRows(accepted: number, out: number, n: number, d: number): void;
  /** out = mask ? a : b elementwise, n 4-byte values, u8 mask. */
  select(mask: number, a: number, b: number, out: number, n: number): void;
  /** u8 [n]: rows of a float32 [n, d] all finite, and-ed into ok unless first. */
  finiteRows(src: number, ok: number, n: number, d: number, first: number): void;
  /** n seeded normals times scale (core's ziggurat, see wasmNormals.ts); returns how many 32-bit words it drew. */
  normals(state: number, out: number, n: number, kn: number, wn: number, fn: number, scale: number): number;
}

/** The WebAssembly.Memory of tfjs's WASM backend (its module exports it), or null for another backend. */
export function tfjsWasmMemory(backend: unknown): WebAssembly.Memory | null {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } } | null)?.wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/** One instance per tfjs heap (a re-created backend brings a new one); null where WASM SIMD is unavailable. */
const simdKernelsByMemory = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

/**
 * The SIMD kernels instantiated on tfjs's own WASM memory, so they read and write tensors in place; null when tfjs's
 * module does not export its memory or the engine has no WASM SIMD (then JavaScript loops run instead).
 */
export function simdKernels(backend: unknown): SimdKernels | null {
  const memory = tfjsWasmMemory(backend);
  if (!memory) return null;
  let k = simdKernelsByMemory.get(memory);
  if (k === undefined) {
    try {
      const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
      k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, log: Math.log, exp: Math.exp } }).exports as unknown as SimdKernels;
    } catch {
      k = null;
    }
    simdKernelsByMemory.set(memory, k);
  }
  return k;
}

/** True when the active backend is WASM and the SIMD kernels run on its heap (tests and benchmark headers ask). */
export function wasmSimdKernelsActive(): boolean {
  return tf.getBackend() === 'wasm' && simdKernels(tf.backend()) !== null;
}

/**
 * Re-registers the float32 case of tfjs's unary WASM kernel `name` as the SIMD kernel `simdName` of wasm/kernels.wat on
 * the tensors in place, with `scalar` (in double, rounded to float32 on store) for the last n mod 4 elements and where
 * SIMD is unavailable. Other dtypes keep the original kernel; gradients are tfjs's.
 */
function replaceUnaryWithSimd(name: string, simdName: 'tanh' | 'exp' | 'log', scalar: (x: number) => number): void {
  replaceKernel(name, 'wasm', (original) => ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    if (x.dtype !== 'float32') return original.kernelFunc({ inputs, backend, attrs });
    const b = backend as WasmHeapBackend;
    const out = b.makeOutput(x.shape, x.dtype);
    // Views after makeOutput: a heap growth there detaches views taken before it.
    const xv = b.typedArrayFromHeap(x);
    const ov = b.typedArrayFromHeap(out);
    const simd = simdKernels(backend);
    let i = 0;
    if (simd) {
      simd[simdName](xv.byteOffset, ov.byteOffset, xv.length);
      i = xv.length - (xv.length % 4);
    }
    for (; i < xv.length; i++) ov[i] = scalar(xv[i]);
    return out;
  });
}

/**
 * tfjs's WASM `Tanh` runs a scalar libm tanh at ≈ 20–30 ns per element — 58 % of sampling a 100k-point RealNVP batch
 * (issue #20's profile). Re-register it for float32 as the same rational in WASM SIMD (packages/core/wasm/kernels.wat;
 * float32 arithmetic, within 3e-7 of tanh; ≈ 0.9 ns per element), with the rational in double for the last n mod 4
 * elements. Its gradient is tfjs's, from the output: dy·(1 − y²).
 */
export function registerFastWasmTanh(): void {
  replaceUnaryWithSimd('Tanh', 'tanh', rationalTanh);
}

/**
 * tfjs's WASM `Exp` and `Log` run scalar std::exp/std::log at ≈ 7 and 3.5 ns per element (an affine coupling's e^s,
 * the Metropolis test's log u at every MCMC step). Re-register them for float32 as Cephes' expf/logf in WASM SIMD
 * (≈ 1 and 1.5 ns per element, within 1 ulp as tfjs's are), with Math.exp/Math.log for the last n mod 4 elements.
 */
export function registerFastWasmExpLog(): void {
  replaceUnaryWithSimd('Exp', 'exp', Math.exp);
  replaceUnaryWithSimd('Log', 'log', Math.log);
}

/** x with its last two axes swapped (`[…, r, c]` → `[…, c, r]`), copied through heap views. */
function transposeLastTwo(x: tf.TensorInfo, backend: WasmHeapBackend): tf.TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2];
  const cols = x.shape[rank - 1];
  const outShape = [...x.shape.slice(0, rank - 2), cols, rows];
  const out = backend.makeOutput(outShape, x.dtype);
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const plane = rows * cols;
  const batches = plane === 0 ? 0 : xv.length / plane;
  // 4 × 4 blocks in WASM SIMD where both sides allow them (a bit copy: float32 and int32 alike).
  const simd = rows % 4 === 0 && cols % 4 === 0 ? simdKernels(backend) : null;
  if (simd) {
    for (let b = 0; b < batches; b++) simd.transpose(xv.byteOffset + 4 * b * plane, ov.byteOffset + 4 * b * plane, rows, cols);
    return out;
  }
  // Output-order loop: sequential writes and strided reads measured 6× faster than the reverse or 32 × 32 tiles.
  for (let b = 0; b < batches; b++) {
    const base = b * plane;
    for (let j = 0; j < cols; j++) {
      const o = base + j * rows;
      for (let i = 0; i < rows; i++) ov[o + i] = xv[base + i * cols + j];
    }
  }
  return out;
}

/**
 * tfjs's WASM `Sum` over the leading axis of a `[n, m]` batch — every bias gradient of a dense layer — costs ≈ 0.5 ms at
 * [1024, 64] (17 % of a reverse-KL step of the bench RealNVP). Re-register it so that float32 sums over leading axes
 * (axes 0…p−1, the rest kept) run in WASM SIMD when the kept size is a multiple of 4 (float32 accumulation, ≈ 25 µs at
 * [1024, 64]), else as a JavaScript loop over heap views accumulated in double; other reductions keep the original
 * kernel.
 */
export function registerFastWasmSum(): void {
  replaceKernel('Sum', 'wasm', (original) => ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    const axes = tf.util.parseAxisParam(attrs?.axis as number | number[], x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original.kernelFunc({ inputs, backend, attrs });
    const kept = x.shape.slice(axes.length);
    const outShape = attrs?.keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const b = backend as WasmHeapBackend;
    const out = b.makeOutput(outShape, 'float32');
    const xv = b.typedArrayFromHeap(x);
    const ov = b.typedArrayFromHeap(out);
    const m = ov.length;
    const n = m === 0 ? 0 : xv.length / m;
    const simd = m % 4 === 0 && n > 0 ? simdKernels(backend) : null;
    if (simd) {
      simd.sumRows(xv.byteOffset, ov.byteOffset, n, m);
      return out;
    }
    const acc = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      const row = i * m;
      for (let j = 0; j < m; j++) acc[j] += xv[row + j];
    }
    for (let j = 0; j < m; j++) ov[j] = acc[j];
    return out;
  });
}

/**
 * tfjs's WASM `Add` broadcasts a row over a batch — every dense layer's bias, `[1024, 64] + [64]` — in ≈ 45 µs, four
 * times an add of two arrays of one shape. Re-register it so that a float32 `[…, m]` plus a float32 row (`[m]`, or
 * `[1, …, 1, m]` of no higher rank), in either order, runs in WASM SIMD when m is a multiple of 4 and as a JavaScript
 * loop over heap views otherwise; every other Add keeps the original kernel. The same float32 sums, so the same
 * numbers; the gradient is tfjs's (it sums over the broadcast axes).
 */
export function registerFastWasmAddRow(): void {
  replaceKernel('Add', 'wasm', (original) => ({ inputs, backend, attrs }) => {
    const { a, b } = inputs;
    const [batch, row] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
    const m = batch.shape[batch.shape.length - 1];
    const isRow = row.shape.length >= 1 && row.shape[row.shape.length - 1] === m && row.shape.slice(0, -1).every((d) => d === 1);
    const rows = batch.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !isRow || m === 0 || rows < 2) return original.kernelFunc({ inputs, backend, attrs });
    const wb = backend as WasmHeapBackend;
    const out = wb.makeOutput([...batch.shape], 'float32');
    // Views after makeOutput: a heap growth there detaches views taken before it.
    const xv = wb.typedArrayFromHeap(batch);
    const rv = wb.typedArrayFromHeap(row);
    const ov = wb.typedArrayFromHeap(out);
    const simd = m % 4 === 0 ? simdKernels(backend) : null;
    if (simd) simd.addRow(xv.byteOffset, rv.byteOffset, ov.byteOffset, rows, m);
    else for (let i = 0, o = 0; i < rows; i++) for (let j = 0; j < m; j++, o++) ov[o] = xv[o] + rv[j];
    return out;
  });
}

/**
 * tfjs's WASM `Concat` copies each row of each input with `subarray` + `set`: ≈ 45 ns per row, so joining a coupling's
 * two [100 000, 1] halves costs 9 ms. Re-register it so that short rows (< 64 values) are copied value by value over
 * heap views; long rows, strings and single non-empty inputs keep the original kernel.
 */
export function registerFastWasmConcat(): void {
  replaceKernel('Concat', 'wasm', (original) => ({ inputs, backend, attrs }) => {
    const all = Object.values(inputs) as tf.TensorInfo[];
    const parts = all.filter((t) => t.shape.reduce((a, d) => a * d, 1) > 0);
    if (parts.length < 2 || parts.some((t) => t.dtype !== 'float32' && t.dtype !== 'int32') || parts.some((t) => t.dtype !== parts[0].dtype))
      return original.kernelFunc({ inputs, backend, attrs });
    const axis = tf.util.parseAxisParam(attrs?.axis as number, parts[0].shape)[0];
    const inner = parts.map((t) => t.shape.slice(axis).reduce((a, d) => a * d, 1));
    if (inner.some((d) => d >= 64)) return original.kernelFunc({ inputs, backend, attrs });
    const outShape = tf.backend_util.computeOutShape(
      all.map((t) => t.shape),
      axis,
    );
    const b = backend as WasmHeapBackend;
    const out = b.makeOutput(outShape, parts[0].dtype);
    const views = parts.map((t) => b.typedArrayFromHeap(t));
    const ov = b.typedArrayFromHeap(out);
    const rowOut = inner.reduce((a, d) => a + d, 0);
    const rows = rowOut === 0 ? 0 : ov.length / rowOut;
    let o = 0;
    for (let r = 0; r < rows; r++)
      for (let p = 0; p < views.length; p++) {
        const v = views[p];
        const d = inner[p];
        const start = r * d;
        for (let j = 0; j < d; j++) ov[o++] = v[start + j];
      }
    return out;
  });
}
