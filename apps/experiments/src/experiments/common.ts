import * as tf from '@tensorflow/tfjs';
import type { Energy } from '@boltzflow/core';
import type { Artifacts } from '../results.js';

/** Energy on a regular grid for contour plots (values above `clip` stored as null to keep the file small). */
export function energyGrid(energy: Energy, xRange: [number, number], yRange: [number, number], n = 61, clip = 40): NonNullable<Artifacts['energyGrid']> {
  const xs = linspace(xRange[0], xRange[1], n);
  const ys = linspace(yRange[0], yRange[1], n);
  const pts = new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    pts[2 * (j * n + i)] = xs[i];
    pts[2 * (j * n + i) + 1] = ys[j];
  }
  const x = tf.tensor2d(pts, [n * n, 2]);
  const u = energy.energy(x);
  const data = u.dataSync();
  x.dispose();
  u.dispose();
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

export function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Histogram free-energy profile F(x) = −ln p(x) on bin centres, optionally weighted; empty bins give null.
 * Shifted so that its minimum matches `alignTo` (the exact profile's minimum) when given.
 */
export function histogramProfile(values: ArrayLike<number>, edges: readonly number[], weights?: ArrayLike<number>, alignTo?: number): { x: number[]; f: (number | null)[] } {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  let total = 0;
  const lo = edges[0];
  const width = (edges[nb] - lo) / nb;
  for (let i = 0; i < values.length; i++) {
    const w = weights ? weights[i] : 1;
    total += w;
    const b = Math.floor((values[i] - lo) / width);
    if (b >= 0 && b < nb) counts[b] += w;
  }
  const x = Array.from({ length: nb }, (_, b) => round(lo + (b + 0.5) * width, 6));
  const f = Array.from(counts, (c) => (c > 0 && total > 0 ? -Math.log(c / (total * width)) : null));
  if (alignTo !== undefined) {
    let min = Infinity;
    for (const v of f) if (v !== null && v < min) min = v;
    if (Number.isFinite(min)) for (let b = 0; b < nb; b++) if (f[b] !== null) f[b] = round(f[b]! - min + alignTo, 6);
  }
  return { x, f };
}

/** Every k-th point so that at most `max` remain. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.floor(i * step)]);
  return out;
}

/** Counts sign changes of `x` ignoring excursions into the band (−gap, gap) — i.e. completed well switches. */
export function countTransitions(x: ArrayLike<number>, gap = 0): number {
  let state = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const s = x[i] > gap ? 1 : x[i] < -gap ? -1 : 0;
    if (s === 0) continue;
    if (state !== 0 && s !== state) n++;
    state = s;
  }
  return n;
}
