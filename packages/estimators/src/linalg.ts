import { BoltzflowError } from '@boltzflow/core';

/**
 * Small dense symmetric linear algebra in float64 on plain arrays (K × K with K up to a few hundred): MBAR's
 * covariance and Newton steps, and the dense mass matrices of @boltzflow/mcmc. Cyclic Jacobi is slow in K³ per sweep
 * but unconditionally stable and exact to rounding for symmetric input, which is what these callers need.
 */

/** Eigen-decomposition a = V diag(values) Vᵀ of a symmetric matrix (cyclic Jacobi). `vectors[i][j]` = component i of eigenvector j. */
export function symmetricEigen(a: readonly (readonly number[])[] | readonly Float64Array[]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  for (let i = 0; i < n; i++) {
    if (a[i].length !== n) {
      throw new BoltzflowError('INVALID_SHAPE', 'Matrix must be square', {
        argument: 'matrix',
        expected: `${n} columns in row ${i}`,
        received: `${a[i].length}`,
      });
    }
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(a[i][j]))
        throw new BoltzflowError('NON_FINITE', 'Matrix has a non-finite entry', {
          argument: 'matrix',
          expected: 'finite',
          received: `${a[i][j]} at [${i}][${j}]`,
        });
    }
  }
  const m = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 0.5 * (a[i][j] + a[j][i])));
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i][i] * m[i][i];
      for (let j = i + 1; j < n; j++) off += m[i][j] * m[i][j];
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p][q];
        if (apq === 0) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p];
          const mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k];
          const mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: m.map((row, i) => row[i]), vectors: v };
}

/** f(a) = V f(Λ) Vᵀ for a symmetric matrix; `f` maps each eigenvalue (e.g. 1/λ for the inverse, λ^{-½} for the inverse root). */
export function symmetricMatrixFunction(a: readonly (readonly number[])[], f: (lambda: number) => number): number[][] {
  return fromEigen(symmetricEigen(a), f);
}

function fromEigen({ values, vectors }: { values: number[]; vectors: number[][] }, f: (lambda: number) => number): number[][] {
  const n = values.length;
  const fl = values.map(f);
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i][k] * fl[k] * vectors[j][k];
      out[i][j] = s;
      out[j][i] = s;
    }
  }
  return out;
}

/** Moore–Penrose pseudo-inverse of a symmetric matrix (eigenvalues below `rtol`·max|λ| treated as 0). */
export function symmetricPseudoInverse(a: readonly (readonly number[])[], rtol = 1e-10): number[][] {
  const eig = symmetricEigen(a);
  const cut = rtol * Math.max(0, ...eig.values.map(Math.abs));
  return fromEigen(eig, (l) => (Math.abs(l) > cut ? 1 / l : 0));
}
