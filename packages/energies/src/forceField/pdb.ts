import { BoltzflowError } from '@boltzflow/core';

/** One atom of a PDB file (positions converted to nm). */
export interface PdbAtom {
  /** PDB serial number (used by CONECT records). */
  serial: number;
  name: string;
  residueName: string;
  chain: string;
  residueNumber: number;
  insertionCode: string;
  /** Element symbol, from columns 77–78 or else guessed from the atom name. */
  element: string;
  /** Position in nm. */
  position: [number, number, number];
  hetero: boolean;
}

/** A residue: its atoms as indices into {@link PdbStructure.atoms}. */
export interface PdbResidue {
  name: string;
  chain: string;
  number: number;
  insertionCode: string;
  atoms: number[];
}

/** Atoms, residues, coordinates (nm) and CONECT bonds read from a PDB file. */
export interface PdbStructure {
  atoms: PdbAtom[];
  residues: PdbResidue[];
  /** Bonds from CONECT records, as atom-index pairs (i < j), deduplicated. */
  conect: [number, number][];
}

function guessElement(name: string): string {
  const letters = name.replace(/[^A-Za-z]/g, '');
  return letters.length > 0 ? letters[0]!.toUpperCase() : '';
}

/** Parses the ATOM/HETATM and CONECT records of a PDB file (first model only). Coordinates Å → nm. */
export function parsePDB(text: string, argument = 'pdb'): PdbStructure {
  if (typeof text !== 'string') {
    throw new BoltzflowError('INVALID_VALUE', 'PDB must be text', { argument, expected: 'the PDB file contents as a string', received: typeof text });
  }
  const atoms: PdbAtom[] = [];
  const residues: PdbResidue[] = [];
  const bySerial = new Map<number, number>();
  const conectRaw: [number, number][] = [];
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln]!;
    const record = line.slice(0, 6).trim();
    if (record === 'ENDMDL') break;
    if (record === 'ATOM' || record === 'HETATM') {
      const x = Number(line.slice(30, 38));
      const y = Number(line.slice(38, 46));
      const z = Number(line.slice(46, 54));
      if (line.length < 54 || ![x, y, z].every(Number.isFinite)) {
        throw new BoltzflowError('INVALID_VALUE', 'Unreadable PDB atom record', {
          argument,
          expected: 'x, y, z in columns 31–54',
          received: `line ${ln + 1}: '${line}'`,
        });
      }
      const name = line.slice(12, 16).trim();
      const residueName = line.slice(17, 20).trim();
      const chain = line.slice(21, 22);
      const residueNumber = Number(line.slice(22, 26));
      const insertionCode = line.slice(26, 27).trim();
      const element = line.slice(76, 78).trim() || guessElement(name);
      const serial = Number(line.slice(6, 11));
      const atom: PdbAtom = {
        serial,
        name,
        residueName,
        chain,
        residueNumber,
        insertionCode,
        element: element.length === 2 ? element[0]! + element[1]!.toLowerCase() : element,
        position: [x / 10, y / 10, z / 10],
        hetero: record === 'HETATM',
      };
      const index = atoms.length;
      atoms.push(atom);
      if (Number.isFinite(serial)) bySerial.set(serial, index);
      const last = residues[residues.length - 1];
      if (!last || last.name !== residueName || last.chain !== chain || last.number !== residueNumber || last.insertionCode !== insertionCode) {
        residues.push({ name: residueName, chain, number: residueNumber, insertionCode, atoms: [index] });
      } else last.atoms.push(index);
    } else if (record === 'CONECT') {
      const from = Number(line.slice(6, 11));
      for (let c = 11; c + 5 <= Math.max(line.length, 31) && c < 31; c += 5) {
        const to = Number(line.slice(c, c + 5));
        if (line.slice(c, c + 5).trim() !== '' && Number.isFinite(to)) conectRaw.push([from, to]);
      }
    }
  }
  if (atoms.length === 0) {
    throw new BoltzflowError('INVALID_VALUE', 'PDB has no atoms', { argument, expected: 'ATOM/HETATM records', received: 'none' });
  }
  const seen = new Set<string>();
  const conect: [number, number][] = [];
  for (const [a, b] of conectRaw) {
    const i = bySerial.get(a);
    const j = bySerial.get(b);
    if (i === undefined || j === undefined) {
      throw new BoltzflowError('INVALID_VALUE', 'CONECT record names an unknown atom', {
        argument,
        expected: 'serial numbers of ATOM/HETATM records',
        received: `CONECT ${a} ${b}`,
      });
    }
    if (i === j) continue;
    const key = i < j ? `${i}-${j}` : `${j}-${i}`;
    if (!seen.has(key)) {
      seen.add(key);
      conect.push(i < j ? [i, j] : [j, i]);
    }
  }
  return { atoms, residues, conect };
}

function formatAtomName(name: string, element: string): string {
  // PDB convention: one-letter elements start in column 14 unless the name fills all four columns.
  if (name.length >= 4 || element.length === 2) return name.padEnd(4).slice(0, 4);
  return ` ${name}`.padEnd(4);
}

/**
 * Writes a PDB file (one MODEL per conformation when there are several) for the given topology and positions in nm,
 * `positions[m]` a flat `[3N]` array. CONECT records carry the bonds so viewers draw the force field's bonds.
 */
export function writePDB(structure: Pick<PdbStructure, 'atoms'>, positions: ArrayLike<number>[], bonds: readonly (readonly [number, number])[]): string {
  const n = structure.atoms.length;
  const out: string[] = [];
  const multi = positions.length > 1;
  positions.forEach((pos, m) => {
    if (pos.length !== 3 * n) {
      throw new BoltzflowError('INVALID_SHAPE', 'Conformation has the wrong length', {
        argument: 'x',
        expected: `${3 * n} coordinates`,
        received: `${pos.length}`,
      });
    }
    if (multi) out.push(`MODEL     ${String(m + 1).padStart(4)}`);
    structure.atoms.forEach((a, i) => {
      const rec = a.hetero ? 'HETATM' : 'ATOM  ';
      const xyz = [0, 1, 2].map((d) => (10 * pos[3 * i + d]!).toFixed(3).padStart(8)).join('');
      out.push(
        `${rec}${String(i + 1).padStart(5)} ${formatAtomName(a.name, a.element)} ${a.residueName.padStart(3)} ${(a.chain || 'A').slice(0, 1)}${String(a.residueNumber).padStart(4)}${(a.insertionCode || ' ').slice(0, 1)}   ${xyz}  1.00  0.00          ${a.element.toUpperCase().padStart(2)}`,
      );
    });
    if (multi) out.push('ENDMDL');
  });
  const partners: number[][] = structure.atoms.map(() => []);
  for (const [i, j] of bonds) {
    partners[i]!.push(j);
    partners[j]!.push(i);
  }
  partners.forEach((list, i) => {
    const sorted = [...list].sort((a, b) => a - b);
    for (let k = 0; k < sorted.length; k += 4) {
      out.push(
        `CONECT${String(i + 1).padStart(5)}${sorted
          .slice(k, k + 4)
          .map((j) => String(j + 1).padStart(5))
          .join('')}`,
      );
    }
  });
  out.push('END');
  return `${out.join('\n')}\n`;
}
