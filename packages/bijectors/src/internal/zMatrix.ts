import { BoltzflowError } from '@boltzflow/core';

/**
 * A Z-matrix: one row `[atom, bondRef, angleRef, torsionRef]` per atom, in placement order. Row 0 has no references
 * (`-1`), row 1 only a bond reference, row 2 a bond and an angle reference; every reference is an atom placed earlier.
 */
export type ZMatrix = number[][];

/**
 * Builds a Z-matrix from a molecule's bond graph (plain arrays, e.g. a force field's bond list): breadth-first from
 * `root` (default: the lowest-index atom of highest degree), each atom referring to its parent, the parent's parent
 * and the grandparent's parent; where the tree has no such atom (branches at the root) another placed neighbour is
 * used, giving an improper-style torsion, as bgflow's Z-matrix builders do.
 */
export function zMatrixFromBonds(atoms: number, bonds: readonly (readonly [number, number])[], options: { root?: number } = {}): ZMatrix {
  if (!Number.isInteger(atoms) || atoms < 3) {
    throw new BoltzflowError('INVALID_VALUE', 'Internal coordinates need at least three atoms', {
      argument: 'atoms',
      expected: 'an integer ≥ 3',
      received: String(atoms),
    });
  }
  const nb: number[][] = Array.from({ length: atoms }, () => []);
  for (const [i, j] of bonds) {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= atoms || j >= atoms || i === j) {
      throw new BoltzflowError('INVALID_VALUE', 'Bond refers to an atom outside the molecule', {
        argument: 'bonds',
        expected: `pairs of distinct atoms in [0, ${atoms})`,
        received: `[${i}, ${j}]`,
      });
    }
    nb[i]!.push(j);
    nb[j]!.push(i);
  }
  nb.forEach((l) => l.sort((a, b) => a - b));
  let root = options.root;
  if (root === undefined) {
    root = 0;
    for (let a = 1; a < atoms; a++) if (nb[a]!.length > nb[root]!.length) root = a;
  }
  if (!Number.isInteger(root) || root < 0 || root >= atoms) {
    throw new BoltzflowError('INVALID_VALUE', 'Root atom outside the molecule', {
      argument: 'root',
      expected: `an integer in [0, ${atoms})`,
      received: String(root),
    });
  }
  const parent = new Array<number>(atoms).fill(-1);
  const placed = new Array<boolean>(atoms).fill(false);
  const order = [root];
  placed[root] = true;
  for (let k = 0; k < order.length; k++) {
    for (const b of nb[order[k]!]!) {
      if (!placed[b]) {
        placed[b] = true;
        parent[b] = order[k]!;
        order.push(b);
      }
    }
  }
  if (order.length !== atoms) {
    const missing = placed.findIndex((p) => !p);
    throw new BoltzflowError('INVALID_VALUE', 'Bond graph is not connected', {
      argument: 'bonds',
      expected: 'one molecule (every atom reachable by bonds)',
      received: `atom ${missing} not connected to atom ${root}`,
    });
  }
  const position = new Array<number>(atoms);
  order.forEach((a, k) => (position[a] = k));
  const earlier = (a: number, k: number): boolean => a >= 0 && position[a]! < k;
  const rows: ZMatrix = [];
  order.forEach((a, k) => {
    if (k === 0) return rows.push([a, -1, -1, -1]);
    const p = parent[a]!;
    if (k === 1) return rows.push([a, p, -1, -1]);
    const q = earlier(parent[p]!, k) ? parent[p]! : nb[p]!.find((o) => o !== a && earlier(o, k))!;
    if (k === 2) return rows.push([a, p, q, -1]);
    let t = parent[q]!;
    if (!earlier(t, k) || t === p || t === a) t = nb[q]!.find((o) => o !== p && o !== a && earlier(o, k)) ?? -1;
    if (t < 0) t = nb[p]!.find((o) => o !== q && o !== a && earlier(o, k)) ?? -1;
    if (t < 0) t = order.slice(0, k).find((o) => o !== p && o !== q) ?? -1;
    return rows.push([a, p, q, t]);
  });
  return rows;
}

/** Checks a Z-matrix for `atoms` atoms and returns a copy; throws a BoltzflowError naming the bad row otherwise. */
export function checkZMatrix(z: unknown, atoms: number): ZMatrix {
  const fail = (received: string, expected = `rows [atom, bondRef, angleRef, torsionRef] of atoms in [0, ${atoms}), references placed earlier`): never => {
    throw new BoltzflowError('INVALID_VALUE', 'Invalid Z-matrix', { argument: 'zMatrix', expected, received });
  };
  if (!Array.isArray(z) || z.length !== atoms) fail(Array.isArray(z) ? `${z.length} rows` : String(z), `${atoms} rows`);
  const rows = (z as unknown[]).map((r, k) => {
    if (!Array.isArray(r) || r.length !== 4 || !r.every((v) => Number.isInteger(v))) fail(`row ${k}: ${JSON.stringify(r)}`);
    return [...(r as number[])];
  });
  const position = new Map<number, number>();
  rows.forEach((r, k) => {
    const a = r[0]!;
    if (a < 0 || a >= atoms) fail(`row ${k}: atom ${a} is outside the molecule`);
    if (position.has(a)) fail(`row ${k}: atom ${a} appears twice`);
    position.set(a, k);
  });
  rows.forEach((r, k) => {
    const refs = r.slice(1, 1 + Math.min(k, 3));
    r.slice(1 + Math.min(k, 3)).forEach((v) => v !== -1 && fail(`row ${k}: reference ${v} where row ${k} takes only ${Math.min(k, 3)}`));
    refs.forEach((v) => {
      if (v < 0 || v >= atoms) fail(`row ${k}: reference atom ${v} is outside the molecule`);
      if (position.get(v)! >= k) fail(`row ${k}: reference atom ${v} is placed later`);
    });
    if (new Set([r[0]!, ...refs]).size !== refs.length + 1) fail(`row ${k}: repeated atom ${JSON.stringify(r)}`);
  });
  return rows;
}
