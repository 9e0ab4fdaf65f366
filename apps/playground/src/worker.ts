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
import { linspace, quadrature2D, round } from '@boltzflow/samplers';
import { z } from 'zod';
// The CLI's experiment module itself (browser-safe: zod, samplers, energies), so the page runs exactly what the CLI runs.
import { DoubleWellParams, doubleWell } from '../../experiments/src/experiments/doubleWell.js';
import { comparisonFields, runComparison2D } from '../../experiments/src/experiments/comparison2d.js';
import { resultsFromOutput } from '../../experiments/src/resultsFromOutput.js';
import { compileFormula, FormulaEnergy } from './formula.js';

/** One progress event: a bar's position and status fields (loss, ESS/N, acceptance …) or a log line. */
export type PlaygroundEvent =
  | { kind: 'bar'; label: string; value: number; total: number; info: Record<string, string | number> }
  | { kind: 'log'; message: string };

/** What the page asks for. */
export interface RunRequest {
  preset: 'snf' | 'bg-paper';
  seed: number;
  samplers: string[];
  budget: number;
  chains: number;
  trainingSteps: number;
  /** A custom energy in x1, x2; when set, it replaces the preset (ΔF across x₁ = 0, exact by quadrature in the worker). */
  formula?: string;
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
    const shared = {
      budget: req.budget,
      chains: req.chains,
      samplers: req.samplers,
      rwm: { scan: [req.rwmStep] },
      training: { steps: req.trainingSteps, batchSize: 128 },
      flow: { dataSamples: 1024, layers: 4, hidden: 32 },
      plot: { samplesPerSampler: 400, tracePoints: 400, acfLags: 40 },
    };
    const params = req.formula ? z.object(comparisonFields()).strict().parse(shared) : DoubleWellParams.parse({ energy: { preset: req.preset }, ...shared });
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
    const ctx = { seed: req.seed, quick: false, rng: createRng(req.seed), progress };
    const name = req.formula ? 'playground-formula' : doubleWell.name;
    const output = req.formula ? await runFormula(req.formula, params, ctx) : await doubleWell.run(params as z.infer<typeof DoubleWellParams>, ctx);
    const backend =
      backendName === 'wasm' || backendName === 'cpu'
        ? backendInfo()
        : { requested: backendName, active: tf.getBackend(), fallback: false, tfjsVersion: tf.version.tfjs };
    return resultsFromOutput(
      {
        experiment: name,
        description: req.formula ? `custom energy u = ${req.formula}` : doubleWell.description,
        params: params as unknown as Record<string, unknown>,
        seed: req.seed,
        quick: false,
        backend,
        libraryVersion: '0.1.0',
        startedAt: started,
        wallSeconds: (performance.now() - t0) / 1000,
      },
      output,
    );
  },
};

/** A formula energy through the CLI's 2D comparison, with the exact ΔF across x₁ = 0 by quadrature. */
function runFormula(formula: string, params: z.infer<z.ZodObject<ReturnType<typeof comparisonFields>>>, ctx: Parameters<typeof runComparison2D>[2]) {
  const energy = new FormulaEnergy(formula);
  const range: [number, number] = [-2.75, 2.75];
  const q = quadrature2D(energy, [-4, 4], [-4, 4], 401, 0, 0, linspace(range[0], range[1], 111));
  if (!Number.isFinite(q.deltaF)) throw new Error(`the exact ΔF of this energy is not finite (${q.deltaF}); is exp(−u) normalisable on [−4, 4]²?`);
  const fMin = Math.min(...q.profile.f.filter(Number.isFinite));
  return runComparison2D(energy, params, ctx, {
    spec: { index: 0, name: 'x₁', threshold: 0, deadZone: 1, profileEdges: linspace(range[0], range[1], 45), profileMin: fMin, referenceDeltaF: q.deltaF },
    reference: { deltaF: q.deltaF, method: 'quadrature', definition: 'ΔF = F(x₁>0) − F(x₁<0) = −ln(P(x₁>0)/P(x₁<0)) in kT' },
    exactProfile: q.profile,
    exactModeFractions: { 'exact P(x₁>0)': round(q.pAbove, 6) },
    gridX: [-3, 3],
    gridY: [-3.5, 3.5],
    start: { center: [0, 0], scale: 1.5 },
  });
}

/** The worker's API as the page sees it. */
export type PlaygroundApi = typeof api;
Comlink.expose(api);
