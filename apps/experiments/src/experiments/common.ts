import * as tf from '@tensorflow/tfjs';
import type { Energy } from '@boltzflow/core';
import { linspace, round } from '@boltzflow/samplers';
import { z } from 'zod';
import type { Artifacts } from '../results.js';

/**
 * Energy on a regular grid for contour plots (values above `clip` stored as null to keep the file small). One
 * asynchronous read, so it runs on every backend (WebGPU in Node has no synchronous reads).
 */
export async function energyGrid(
  energy: Energy,
  xRange: [number, number],
  yRange: [number, number],
  n = 61,
  clip = 40,
): Promise<NonNullable<Artifacts['energyGrid']>> {
  const xs = linspace(xRange[0], xRange[1], n);
  const ys = linspace(yRange[0], yRange[1], n);
  const pts = new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      pts[2 * (j * n + i)] = xs[i];
      pts[2 * (j * n + i) + 1] = ys[j];
    }
  const x = tf.tensor2d(pts, [n * n, 2]);
  const u = energy.energy(x);
  let data: Float32Array;
  try {
    data = (await u.data()) as Float32Array;
  } finally {
    x.dispose();
    u.dispose();
  }
  let min = Infinity;
  for (const v of data) if (v < min) min = v;
  const values: (number | null)[][] = [];
  for (let j = 0; j < n; j++) {
    const row: (number | null)[] = [];
    for (let i = 0; i < n; i++) {
      const v = data[j * n + i];
      row.push(Number.isFinite(v) && v - min <= clip ? round(v, 4) : null);
    }
    values.push(row);
  }
  return { x: xs.map((v) => round(v, 6)), y: ys.map((v) => round(v, 6)), values, label: energy.name };
}

/** An integer config field in [min, max] with a default. */
export function intParam(min: number, max: number, def: number) {
  return z.number().int().min(min).max(max).default(def);
}

/** The `plot` section shared by the experiments that thin draws, traces and autocorrelations for the report. */
export function plotParams() {
  return z
    .object({ samplesPerSampler: intParam(10, 20_000, 1000), tracePoints: intParam(10, 20_000, 1500), acfLags: intParam(5, 5_000, 200) })
    .strict()
    .prefault({});
}
