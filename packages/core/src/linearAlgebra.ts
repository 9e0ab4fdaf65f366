/**
 * Small dense linear algebra for particle geometry (float64, plain arrays): determinant, SVD of a d×d matrix by
 * one-sided Jacobi, and the Kabsch rotation.
 */

/** Determinant of a small matrix (float64, Gaussian elimination). */
export function determinant(a: number[][]): number {
  const n = a.length;
  const m = a.map((r) => r.slice());
  let det = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    if (m[p][k] === 0) return 0;
    if (p !== k) {
      [m[k], m[p]] = [m[p], m[k]];
      det = -det;
    }
    det *= m[k][k];
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < n; j++) m[i][j] -= f * m[k][j];
    }
  }
  return det;
}

/** SVD of a square matrix: a = U diag(s) Vᵀ (U, V orthogonal, s ≥ 0 unsorted). */
export function svdSquare(a: readonly (readonly number[])[]): { u: number[][]; s: number[]; v: number[][] } {
  const d = a.length;
  const w = a.map((r) => r.slice());
  const v: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < d; i++) {
          alpha += w[i][p] * w[i][p];
          beta += w[i][q] * w[i][q];
          gamma += w[i][p] * w[i][q];
        }
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta + 1e-300));
        if (Math.abs(gamma) < 1e-300) continue;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < d; i++) {
          const wp = w[i][p];
          const wq = w[i][q];
          w[i][p] = c * wp - s * wq;
          w[i][q] = s * wp + c * wq;
          const vp = v[i][p];
          const vq = v[i][q];
          v[i][p] = c * vp - s * vq;
          v[i][q] = s * vp + c * vq;
        }
      }
    }
    if (off < 1e-15) break;
  }
  const s = Array.from({ length: d }, (_, j) => Math.sqrt(w.reduce((acc, r) => acc + r[j] * r[j], 0)));
  const smax = Math.max(...s, 1e-300);
  // Columns of U: normalised columns of W; columns for (near-)zero singular values completed by Gram–Schmidt.
  const cols: (number[] | null)[] = s.map((sj, j) => (sj > 1e-12 * smax ? w.map((r) => r[j] / sj) : null));
  for (let j = 0; j < d; j++) {
    if (cols[j]) continue;
    for (let k = 0; k < d && !cols[j]; k++) {
      const e: number[] = Array.from({ length: d }, (_, i) => (i === k ? 1 : 0));
      for (const c of cols) {
        if (!c) continue;
        const dot = c.reduce((acc, ci, i) => acc + ci * e[i], 0);
        for (let i = 0; i < d; i++) e[i] -= dot * c[i];
      }
      const nrm = Math.sqrt(e.reduce((acc, x) => acc + x * x, 0));
      if (nrm > 1e-6) cols[j] = e.map((x) => x / nrm);
    }
  }
  const u = Array.from({ length: d }, (_, i) => cols.map((c) => (c as number[])[i]));
  return { u, s, v };
}

/**
 * Kabsch: the rotation R ∈ SO(d) minimising Σᵢ ‖aᵢ − R bᵢ‖² for point sets given as rows (`[P][d]`, already centred).
 * With `allowReflection`, the best element of O(d) instead.
 */
export function kabsch(a: readonly (readonly number[])[], b: readonly (readonly number[])[], allowReflection = false): number[][] {
  const d = a[0].length;
  const h = Array.from({ length: d }, () => new Array<number>(d).fill(0)); // H = Σ bᵢ aᵢᵀ
  for (let i = 0; i < a.length; i++) for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) h[r][c] += b[i][r] * a[i][c];
  const { u, s, v } = svdSquare(h);
  // R = V D Uᵀ with D = diag(1, …, 1, sign det(V Uᵀ)) on the smallest singular value.
  const vut = Array.from({ length: d }, (_, r) => Array.from({ length: d }, (__, c) => v[r].reduce((acc, vr, k) => acc + vr * u[c][k], 0)));
  const sign = allowReflection || determinant(vut) >= 0 ? 1 : -1;
  let kmin = 0;
  for (let k = 1; k < d; k++) if (s[k] < s[kmin]) kmin = k;
  return Array.from({ length: d }, (_, r) =>
    Array.from({ length: d }, (__, c) => v[r].reduce((acc, vr, k) => acc + vr * u[c][k] * (k === kmin ? sign : 1), 0)),
  );
}
