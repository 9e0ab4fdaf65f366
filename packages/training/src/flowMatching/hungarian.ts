import { BoltzflowError } from '@boltzflow/core';

/**
 * Minimum-cost perfect matching of a square cost matrix (Hungarian algorithm, O(n³), shortest augmenting paths with
 * potentials). Returns `assignment[row] = column` and the total cost.
 */
export function hungarian(cost: readonly (readonly number[])[]): { assignment: number[]; cost: number } {
  const n = cost.length;
  if (cost.some((r) => r.length !== n)) {
    throw new BoltzflowError('INVALID_SHAPE', 'Cost matrix must be square', {
      argument: 'cost',
      expected: `${n}×${n}`,
      received: `rows of length ${cost.map((r) => r.length).join(',')}`,
    });
  }
  for (const r of cost) {
    for (const v of r) {
      if (!Number.isFinite(v))
        throw new BoltzflowError('NON_FINITE', 'Cost matrix has a non-finite entry', { argument: 'cost', expected: 'finite', received: String(v) });
    }
  }
  // 1-based arrays: p[j] = row matched to column j, way[j] = previous column on the augmenting path.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Array<number>(n).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j] > 0) assignment[p[j] - 1] = j - 1;
  let total = 0;
  for (let i = 0; i < n; i++) total += cost[i][assignment[i]];
  return { assignment, cost: total };
}
