/**
 * The playground's Web Worker: picks the TF.js backend and runs the CLI's own double-well experiment (the same
 * recipes, trainer and metrics as `boltzflow run double-well`), streaming progress to the page through comlink.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as Comlink from 'comlink';
import { backendInfo, createRng, initBackend } from '@boltzflow/core';
import { comparisonVerdicts, type SamplerResult } from '@boltzflow/samplers';
// The CLI's experiment module itself (browser-safe: zod, samplers, energies), so the page runs exactly what the CLI runs.
import { DoubleWellParams, doubleWell } from '../../experiments/src/experiments/doubleWell.js';
import { compileFormula } from './formula.js';

/** One progress event: a bar's position and status fields (loss, ESS/N, acceptance …) or a log line. */
export type PlaygroundEvent = { kind: 'bar'; label: string; value: number; total: number; info: Record<string, string | number> } | { kind: 'log'; message: string };

/** What the page asks for. */
export interface RunRequest {
  preset: 'snf' | 'bg-paper';
  seed: number;
  samplers: string[];
  budget: number;
  chains: number;
  trainingSteps: number;
  /** Step size of plain RWM (no adaptation) — small on purpose to show it stuck in one well. */
  rwmStep: number;
}

let backendName = '';

const api = {
  /** Starts the backend: `webgpu` or `webgl` when asked for and available, else WASM (the default). */
  async init(wanted: string): Promise<string> {
    setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
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
    if (wanted === 'webgl' && (await tf.setBackend('webgl'))) {
      backendName = 'webgl';
      return backendName;
    }
    const info = await initBackend('wasm');
    backendName = info.active;
    return backendName;
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
  /** Runs the double-well comparison and returns a results.json object in the CLI's schema. */
  async run(req: RunRequest, onEvent: (e: PlaygroundEvent) => void): Promise<unknown> {
    const started = new Date();
    const t0 = performance.now();
    const params = DoubleWellParams.parse({
      energy: { preset: req.preset },
      budget: req.budget,
      chains: req.chains,
      samplers: req.samplers,
      rwm: { scan: [req.rwmStep] },
      training: { steps: req.trainingSteps, batchSize: 128 },
      flow: { dataSamples: 1024, layers: 4, hidden: 32 },
      plot: { samplesPerSampler: 400, tracePoints: 400, acfLags: 40 },
    });
    const progress = {
      bar(label: string, total: number) {
        return {
          update(value: number, info?: Record<string, string | number>) {
            onEvent({ kind: 'bar', label, value, total, info: info ?? {} });
          },
          stop() {},
        };
      },
      log(message: string) {
        onEvent({ kind: 'log', message });
      },
    };
    const output = await doubleWell.run(params, { seed: req.seed, quick: false, rng: createRng(req.seed), progress });
    const backend = backendName === 'wasm' || backendName === 'cpu' ? backendInfo() : { requested: backendName, active: tf.getBackend(), fallback: false, tfjsVersion: tf.version.tfjs };
    return {
      schemaVersion: 1,
      experiment: doubleWell.name,
      description: output.description ?? doubleWell.description,
      config: { experiment: doubleWell.name, seed: req.seed, quick: false, params: params as unknown as Record<string, unknown> },
      seed: req.seed,
      quick: false,
      backend,
      libraryVersion: '0.1.0',
      startedAt: started.toISOString(),
      wallSeconds: (performance.now() - t0) / 1000,
      reference: output.reference,
      samplers: output.samplers,
      skipped: output.skipped,
      ...(output.training ? { training: output.training } : {}),
      ...(output.samplers.length > 0 ? { verdict: comparisonVerdicts(output.samplers as SamplerResult[], output.reference?.deltaF) } : {}),
      artifacts: output.artifacts,
    };
  },
};

/** The worker's API as the page sees it. */
export type PlaygroundApi = typeof api;
Comlink.expose(api);
