import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import {
  alanineDipeptide,
  ALANINE_DIPEPTIDE_PDB,
  ALANINE_DIPEPTIDE_PHI,
  ALANINE_DIPEPTIDE_PSI,
  dihedral,
  energyAndGrad,
  FORCE_GROUPS,
  ForceFieldEnergy,
  parsePDB,
} from '../src/index.js';
import { AMBER99SBILDN_ALANINE_DIPEPTIDE_XML } from '../src/molecules/alanineDipeptideData.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../tools/molecules/openmm_reference.py', import.meta.url));
const FULL_XML = '/usr/lib/python3/dist-packages/openmm/app/data/amber99sbildn.xml';
const hasOpenMM = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import openmm'], { encoding: 'utf8' }).status === 0;
if (!hasOpenMM) console.warn('forceField.test: OpenMM (Debian python3-simtk) not found; the comparison with OpenMM is skipped.');

interface OpenMMResult {
  groups: string[];
  energies: number[][];
  forces: number[][];
  dihedrals: number[][];
}

function openmm(pdb: string, positions: Float32Array[], dihedrals: number[][]): OpenMMResult {
  const input = JSON.stringify({ pdb, forceField: ['amber99sbildn.xml'], positions: positions.map((p) => Array.from(p)), dihedrals });
  const r = spawnSync(PYTHON, [SCRIPT], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`openmm_reference.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as OpenMMResult;
}

const mol = alanineDipeptide();
const N = mol.atoms;

/** Rotates the atoms `moving` of a flat conformation about the axis a→b by `angle`. */
function rotate(x: Float32Array, a: number, b: number, moving: number[], angle: number): Float32Array {
  const out = Float32Array.from(x);
  const o = [0, 1, 2].map((d) => x[3 * a + d]!);
  const k = [0, 1, 2].map((d) => x[3 * b + d]! - o[d]!);
  const len = Math.hypot(k[0]!, k[1]!, k[2]!);
  const [kx, ky, kz] = k.map((v) => v / len) as [number, number, number];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (const i of moving) {
    const [vx, vy, vz] = [0, 1, 2].map((d) => x[3 * i + d]! - o[d]!) as [number, number, number];
    const dot = kx * vx + ky * vy + kz * vz;
    const cr = [ky * vz - kz * vy, kz * vx - kx * vz, kx * vy - ky * vx];
    [vx, vy, vz].forEach((v, d) => (out[3 * i + d] = o[d]! + v * c + cr[d]! * s + [kx, ky, kz][d]! * dot * (1 - c)));
  }
  return out;
}

/**
 * The minimised structure; 100 copies with seeded Gaussian noise of 0.002–0.015 nm per coordinate (bond, angle and
 * nonbonded terms far from the minimum); 30 with φ and ψ rotated across the circle plus noise (every torsion phase).
 */
function conformations(): Float32Array[] {
  const rng = createRng(16);
  const x0 = Float32Array.from(mol.positions);
  const out = [x0];
  const scales = [0.002, 0.005, 0.01, 0.015];
  for (let m = 0; m < 100; m++) {
    const z = rng.normalArray(3 * N);
    out.push(Float32Array.from(x0, (v, i) => v + scales[m % scales.length]! * z[i]!));
  }
  const afterCA = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
  const afterC = [15, 16, 17, 18, 19, 20, 21];
  for (let m = 0; m < 30; m++) {
    const u = rng.uniformArray(2);
    let x = rotate(x0, 6, 8, afterCA, 2 * Math.PI * u[0]!);
    x = rotate(x, 8, 14, afterC, 2 * Math.PI * u[1]!);
    const z = rng.normalArray(3 * N);
    out.push(Float32Array.from(x, (v, i) => v + 0.003 * z[i]!));
  }
  return out;
}

describe('alanineDipeptide', () => {
  it('has 22 atoms, the Amber ff99SB-ILDN terms and φ, ψ of the shipped minimum', () => {
    expect(N).toBe(22);
    expect(mol.dim).toBe(66);
    expect(mol.system.bonds.length).toBe(21);
    expect(mol.kT).toBeCloseTo(8.314462618e-3 * 300, 12);
    const names = mol.structure.atoms.map((a) => `${a.residueName}:${a.name}`);
    expect([ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI].map((q) => q.map((i) => names[i]))).toEqual([
      ['ACE:C', 'ALA:N', 'ALA:CA', 'ALA:C'],
      ['ALA:N', 'ALA:CA', 'ALA:C', 'NME:N'],
    ]);
  });

  it('reads the full amber99sbildn.xml to the same system as the shipped cut-down file', () => {
    if (!existsSync(FULL_XML)) return console.warn('forceField.test: amber99sbildn.xml not installed; skipped');
    const full = ForceFieldEnergy.fromOpenMM({ pdb: ALANINE_DIPEPTIDE_PDB, forceField: readFileSync(FULL_XML, 'utf8') });
    expect(full.system).toEqual(mol.system);
  });
});

describe.skipIf(!hasOpenMM)('ForceFieldEnergy against OpenMM (Reference platform, NoCutoff, no constraints)', () => {
  // vitest runs a skipped suite's body to collect its tests: without OpenMM, collect none (the warning above says why).
  if (!hasOpenMM) return;
  const xs = conformations();
  // OpenMM has no soft core: compare the plain force field. (The φ/ψ rotations can put atoms inside the default soft
  // core, where ours continues linearly by design; the seeded conformations did so once the generator changed.)
  const exact = ForceFieldEnergy.fromOpenMM({ pdb: ALANINE_DIPEPTIDE_PDB, forceField: AMBER99SBILDN_ALANINE_DIPEPTIDE_XML, softCore: false });
  // The PDB OpenMM reads is the one toPDB writes: this also checks that our PDB output is a valid structure file.
  const pdbOut = mol.toPDB(xs[0]!);
  const ref = openmm(pdbOut, xs, [[...ALANINE_DIPEPTIDE_PHI], [...ALANINE_DIPEPTIDE_PSI]]);
  const x = tf.tensor2d(Float32Array.from(xs.flatMap((v) => Array.from(v))), [xs.length, 3 * N]);

  it('energy per force group and in total agree (relative 1e-4 on differences to the minimum)', () => {
    expect(ref.groups.slice().sort()).toEqual([...FORCE_GROUPS].sort());
    const terms = exact.energyTerms(x);
    const total = exact.energy(x);
    const ours: Record<string, number[]> = {};
    for (const g of FORCE_GROUPS) ours[g] = Array.from(terms[g].dataSync(), (v) => v * mol.kT);
    const oursTotal = Array.from(total.dataSync(), (v) => v * mol.kT);
    const refTotal = ref.energies.map((e) => e.reduce((a, b) => a + b, 0));
    let worst = 0;
    const check = (label: string, a: number[], b: number[]): void => {
      for (let m = 0; m < a.length; m++) {
        const dOurs = a[m]! - a[0]!;
        const dRef = b[m]! - b[0]!;
        // Relative 1e-4 on the difference, with a float32 floor of 1e-6 of the magnitudes involved.
        const tol = 1e-4 * Math.abs(dRef) + 1e-6 * (Math.abs(b[m]!) + Math.abs(b[0]!)) + 1e-5;
        worst = Math.max(worst, Math.abs(dOurs - dRef) / tol);
        if (Math.abs(dOurs - dRef) > tol) throw new Error(`${label}, conformation ${m}: ΔE ours ${dOurs} vs OpenMM ${dRef} kJ/mol`);
        expect(Math.abs(a[m]! - b[m]!)).toBeLessThan(1e-4 * Math.abs(b[m]!) + 1e-3);
      }
    };
    ref.groups.forEach((g, k) =>
      check(
        g,
        ours[g]!,
        ref.energies.map((e) => e[k]!),
      ),
    );
    check('total', oursTotal, refTotal);
    expect(worst).toBeLessThan(1);
    tf.dispose([terms.HarmonicAngleForce, terms.HarmonicBondForce, terms.NonbondedForce, terms.PeriodicTorsionForce, total]);
  });

  it('forces agree per atom (error < 1e-3 of the conformation’s RMS force)', () => {
    const { energy, grad } = energyAndGrad(exact, x);
    const g = grad.dataSync();
    let worst = 0;
    ref.forces.forEach((f, m) => {
      const rms = Math.sqrt(f.reduce((s, v) => s + v * v, 0) / N);
      for (let a = 0; a < N; a++) {
        let err = 0;
        for (let d = 0; d < 3; d++) err += (-g[m * 3 * N + 3 * a + d]! * mol.kT - f[3 * a + d]!) ** 2;
        worst = Math.max(worst, Math.sqrt(err) / rms);
      }
    });
    expect(worst).toBeLessThan(1e-3);
    tf.dispose([energy, grad]);
  });

  it('dihedral() gives OpenMM’s torsion angle θ for φ and ψ', () => {
    const phi = mol.phi(x).dataSync();
    const psi = dihedral(x, ALANINE_DIPEPTIDE_PSI).dataSync();
    ref.dihedrals.forEach(([p, q], m) => {
      expect(Math.abs(phi[m]! - p!)).toBeLessThan(2e-5);
      expect(Math.abs(psi[m]! - q!)).toBeLessThan(2e-5);
    });
    // The minimum lies in the C7eq basin.
    expect(phi[0]!).toBeLessThan(0);
  });
});

describe('toPDB', () => {
  it('round-trips positions to the 3-decimal Å precision of the format, one MODEL per conformation', () => {
    const x = tf.tensor2d([Array.from(mol.positions), Array.from(mol.positions, (v) => v + 0.01)]);
    const text = mol.toPDB(x);
    expect(text.match(/^MODEL/gm)?.length).toBe(2);
    expect(text.match(/^CONECT/gm)?.length).toBeGreaterThan(0);
    const first = parsePDB(text);
    expect(first.atoms.map((a) => a.name)).toEqual(mol.structure.atoms.map((a) => a.name));
    first.atoms.forEach((a, i) => a.position.forEach((v, d) => expect(Math.abs(v - mol.positions[3 * i + d]!)).toBeLessThanOrEqual(5.1e-5)));
    x.dispose();
  });
});

describe('bad input', () => {
  it('names the residue and atom no template matches', () => {
    const pdb = ALANINE_DIPEPTIDE_PDB.replace(' HB3 ALA', ' HX3 ALA');
    expect(() => ForceFieldEnergy.fromOpenMM({ pdb, forceField: AMBER99SBILDN_ALANINE_DIPEPTIDE_XML })).toThrow(/ALA 2.*HX3/);
  });

  it('reports a missing parameter with the atoms that need it', () => {
    const xml = AMBER99SBILDN_ALANINE_DIPEPTIDE_XML.replace(/<Bond class1="C" class2="O"[^>]*\/>/, '');
    expect(xml).not.toBe(AMBER99SBILDN_ALANINE_DIPEPTIDE_XML);
    let err: unknown;
    try {
      ForceFieldEnergy.fromOpenMM({ pdb: ALANINE_DIPEPTIDE_PDB, forceField: xml });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BoltzflowError);
    expect((err as Error).message).toMatch(/HarmonicBondForce.*C of ACE 1.*O of ACE 1/);
  });

  it('rejects force sections it does not implement and malformed XML', () => {
    const xml = AMBER99SBILDN_ALANINE_DIPEPTIDE_XML.replace('</ForceField>', '<GBSAOBCForce/></ForceField>');
    expect(() => ForceFieldEnergy.fromOpenMM({ pdb: ALANINE_DIPEPTIDE_PDB, forceField: xml })).toThrow(/GBSAOBCForce/);
    expect(() => ForceFieldEnergy.fromOpenMM({ pdb: ALANINE_DIPEPTIDE_PDB, forceField: '<ForceField><AtomTypes></ForceField>' })).toThrow(BoltzflowError);
    expect(() => ForceFieldEnergy.fromOpenMM({ pdb: ALANINE_DIPEPTIDE_PDB, forceField: AMBER99SBILDN_ALANINE_DIPEPTIDE_XML, temperature: -1 })).toThrow(
      BoltzflowError,
    );
  });

  it('overlapping atoms give large finite energies and finite gradients', () => {
    const a = Array.from(mol.positions);
    const b = [...a];
    for (let d = 0; d < 3; d++) b[3 * 21 + d] = b[3 * 5 + d]!; // NME hydrogen onto the ACE oxygen
    const c = new Array<number>(3 * N).fill(0.1); // every atom at one point
    const x = tf.tensor2d([a, b, c]);
    const { energy, grad } = energyAndGrad(mol, x);
    const u = energy.dataSync();
    expect(Array.from(u).every(Number.isFinite)).toBe(true);
    expect(Array.from(grad.dataSync()).every(Number.isFinite)).toBe(true);
    expect(u[1]! - u[0]!).toBeGreaterThan(100);
    expect(u[2]! - u[0]!).toBeGreaterThan(1e3);
    tf.dispose([x, energy, grad]);
  });

  it('keeps the tensor count flat', () => {
    const x = tf.tensor2d([Array.from(mol.positions)]);
    const { energy, grad } = energyAndGrad(mol, x);
    tf.dispose([energy, grad]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) tf.dispose(Object.values(energyAndGrad(mol, x)));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
