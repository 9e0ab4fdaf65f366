import * as tf from '@tensorflow/tfjs';
import { envVar, tfjsCoreCopies, wasmBinaryDir } from '#platform';
import { BoltzflowError } from './errors.js';
import { assertOneOf } from './guards.js';
import {
  registerChunkedWebGpuAddN,
  registerFastWasmAddRow,
  registerFastWasmConcat,
  registerFastWasmExpLog,
  registerFastWasmMatMul,
  registerFastWasmSlice,
  registerFastWasmSum,
  registerFastWasmTanh,
} from './kernelReplacements.js';

/** Backends the library can select. `node`/`node-gpu` need the optional tfjs-node packages, `webgpu` the optional Dawn bindings. */
export type BackendName = 'wasm' | 'cpu' | 'node' | 'node-gpu' | 'webgpu';

/** Every name {@link initBackend} accepts (and `BOLTZFLOW_BACKEND` may hold). */
export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu', 'node', 'node-gpu', 'webgpu'];

/** What {@link initBackend} ended up running, recorded in every result file. */
export interface BackendInfo {
  /** Requested name (from the argument, `BOLTZFLOW_BACKEND`, or the default). */
  requested: BackendName;
  /** The tfjs backend name actually active (`wasm`, `cpu`, `tensorflow`, `webgpu`). */
  active: string;
  /** True when the request could not be honoured and `cpu` was used instead. */
  fallback: boolean;
  /** Why a fallback happened. */
  reason?: string;
  /** WebGPU only: the adapter Dawn picked (vendor / architecture / device / description), e.g. "nvidia / … / NVIDIA H200" or Mesa's "llvmpipe" (lavapipe, a CPU Vulkan driver, not a GPU). */
  adapter?: string;
  tfjsVersion: string;
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;
const importModule = (name: string): Promise<unknown> => import(name);

function parseName(name: string, argument: string): BackendName {
  const n = name.trim().toLowerCase();
  assertOneOf(n, BACKEND_NAMES, argument, { code: 'INVALID_CONFIG', message: 'Unknown backend' });
  return n;
}

/** The backend named by `BOLTZFLOW_BACKEND`, or `wasm`. */
export function requestedBackend(): BackendName {
  const env = envVar('BOLTZFLOW_BACKEND');
  return env && env.trim() !== '' ? parseName(env, 'BOLTZFLOW_BACKEND') : 'wasm';
}

/**
 * Selects and initialises the tensor backend once per process.
 * Order of precedence: the argument, then `BOLTZFLOW_BACKEND`, then `wasm`.
 * `wasm` falls back to `cpu` if it cannot start; optional backends that are requested but missing throw
 * BACKEND_UNAVAILABLE with install instructions rather than silently running elsewhere.
 */
export async function initBackend(name?: BackendName | string): Promise<BackendInfo> {
  const requested = name === undefined ? requestedBackend() : parseName(name, 'backend');
  warnOnSecondTfjsCopy();
  if (current && current.requested === requested) return current;
  if (pending && !current) {
    const info = await pending;
    if (info.requested === requested) return info;
  }
  pending = doInit(requested);
  try {
    current = await pending;
  } finally {
    pending = undefined;
  }
  return current;
}

/** Information on the active backend; throws if {@link initBackend} was never awaited. */
export function backendInfo(): BackendInfo {
  if (!current) {
    return { requested: 'cpu', active: tf.getBackend() ?? 'none', fallback: false, reason: 'initBackend() not called', tfjsVersion: tf.version.tfjs };
  }
  return { ...current, active: tf.getBackend() };
}

async function doInit(requested: BackendName): Promise<BackendInfo> {
  tf.env().set('PROD', true);
  const base = { requested, tfjsVersion: tf.version.tfjs };
  switch (requested) {
    case 'cpu':
      await setOrThrow('cpu');
      return { ...base, active: 'cpu', fallback: false };
    case 'wasm':
      try {
        await setupWasm();
        await setOrThrow('wasm');
        registerFastWasmMatMul();
        registerFastWasmSlice();
        registerFastWasmTanh();
        registerFastWasmSum();
        registerFastWasmConcat();
        registerFastWasmAddRow();
        registerFastWasmExpLog();
        return { ...base, active: 'wasm', fallback: false };
      } catch (e) {
        await setOrThrow('cpu');
        const reason = `wasm backend failed to start: ${(e as Error).message}`;
        console.warn(`boltzflow: running on the slower cpu backend; ${reason}`);
        return { ...base, active: 'cpu', fallback: true, reason };
      }
    case 'node':
    case 'node-gpu': {
      const pkg = requested === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      try {
        await importModule(pkg);
      } catch (e) {
        throw new BoltzflowError(
          'BACKEND_UNAVAILABLE',
          `Backend '${requested}' needs the optional package ${pkg}, which could not be loaded: ${(e as Error).message}. Install it with 'npm install ${pkg}' (its installer downloads libtensorflow; see the core README for an offline mirror), or choose wasm/cpu`,
          { argument: 'backend', expected: 'an installed backend', received: requested },
        );
      }
      await setOrThrow('tensorflow');
      return { ...base, active: 'tensorflow', fallback: false };
    }
    case 'webgpu': {
      const adapter = await setupWebGpu();
      await setOrThrow('webgpu');
      typeSyncReadFailures();
      registerChunkedWebGpuAddN();
      return {
        ...base,
        active: 'webgpu',
        fallback: false,
        adapter,
        reason: 'synchronous reads (dataSync/arraySync) are unavailable on WebGPU in Node; use await tensor.data() or the *Async drivers (sampleChainAsync, …)',
      };
    }
  }
}

async function setOrThrow(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new BoltzflowError('BACKEND_UNAVAILABLE', `tfjs backend '${name}' failed to initialise`, { argument: 'backend', received: name });
  }
}

async function setupWasm(): Promise<void> {
  let wasm: { setWasmPaths: (p: string) => void } | undefined;
  try {
    wasm = (await importModule('@tensorflow/tfjs-backend-wasm')) as typeof wasm;
  } catch (e) {
    // A browser bundle cannot import a bare name at run time; there the app imports the backend itself.
    if (tf.findBackendFactory('wasm') === null) {
      throw new Error(`the package @tensorflow/tfjs-backend-wasm is not installed (npm install @tensorflow/tfjs-backend-wasm): ${(e as Error).message}`);
    }
  }
  const dir = wasmBinaryDir();
  if (wasm && dir !== undefined) wasm.setWasmPaths(dir);
}

// Taken when this module loads, right after its own copy of tfjs-core registered its platform object.
const platformAtLoad = tf.env().platform;
let secondCopyWarned = false;

/**
 * Two copies of TF.js in one app share tfjs' global engine but not its classes and kernels registered per copy, which
 * fails in confusing ways (missing kernels, tensors that never get disposed). Warn once with what to do.
 */
function warnOnSecondTfjsCopy(): void {
  if (secondCopyWarned) return;
  const found: string[] = [];
  if (tf.env().platform !== platformAtLoad) found.push('another copy of @tensorflow/tfjs-core was loaded after the one @boltzflow/core uses');
  const copies = tfjsCoreCopies();
  if (copies) found.push(`@tensorflow/tfjs-core resolves to ${copies.library} from @boltzflow/core but to ${copies.application} from the application`);
  if (found.length === 0) return;
  secondCopyWarned = true;
  console.warn(
    `boltzflow: a second copy of TF.js was detected (${found.join('; ')}). Tensors and kernels of one copy are not seen by the other. Install a single @tensorflow/tfjs matching the peer range of the @boltzflow packages (check with 'npm ls @tensorflow/tfjs-core', fix with 'npm dedupe').`,
  );
}

/**
 * WebGPU through Dawn's Node bindings (`webgpu` npm). The globals must exist before the tfjs webgpu module loads,
 * because it registers itself only when `navigator.gpu` is present at import time.
 */
async function setupWebGpu(): Promise<string> {
  let dawn: { create: (opts: string[]) => unknown; globals: Record<string, unknown> };
  try {
    dawn = (await importModule('webgpu')) as typeof dawn;
  } catch (e) {
    throw new BoltzflowError(
      'BACKEND_UNAVAILABLE',
      `Backend 'webgpu' needs the optional packages webgpu and @tensorflow/tfjs-backend-webgpu: ${(e as Error).message}`,
      { argument: 'backend', received: 'webgpu' },
    );
  }
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  Object.assign(globalThis, dawn.globals);
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, writable: true, configurable: true });
  const dawnFlags = envVar('BOLTZFLOW_DAWN_FLAGS');
  const flags = dawnFlags ? dawnFlags.split(',') : [];
  g.navigator!.gpu = dawn.create(flags);
  const adapter = (await (g.navigator!.gpu as { requestAdapter: () => Promise<unknown> }).requestAdapter()) as { info?: Record<string, string> } | null;
  if (!adapter) {
    throw new BoltzflowError(
      'BACKEND_UNAVAILABLE',
      "Backend 'webgpu' found no GPU adapter: Dawn needs a Vulkan driver (libvulkan.so.1 plus an ICD: NVIDIA's, or Mesa lavapipe >= 25)",
      { argument: 'backend', received: 'webgpu' },
    );
  }
  try {
    await importModule('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    throw new BoltzflowError('BACKEND_UNAVAILABLE', `Backend 'webgpu' needs @tensorflow/tfjs-backend-webgpu: ${(e as Error).message}`, {
      argument: 'backend',
      received: 'webgpu',
    });
  }
  const i = adapter.info ?? {};
  return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / ');
}

/**
 * tfjs-webgpu reads GPU buffers synchronously through OffscreenCanvas, which Node lacks: dataSync() then dies with a
 * bare ReferenceError. Turn that into a typed error that says what to do instead.
 */
function typeSyncReadFailures(): void {
  const backend = tf.backend() as unknown as { readSync: (dataId: unknown) => unknown };
  const original = backend.readSync.bind(backend);
  backend.readSync = (dataId: unknown) => {
    try {
      return original(dataId);
    } catch (e) {
      if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) {
        throw new BoltzflowError(
          'BACKEND_UNAVAILABLE',
          'The WebGPU backend cannot read tensors synchronously in Node (tfjs needs OffscreenCanvas for dataSync/arraySync); use `await tensor.data()`, or the wasm backend for code that reads synchronously (MCMC loops, training logs)',
          { argument: 'backend', received: 'webgpu' },
        );
      }
      throw e;
    }
  };
}
