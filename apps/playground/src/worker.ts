/**
 * The playground's Web Worker: picks the TF.js backend and runs the CLI's own experiment modules (double well,
 * Müller–Brown, GMM, many-well, or a formula through the CLI's 2D comparison — the same recipes, trainer and metrics
 * as `boltzflow run`), streaming progress and live chain snapshots to the page through comlink.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { backendInfo, createRng, initBackend } from '@boltzflow/core';
import {
  comparisonVerdicts,
  RECIPES,
  verdictLine,
  type CoordinateSpec,
  type Draws,
  type PlotLimits,
  type SamplerResult,
  type Verdict,
} from '@boltzflow/samplers';
import { energyGrid } from '../../experiments/src/experiments/common.js';
import { resultsFromOutput } from '../../experiments/src/resultsFromOutput.js';
// The CLI records its package's version (apps/experiments/package.json, read at run time); the page bundles the same
// file's version at build time.
import experimentsPackage from '../../experiments/package.json' with { type: 'json' };
import { compileFormula } from './formula.js';
import { answerAfterEvents } from './live.js';
import { LiveChains, type LiveSnapshot } from './liveChains.js';
import { resolveRun, targetView, type RunRequest, type TargetView } from './targets.js';

export type { LiveSnapshot } from './liveChains.js';
export type { RunRequest, TargetName, TargetView } from './targets.js';

/** One progress event: a bar's position and fields, a log line, a live snapshot, or the worker pausing. */
export type PlaygroundEvent =
  | { kind: 'bar'; label: string; value: number; total: number; info: Record<string, string | number> }
  | { kind: 'log'; message: string }
  | { kind: 'live'; snapshot: LiveSnapshot }
  | { kind: 'paused' };

let backendName = '';
/** Pause flag shared with the page (1 = paused): the worker blocks on it between chunks; absent without cross-origin isolation. */
let pauseFlag: Int32Array | null = null;

/** Whether the page has asked the worker to pause. */
function pauseRequested(): boolean {
  return pauseFlag !== null && Atomics.load(pauseFlag, 0) === 1;
}

/** Blocks while the page holds the pause flag (Atomics.wait is allowed in workers); tells the page once when it stops. */
function gate(onEvent: (e: PlaygroundEvent) => void): void {
  if (!pauseFlag || !pauseRequested()) return;
  onEvent({ kind: 'paused' });
  while (pauseRequested()) Atomics.wait(pauseFlag, 0, 1, 1000);
}

/** The progress sink of one run: bars and logs as events, and a live view of each sampler's chains as it samples. */
function liveProgress(emit: (e: PlaygroundEvent) => void) {
  let live = null as LiveChains | null;
  return {
    sampler(name: string, t: { spec: CoordinateSpec; plot: PlotLimits; evaluations: number }) {
      live = new LiveChains(name, t.spec, t.plot, t.evaluations);
    },
    bar(label: string, total: number) {
      const sampling = live !== null && label === `sampling ${live.sampler}` ? live : null;
      return {
        update(value: number, info?: Record<string, string | number>) {
          sampling?.progress(value, info ?? {});
          emit({ kind: 'bar', label, value, total, info: info ?? {} });
          // A sampling bar pauses in draws(), after the chunk's snapshot, so the paused page shows the latest state.
          if (!sampling) gate(emit);
        },
        draws(block: Draws) {
          const snapshot = sampling?.add(block, pauseRequested());
          if (snapshot) emit({ kind: 'live', snapshot });
          gate(emit);
        },
        // The last chunk may have come too soon after the previous snapshot (and short of the budget: runToBudget stops
        // within half a step of it): the live view still ends on the sampler's final state.
        stop() {
          const snapshot = sampling?.flush();
          if (snapshot) emit({ kind: 'live', snapshot });
        },
      };
    },
    log(message: string) {
      emit({ kind: 'log', message });
    },
  };
}

const api = {
  /** Starts the backend: `webgpu` or `webgl` when asked for and available, else WASM (the default). */
  async init(wanted: string): Promise<string> {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
    // Cross-origin isolation (for the pause flag) would let tfjs pick the threaded WASM binary; keep one thread, as in Node.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (wanted === 'webgpu' && 'gpu' in navigator) {
      try {
        await import('@tensorflow/tfjs-backend-webgpu');
        if (await tf.setBackend('webgpu')) {
          backendName = 'webgpu';
          return backendName;
        }
      } catch {
        /* fall through to wasm */
      }
    }
    if (wanted === 'webgl') {
      try {
        if (await tf.setBackend('webgl')) {
          backendName = 'webgl';
          return backendName;
        }
      } catch {
        /* fall through to wasm */
      }
    }
    const info = await initBackend('wasm');
    backendName = info.active;
    return backendName;
  },
  /** Shares the page's pause flag (an Int32Array over a SharedArrayBuffer). */
  setPauseFlag(buffer: SharedArrayBuffer): void {
    pauseFlag = new Int32Array(buffer);
  },
  /** The registry's recipes that run on the playground's targets (name, description, whether it uses the shared flow), for the sampler picker. */
  recipes(): { name: string; description: string; needsFlow: boolean }[] {
    // The playground's targets are toys without a block of angles: block-move recipes cannot run on them.
    return RECIPES.filter((r) => !r.needsBlock).map((r) => ({ name: r.name, description: r.description, needsFlow: r.needsFlow }));
  },
  /** The CLI's verdict line for a run's (or an imported results.json's) verdicts. */
  verdictLine(verdicts: Verdict[]): string {
    return verdictLine(verdicts);
  },

  /**
   * The sampling-cost verdict on the rows so far, by the library's rules (rows with few transitions or a ΔF off the
   * exact value neither lead nor serve as the baseline). Setup is not in the live rows, so total cost waits for the end.
   */
  liveVerdictLine(rows: SamplerResult[], referenceDeltaF: number | null): string {
    const sampling = comparisonVerdicts(rows, referenceDeltaF ?? undefined).filter((v) => v.basis === 'sampling');
    return verdictLine(sampling).replace(/^verdict — /, 'so far — ');
  },

  /** Checks a formula; returns the error message, or null when it parses. */
  checkFormula(formula: string): string | null {
    try {
      compileFormula(formula);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  },
  /** Contours of the target's energy for the live scatter. */
  async view(req: RunRequest): Promise<TargetView> {
    const v = targetView(req);
    return { grid: await energyGrid(v.energy, v.x, v.y, 61), axes: v.axes };
  },
  /**
   * Runs the comparison and returns a results.json object in the CLI's schema; progress and live snapshots go to
   * `onEvent` (the page's Comlink.proxy, released when the run settles, failed or not).
   */
  run(req: RunRequest, onEvent: (e: PlaygroundEvent) => void): Promise<unknown> {
    // The answer waits until the page has handled every event (answerAfterEvents says why): else the last live snapshot can land after it.
    return answerAfterEvents(onEvent, async (emit) => {
      const started = new Date();
      const t0 = performance.now();
      const exp = resolveRun(req);
      const output = await exp.run({ seed: req.seed, quick: false, rng: createRng(req.seed), progress: liveProgress(emit) });
      const backend =
        backendName === 'wasm' || backendName === 'cpu'
          ? backendInfo()
          : { requested: backendName, active: tf.getBackend(), fallback: false, tfjsVersion: tf.version.tfjs };
      return resultsFromOutput(
        {
          experiment: exp.name,
          description: exp.description,
          params: exp.params as Record<string, unknown>,
          seed: req.seed,
          quick: false,
          backend,
          libraryVersion: experimentsPackage.version,
          startedAt: started,
          wallSeconds: (performance.now() - t0) / 1000,
        },
        output,
      );
    });
  },
};

/** The worker's API as the page sees it. */
export type PlaygroundApi = typeof api;
Comlink.expose(api);
