import { hungarian } from './hungarian.js';
import { kabsch } from '@boltzflow/core';

/** Options of the alignment of flow-matching pairs. */
export interface AlignOptions {
  /** Alternations of (Hungarian permutation, Kabsch rotation); stops early when the permutation repeats. Default 4. */
  iterations?: number;
  /** Also allow reflections (the EGNN flow is O(d)-equivariant). Default false. */
  allowReflection?: boolean;
  /**
   * Starting rotations of the alternation (the best result is kept), since alternating minimisation is local.
   * Default: 8 angles in 2D, the 24 rotations of the cube in 3D, the identity otherwise.
   */
  starts?: number[][][];
}

function defaultStarts(S: number): number[][][] {
  if (S === 2)
    return Array.from({ length: 8 }, (_, k) => {
      const a = (k * Math.PI) / 4;
      return [
        [Math.cos(a), -Math.sin(a)],
        [Math.sin(a), Math.cos(a)],
      ];
    });
  if (S === 3) {
    // Signed permutation matrices with det +1.
    const out: number[][][] = [];
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const p of perms)
      for (let signs = 0; signs < 8; signs++) {
        const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (p[i] === j ? ((signs >> i) & 1 ? -1 : 1) : 0)));
        const det =
          m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
          m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
          m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        if (det > 0) out.push(m);
      }
    return out;
  }
  return [Array.from({ length: S }, (_, i) => Array.from({ length: S }, (__, j) => (i === j ? 1 : 0)))];
}

function centred(x: ArrayLike<number>, P: number, S: number, offset = 0): number[][] {
  const pts = Array.from({ length: P }, (_, i) => Array.from({ length: S }, (__, a) => x[offset + i * S + a]));
  const mean = Array.from({ length: S }, (_, a) => pts.reduce((s, p) => s + p[a], 0) / P);
  return pts.map((p) => p.map((v, a) => v - mean[a]));
}

/**
 * Aligns particle configuration `x1` to `x0` (flat, particle-major) by the permutation and rotation that minimise
 * ‖x0 − P R x1‖² over centred configurations (alternating Hungarian matching and Kabsch, from the identity).
 * Returns the aligned, centred x1 (flat) and the squared distance.
 */
export function alignParticles(
  x0: ArrayLike<number>,
  x1: ArrayLike<number>,
  particles: number,
  spatialDim: number,
  options: AlignOptions = {},
): { aligned: number[]; distance2: number } {
  const P = particles;
  const S = spatialDim;
  const a = centred(x0, P, S);
  const b = centred(x1, P, S);
  let best: { aligned: number[]; distance2: number } | null = null;
  for (const r0 of options.starts ?? defaultStarts(S)) {
    const r = alignFrom(a, b, r0, P, S, options);
    if (!best || r.distance2 < best.distance2) best = r;
  }
  return best as { aligned: number[]; distance2: number };
}

function alignFrom(a: number[][], b: number[][], r0: number[][], P: number, S: number, options: AlignOptions): { aligned: number[]; distance2: number } {
  let cur = b.map((p) => r0.map((row) => row.reduce((s, v, k) => s + v * p[k], 0)));
  let perm: number[] | null = null;
  const iters = options.iterations ?? 4;
  for (let it = 0; it < iters; it++) {
    const cost = a.map((ai) => cur.map((cj) => ai.reduce((s, v, k) => s + (v - cj[k]) ** 2, 0)));
    const { assignment } = hungarian(cost);
    if (perm && assignment.every((v, i) => v === perm![i])) break;
    perm = assignment;
    const bp = perm.map((j) => b[j]);
    const r = kabsch(a, bp, options.allowReflection ?? false);
    cur = b.map((p) => r.map((row) => row.reduce((s, v, k) => s + v * p[k], 0)));
  }
  const out = (perm as number[]).map((j) => cur[j]);
  let d2 = 0;
  for (let i = 0; i < P; i++) for (let k = 0; k < S; k++) d2 += (a[i][k] - out[i][k]) ** 2;
  return { aligned: out.flat(), distance2: d2 };
}
