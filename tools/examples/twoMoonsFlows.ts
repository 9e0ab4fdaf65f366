import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { backendInfo, initBackend, type Bijector, type Distribution, type Rng, createRng } from '@boltzflow/core';
import { Chain, MaskedAutoregressiveFlow, realNVP } from '@boltzflow/bijectors';
import { Normal, TransformedDistribution, twoMoons } from '@boltzflow/distributions';
import { trainML, type TrainingProgress } from '@boltzflow/training';

/** Shared pieces of the two-moons seed experiment (tools/examples/two-moons.ts and tools/bench/twoMoons.ts). */

export type FlowKind = 'maf' | 'realnvp';

/** MAF: `layers` MADE-based affine autoregressive layers (hidden [128, 128], ReLU), alternating the variable order. */
export function buildMAF(rng: Rng, layers = 5): TransformedDistribution {
  const bijectors: Bijector[] = [];
  for (let i = 0; i < layers; i++) {
    bijectors.push(new MaskedAutoregressiveFlow({ dim: 2, hidden: [128, 128], activation: 'relu', order: i % 2 === 0 ? [0, 1] : [1, 0], rng }));
  }
  return new TransformedDistribution(Normal.standard(2), new Chain(bijectors));
}

/** RealNVP (bijectors' realNVP builder): `layers` affine couplings, conditioner hidden [128, 128], ReLU, alternating masks. */
export function buildRealNVP(rng: Rng, layers = 6): TransformedDistribution {
  return new TransformedDistribution(Normal.standard(2), realNVP({ dim: 2, layers, hidden: [128, 128], activation: 'relu', rng }));
}

export function buildFlow(kind: FlowKind, rng: Rng): TransformedDistribution {
  return kind === 'maf' ? buildMAF(rng) : buildRealNVP(rng);
}

export interface TwoMoonsOptions {
  /** Data points (default 10,000). */
  n?: number;
  noise?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  flows?: FlowKind[];
  onProgress?: (kind: FlowKind, p: TrainingProgress) => void;
}

export interface TwoMoonsFit {
  flow: FlowKind;
  parameters: number;
  epochs: number;
  steps: number;
  /** Held-out mean NLL (nats per point) after training. */
  heldOutNLL: number;
  /** Per-epoch held-out NLL. */
  nllByEpoch: number[];
  seconds: number;
  secondsPerEpoch: number;
}

/**
 * Fits each requested flow by maximum likelihood (Adam) to two-moons data with a seeded 90/10 train/held-out split.
 * Returns the fits and the trained flows (caller disposes them) and the data (caller disposes).
 */
export async function fitTwoMoons(
  options: TwoMoonsOptions = {},
): Promise<{ fits: TwoMoonsFit[]; flows: Map<FlowKind, Distribution>; data: tf.Tensor2D; backend: string }> {
  await initBackend();
  const n = options.n ?? 10_000;
  const noise = options.noise ?? 0.05;
  const epochs = options.epochs ?? 3;
  const rng = createRng(options.seed ?? 0);
  const [dataRng, initRng, trainRng] = rng.split(3);
  const data = twoMoons(n, noise, dataRng);
  const fits: TwoMoonsFit[] = [];
  const flows = new Map<FlowKind, Distribution>();
  for (const kind of options.flows ?? ['maf', 'realnvp']) {
    const flow = buildFlow(kind, initRng.fork());
    const nllByEpoch: number[] = [];
    const res = await trainML(flow, data, {
      epochs,
      batchSize: options.batchSize ?? 256,
      learningRate: options.learningRate ?? 1e-3,
      validationFraction: 0.1,
      rng: trainRng.fork(),
      progressEvery: 20,
      onProgress: (p) => {
        if (p.validationNLL !== undefined) nllByEpoch.push(p.validationNLL);
        options.onProgress?.(kind, p);
      },
    });
    const parameters = flow.trainableVariables.reduce((s, v) => s + v.size, 0);
    fits.push({
      flow: kind,
      parameters,
      epochs: res.epochs,
      steps: res.steps,
      heldOutNLL: res.validationNLL ?? NaN,
      nllByEpoch,
      seconds: res.seconds,
      secondsPerEpoch: res.epochs > 0 ? res.seconds / res.epochs : NaN,
    });
    flows.set(kind, flow);
  }
  return { fits, flows, data, backend: backendInfo().active };
}

/** Viridis-like colour ramp (5 anchor colours, linear in between), t ∈ [0, 1]. */
function colour(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * An SVG heat map of log q(x) on a grid (one rect per cell, colour clipped to [max − 8, max] nats) with a subsample of
 * the data drawn on top.
 */
export function logDensitySvg(flow: Distribution, data: tf.Tensor2D, title: string, grid = 80): string {
  const [x0, x1, y0, y1] = [-1.5, 2.5, -1.0, 1.5];
  const nx = grid;
  const ny = Math.max(1, Math.round((grid * (y1 - y0)) / (x1 - x0)));
  const pts: number[] = [];
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) pts.push(x0 + ((i + 0.5) * (x1 - x0)) / nx, y1 - ((j + 0.5) * (y1 - y0)) / ny);
  }
  const lp = tf.tidy(() => flow.logProb(tf.tensor2d(pts, [nx * ny, 2])));
  const v = lp.dataSync();
  lp.dispose();
  let max = -Infinity;
  for (const a of v) if (Number.isFinite(a) && a > max) max = a;
  const cell = 6;
  const w = nx * cell;
  const h = ny * cell;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h + 24}" viewBox="0 0 ${w} ${h + 24}">`];
  parts.push(`<text x="4" y="16" font-family="sans-serif" font-size="13">${title}</text><g transform="translate(0,24)" shape-rendering="crispEdges">`);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const a = v[j * nx + i];
      const t = Number.isFinite(a) ? (a - (max - 8)) / 8 : 0;
      parts.push(`<rect x="${i * cell}" y="${j * cell}" width="${cell}" height="${cell}" fill="${colour(t)}"/>`);
    }
  }
  parts.push('</g><g transform="translate(0,24)">');
  const d = data.dataSync();
  const stride = Math.max(1, Math.floor(data.shape[0] / 400));
  for (let k = 0; k < data.shape[0]; k += stride) {
    const px = ((d[2 * k] - x0) / (x1 - x0)) * w;
    const py = ((y1 - d[2 * k + 1]) / (y1 - y0)) * h;
    parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="1" fill="white" fill-opacity="0.6"/>`);
  }
  parts.push('</g></svg>');
  return parts.join('\n');
}

export async function writeText(dir: string, name: string, text: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const p = path.join(dir, name);
  await fs.writeFile(p, text);
  return p;
}
