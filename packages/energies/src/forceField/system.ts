import { BoltzflowError } from '@boltzflow/core';
import { accepts, type OpenMMForceField, type ResidueTemplate, type TorsionDef } from './openmmForceField.js';
import type { PdbStructure } from './pdb.js';

/** One atom of a parameterised system. */
export interface SystemAtom {
  name: string;
  residueName: string;
  residueIndex: number;
  element: string;
  type: string;
  atomClass: string;
  mass: number;
  charge: number;
  sigma: number;
  epsilon: number;
}

/**
 * A molecule with every force-field term resolved to atom indices and numbers, in OpenMM units (nm, rad, kJ/mol,
 * elementary charges). Plain data: it is what the TF.js energy is built from and what tools can ship as JSON.
 */
export interface ForceFieldSystem {
  atoms: SystemAtom[];
  bonds: { atoms: [number, number]; length: number; k: number }[];
  angles: { atoms: [number, number, number]; angle: number; k: number }[];
  torsions: { atoms: [number, number, number, number]; periodicity: number; phase: number; k: number; improper: boolean }[];
  /** Non-excluded atom pairs with their combined parameters (1-4 pairs already scaled). */
  pairs: { atoms: [number, number]; chargeProd: number; sigma: number; epsilon: number; is14: boolean }[];
  coulomb14scale: number;
  lj14scale: number;
}

/** Carbon, for OpenMM's improper-ordering rule. Masses only need the ordering between elements. */
const ELEMENT_MASS: Record<string, number> = {
  H: 1.008,
  C: 12.011,
  N: 14.007,
  O: 15.999,
  F: 18.998,
  P: 30.974,
  S: 32.06,
  Cl: 35.45,
  Br: 79.904,
  I: 126.9,
  Na: 22.99,
  K: 39.098,
  Mg: 24.305,
  Ca: 40.078,
  Zn: 65.38,
  Fe: 55.845,
  Li: 6.94,
  Se: 78.971,
};

function residueLabel(pdb: PdbStructure, r: number): string {
  const res = pdb.residues[r]!;
  return `${res.name} ${res.number}${res.insertionCode}${res.chain.trim() ? ` (chain ${res.chain})` : ''}`;
}

/** Bonds of the structure: CONECT records, template bonds by atom name, and peptide bonds C(i)–N(i+1) within a chain. */
function inferBonds(pdb: PdbStructure, ff: OpenMMForceField): [number, number][] {
  const keys = new Set<string>();
  const bonds: [number, number][] = [];
  const add = (i: number, j: number): void => {
    if (i === j) return;
    const [a, b] = i < j ? [i, j] : [j, i];
    const key = `${a}-${b}`;
    if (!keys.has(key)) {
      keys.add(key);
      bonds.push([a, b]);
    }
  };
  for (const [i, j] of pdb.conect) add(i, j);
  pdb.residues.forEach((res) => {
    const byName = new Map(res.atoms.map((a) => [pdb.atoms[a]!.name, a]));
    const names = new Set(byName.keys());
    // Same-named templates first; otherwise the template whose atom names are exactly this residue's.
    let candidates = ff.templates.filter((t) => t.name === res.name);
    if (candidates.length === 0) candidates = ff.templates.filter((t) => t.atoms.length === names.size && t.atoms.every((a) => names.has(a.name)));
    for (const t of candidates) {
      for (const [p, q] of t.bonds) {
        const i = byName.get(t.atoms[p]!.name);
        const j = byName.get(t.atoms[q]!.name);
        if (i !== undefined && j !== undefined) add(i, j);
      }
    }
  });
  for (let r = 0; r + 1 < pdb.residues.length; r++) {
    const a = pdb.residues[r]!;
    const b = pdb.residues[r + 1]!;
    if (a.chain !== b.chain) continue;
    const c = a.atoms.find((i) => pdb.atoms[i]!.name === 'C');
    const n = b.atoms.find((i) => pdb.atoms[i]!.name === 'N');
    if (c === undefined || n === undefined) continue;
    const pc = pdb.atoms[c]!.position;
    const pn = pdb.atoms[n]!.position;
    // A chain break (missing residues) leaves the two atoms far apart: no bond then.
    if (Math.hypot(pc[0] - pn[0], pc[1] - pn[1], pc[2] - pn[2]) < 0.25) add(c, n);
  }
  return bonds.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/**
 * Maps the atoms of residue `res` onto template `t` (residue atom → template atom), or undefined. Matching is by
 * bond graph and element, as OpenMM's template matching, with atom names used first (they make the search trivial
 * when the PDB follows the template's naming) and a backtracking graph match otherwise.
 */
function matchTemplate(
  atomsIdx: number[],
  elements: string[],
  neighbours: Set<number>[],
  external: boolean[],
  t: ResidueTemplate,
  ff: OpenMMForceField,
  names: string[],
): number[] | undefined {
  const n = atomsIdx.length;
  if (t.atoms.length !== n) return undefined;
  const tElem = t.atoms.map((a) => ff.types.get(a.type)?.element ?? '');
  const tNb: Set<number>[] = t.atoms.map(() => new Set());
  for (const [p, q] of t.bonds) {
    tNb[p]!.add(q);
    tNb[q]!.add(p);
  }
  const tExt = t.atoms.map((_, k) => t.externalBonds.includes(k));
  const compatible = (a: number, k: number): boolean =>
    (elements[a] === '' || tElem[k] === elements[a]) && tNb[k]!.size === neighbours[a]!.size && tExt[k] === external[a];
  const consistent = (map: number[]): boolean => {
    for (let a = 0; a < n; a++) for (const b of neighbours[a]!) if (!tNb[map[a]!]!.has(map[b]!)) return false;
    return true;
  };
  // By name.
  const byName = names.map((nm) => t.atoms.findIndex((ta) => ta.name === nm));
  if (byName.every((k, a) => k >= 0 && compatible(a, k)) && new Set(byName).size === n && consistent(byName)) return byName;
  // By graph.
  const map = new Array<number>(n).fill(-1);
  const used = new Array<boolean>(n).fill(false);
  const search = (a: number): boolean => {
    if (a === n) return true;
    for (let k = 0; k < n; k++) {
      if (used[k] || !compatible(a, k)) continue;
      let ok = true;
      for (const b of neighbours[a]!) if (b < a && !tNb[k]!.has(map[b]!)) ok = false;
      if (!ok) continue;
      map[a] = k;
      used[k] = true;
      if (search(a + 1)) return true;
      used[k] = false;
    }
    return false;
  };
  return search(0) ? map : undefined;
}

/** Resolves every force-field term for the structure (OpenMM's createSystem, vacuum, no constraints). */
export function buildSystem(pdb: PdbStructure, ff: OpenMMForceField): ForceFieldSystem {
  const N = pdb.atoms.length;
  const bondList = inferBonds(pdb, ff);
  const bondedTo: number[][] = pdb.atoms.map(() => []);
  for (const [i, j] of bondList) {
    bondedTo[i]!.push(j);
    bondedTo[j]!.push(i);
  }
  bondedTo.forEach((l) => l.sort((a, b) => a - b));
  const residueOf = new Array<number>(N);
  pdb.residues.forEach((r, ri) => r.atoms.forEach((a) => (residueOf[a] = ri)));

  // Atom types from residue templates.
  const atomType = new Array<string>(N);
  const templateCharge = new Array<number | undefined>(N);
  pdb.residues.forEach((res, ri) => {
    const local = new Map(res.atoms.map((a, k) => [a, k]));
    const neighbours = res.atoms.map((a) => new Set(bondedTo[a]!.filter((b) => local.has(b)).map((b) => local.get(b)!)));
    const external = res.atoms.map((a) => bondedTo[a]!.some((b) => !local.has(b)));
    const elements = res.atoms.map((a) => pdb.atoms[a]!.element);
    const names = res.atoms.map((a) => pdb.atoms[a]!.name);
    const sameName = ff.templates.filter((t) => t.name === res.name);
    const ordered = [...sameName, ...ff.templates.filter((t) => t.name !== res.name)];
    for (const t of ordered) {
      const map = matchTemplate(res.atoms, elements, neighbours, external, t, ff, names);
      if (!map) continue;
      res.atoms.forEach((a, k) => {
        atomType[a] = t.atoms[map[k]!]!.type;
        templateCharge[a] = t.atoms[map[k]!]!.charge;
      });
      return;
    }
    // Name the first atom that the same-named template (or, lacking one, any template) cannot place.
    const ref = sameName[0];
    let detail = `atoms ${names.join(', ')}`;
    if (ref) {
      const missing = names.filter((nm) => !ref.atoms.some((a) => a.name === nm));
      const absent = ref.atoms.filter((a) => !names.includes(a.name)).map((a) => a.name);
      if (missing.length > 0) detail = `atom ${missing[0]} is not in template ${ref.name}`;
      else if (absent.length > 0) detail = `template ${ref.name} also needs atom(s) ${absent.join(', ')}`;
      else detail = `atom names match template ${ref.name} but the bonds or elements do not`;
    }
    throw new BoltzflowError('INVALID_VALUE', `No force-field template matches residue ${residueLabel(pdb, ri)}`, {
      argument: 'pdb',
      expected: 'residues the force field has templates for',
      received: detail,
    });
  });

  const label = (i: number): string => `${pdb.atoms[i]!.name} of ${residueLabel(pdb, residueOf[i]!)}`;
  const typeDef = (i: number) => ff.types.get(atomType[i]!)!;
  for (let i = 0; i < N; i++) {
    if (!ff.types.has(atomType[i]!)) {
      throw new BoltzflowError('INVALID_VALUE', `Template atom type '${atomType[i]}' is not defined`, {
        argument: 'forceField',
        expected: 'an <AtomTypes> entry',
        received: `type of ${label(i)}`,
      });
    }
  }
  const element = (i: number): string => typeDef(i).element || pdb.atoms[i]!.element;
  const missing = (term: string, atoms: number[]): never => {
    throw new BoltzflowError('INVALID_VALUE', `No ${term} parameters for atoms ${atoms.map(label).join(' – ')}`, {
      argument: 'forceField',
      expected: `a ${term} entry for classes ${atoms.map((a) => typeDef(a).atomClass).join('-')}`,
      received: 'none',
    });
  };

  // Bonds and angles: the first entry matching in either direction.
  const bonds = bondList.map(([i, j]) => {
    const t = [atomType[i]!, atomType[j]!];
    const def = ff.bonds.find((b) => (accepts(b.types[0], t[0]!) && accepts(b.types[1], t[1]!)) || (accepts(b.types[0], t[1]!) && accepts(b.types[1], t[0]!)));
    if (!def) return missing('HarmonicBondForce', [i, j]);
    return { atoms: [i, j] as [number, number], length: def.length, k: def.k };
  });

  const angleKeys = new Set<string>();
  const angleList: [number, number, number][] = [];
  for (const [a1, a2] of bondList) {
    for (const [c, b] of [
      [a1, a2],
      [a2, a1],
    ] as const) {
      for (const o of bondedTo[b]!) {
        if (o === c) continue;
        const tri: [number, number, number] = o > c ? [c, b, o] : [o, b, c];
        const key = tri.join('-');
        if (!angleKeys.has(key)) {
          angleKeys.add(key);
          angleList.push(tri);
        }
      }
    }
  }
  angleList.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const angles = angleList.map((tri) => {
    const t = tri.map((i) => atomType[i]!);
    const def = ff.angles.find(
      (d) =>
        accepts(d.types[1], t[1]!) &&
        ((accepts(d.types[0], t[0]!) && accepts(d.types[2], t[2]!)) || (accepts(d.types[0], t[2]!) && accepts(d.types[2], t[0]!))),
    );
    if (!def) return missing('HarmonicAngleForce', tri);
    return { atoms: tri, angle: def.angle, k: def.k };
  });

  // Propers, enumerated and ordered as OpenMM's createSystem does.
  const properKeys = new Set<string>();
  const properList: [number, number, number, number][] = [];
  const addProper = (q: [number, number, number, number]): void => {
    const key = q.join('-');
    if (!properKeys.has(key)) {
      properKeys.add(key);
      properList.push(q);
    }
  };
  for (const [a0, a1, a2] of angleList) {
    for (const o of bondedTo[a0]!) if (o !== a0 && o !== a1 && o !== a2) addProper(o < a2 ? [o, a0, a1, a2] : [a2, a1, a0, o]);
    for (const o of bondedTo[a2]!) if (o !== a0 && o !== a1 && o !== a2) addProper(o > a0 ? [a0, a1, a2, o] : [o, a2, a1, a0]);
  }
  properList.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3]);
  const hasWildcard = (d: TorsionDef): boolean => d.types.some((s) => s === null);
  const torsions: ForceFieldSystem['torsions'] = [];
  for (const q of properList) {
    const [t1, t2, t3, t4] = q.map((i) => atomType[i]!) as [string, string, string, string];
    // A specific entry beats any wildcard one; among wildcard entries the first in the file wins.
    let match: TorsionDef | undefined;
    for (const d of ff.propers) {
      const [s1, s2, s3, s4] = d.types;
      const fwd = accepts(s1, t1) && accepts(s2, t2) && accepts(s3, t3) && accepts(s4, t4);
      const rev = accepts(s1, t4) && accepts(s2, t3) && accepts(s3, t2) && accepts(s4, t1);
      if (!fwd && !rev) continue;
      if (!hasWildcard(d)) {
        match = d;
        break;
      }
      if (!match) match = d;
    }
    if (match)
      match.k.forEach((k, m) => k !== 0 && torsions.push({ atoms: q, periodicity: match!.periodicity[m]!, phase: match!.phase[m]!, k, improper: false }));
  }

  // Impropers: central atom first, then OpenMM's ordering rules for the outer atoms.
  for (let c = 0; c < N; c++) {
    const nb = bondedTo[c]!;
    if (nb.length < 3) continue;
    for (let x = 0; x < nb.length; x++)
      for (let y = x + 1; y < nb.length; y++)
        for (let z = y + 1; z < nb.length; z++) {
          const q = [c, nb[x]!, nb[y]!, nb[z]!];
          const quad = improperMatch(q, atomType, element, ff.impropers, hasWildcard);
          if (quad)
            quad.def.k.forEach(
              (k, m) => k !== 0 && torsions.push({ atoms: quad.atoms, periodicity: quad.def.periodicity[m]!, phase: quad.def.phase[m]!, k, improper: true }),
            );
        }
  }

  // Nonbonded parameters and pairs (1-2 and 1-3 excluded, 1-4 scaled).
  const nb = ff.nonbonded;
  if (!nb) {
    throw new BoltzflowError('INVALID_VALUE', 'Force field has no NonbondedForce', { argument: 'forceField', expected: '<NonbondedForce>', received: 'none' });
  }
  const atoms: SystemAtom[] = pdb.atoms.map((a, i) => {
    const td = typeDef(i);
    const p = nb.params.get(td.name);
    if (!p) return missing('NonbondedForce', [i]);
    const charge = nb.chargeFromResidue ? templateCharge[i] : p.charge;
    if (charge === undefined || !Number.isFinite(charge)) return missing('NonbondedForce charge', [i]);
    return {
      name: a.name,
      residueName: a.residueName,
      residueIndex: residueOf[i]!,
      element: element(i),
      type: td.name,
      atomClass: td.atomClass,
      mass: td.mass,
      charge,
      sigma: p.sigma,
      epsilon: p.epsilon,
    };
  });
  const dist = graphDistances(bondedTo, 3);
  const pairs: ForceFieldSystem['pairs'] = [];
  for (let i = 0; i < N; i++)
    for (let j = i + 1; j < N; j++) {
      const d = dist[i]!.get(j);
      if (d !== undefined && d < 3) continue;
      const is14 = d === 3;
      const ai = atoms[i]!;
      const aj = atoms[j]!;
      pairs.push({
        atoms: [i, j],
        chargeProd: ai.charge * aj.charge * (is14 ? nb.coulomb14scale : 1),
        sigma: 0.5 * (ai.sigma + aj.sigma),
        epsilon: Math.sqrt(ai.epsilon * aj.epsilon) * (is14 ? nb.lj14scale : 1),
        is14,
      });
    }
  return { atoms, bonds, angles, torsions, pairs, coulomb14scale: nb.coulomb14scale, lj14scale: nb.lj14scale };
}

function improperMatch(
  q: number[],
  atomType: string[],
  element: (i: number) => string,
  defs: TorsionDef[],
  hasWildcard: (d: TorsionDef) => boolean,
): { atoms: [number, number, number, number]; def: TorsionDef } | undefined {
  const types = q.map((i) => atomType[i]!);
  const perms: [number, number, number][] = [
    [1, 2, 3],
    [1, 3, 2],
    [2, 1, 3],
    [2, 3, 1],
    [3, 1, 2],
    [3, 2, 1],
  ];
  // As OpenMM 7.7's _matchImproper: once anything matched, wildcard entries are skipped but a later specific entry
  // still replaces the match (so the last specific entry wins, else the first wildcard one).
  let match: { atoms: [number, number, number, number]; def: TorsionDef } | undefined;
  for (const d of defs) {
    const wild = hasWildcard(d);
    if (match && wild) continue;
    if (!accepts(d.types[0], types[0]!)) continue;
    for (const [p2, p3, p4] of perms) {
      if (!(accepts(d.types[1], types[p2]!) && accepts(d.types[2], types[p3]!) && accepts(d.types[3], types[p4]!))) continue;
      if (d.ordering !== 'default') {
        throw new BoltzflowError('INVALID_VALUE', `Improper ordering '${d.ordering}' is not supported`, {
          argument: 'forceField',
          expected: "ordering 'default'",
          received: d.ordering,
        });
      }
      // OpenMM's 'default' rule (mimicking AMBER's choice when wildcards leave the order open).
      let a1 = q[p2]!;
      let a2 = q[p3]!;
      const e1 = element(a1);
      const e2 = element(a2);
      if (e1 === e2 && a1 > a2) [a1, a2] = [a2, a1];
      else if (e1 !== 'C' && (e2 === 'C' || (ELEMENT_MASS[e1] ?? 0) < (ELEMENT_MASS[e2] ?? 0))) [a1, a2] = [a2, a1];
      match = { atoms: [a1, a2, q[0]!, q[p4]!], def: d };
      break;
    }
  }
  return match;
}

/** Shortest-path lengths up to `maxDepth` from every atom (a map per atom). */
function graphDistances(bondedTo: number[][], maxDepth: number): Map<number, number>[] {
  return bondedTo.map((_, s) => {
    const d = new Map<number, number>([[s, 0]]);
    let frontier = [s];
    for (let depth = 1; depth <= maxDepth; depth++) {
      const next: number[] = [];
      for (const a of frontier)
        for (const b of bondedTo[a]!)
          if (!d.has(b)) {
            d.set(b, depth);
            next.push(b);
          }
      frontier = next;
    }
    return d;
  });
}
