import * as tf from '@tensorflow/tfjs';
import {
  angleBetween,
  assertBatch,
  assertPositive,
  BoltzflowError,
  dihedralOfBonds,
  displacementSelectors,
  gatherCoordinates,
  vnorm,
  type Energy,
  type Vec3,
} from '@boltzflow/core';
import { OpenMMForceField } from './openmmForceField.js';
import { parsePDB, writePDB, type PdbStructure } from './pdb.js';
import { buildSystem, type ForceFieldSystem } from './system.js';

/** Molar gas constant in kJ/(mol·K) (OpenMM's value). */
export const MOLAR_GAS_CONSTANT = 8.314462618e-3;
/** Coulomb constant 1/(4πε₀) in kJ·nm/(mol·e²), as OpenMM's ONE_4PI_EPS0. */
export const COULOMB_CONSTANT = 138.93545764438198;

/** The force groups of a {@link ForceFieldEnergy}, named after the OpenMM forces they reproduce. */
export type ForceGroup = 'HarmonicBondForce' | 'HarmonicAngleForce' | 'PeriodicTorsionForce' | 'NonbondedForce';
/** The force groups an energy is split into (`energyTerms`), named as OpenMM names its forces. */
export const FORCE_GROUPS: readonly ForceGroup[] = ['HarmonicBondForce', 'HarmonicAngleForce', 'PeriodicTorsionForce', 'NonbondedForce'];

/** Inputs of {@link ForceFieldEnergy.fromOpenMM}: PDB text, OpenMM ForceField XML text, temperature. */
export interface FromOpenMMOptions {
  /** PDB file contents (atoms, residues, CONECT records); positions in Å as the format says. */
  pdb: string;
  /** One or more OpenMM ForceField XML file contents (e.g. amber99sbildn.xml). */
  forceField: string | readonly string[];
  /** Temperature in K that sets kT. Default 300. */
  temperature?: number;
  /**
   * Nonbonded soft core: below r_c = max(softCore·σᵢⱼ, 0.05 nm) the pair energy continues linearly (value and slope
   * matched at r_c), so overlapping atoms give large finite energies instead of ±∞/NaN. Default 0.5 (LJ there is
   * ≈ 1.6·10⁴ εᵢⱼ, never reached at thermal energies); `false` disables it.
   */
  softCore?: number | false;
}

/**
 * A classical force field in vacuum (no cutoff, no constraints) as a batched TF.js energy: positions `[n, 3N]` in nm,
 * energies in kT at `temperature`. Terms and parameters follow OpenMM's `ForceField.createSystem` for the
 * supported forces (harmonic bonds and angles, periodic propers/impropers, Lennard-Jones + Coulomb with 1-2/1-3
 * exclusions and scaled 1-4 pairs). Gradients by autodiff.
 */
export class ForceFieldEnergy implements Energy {
  readonly dim: number;
  readonly name: string;
  readonly temperature: number;
  /** kT in kJ/mol. */
  readonly kT: number;
  readonly system: ForceFieldSystem;
  readonly structure: PdbStructure;
  /** Initial positions from the PDB, flat `[3N]`, nm. */
  readonly positions: Float32Array;
  private readonly softCore: number | false;
  private consts: Record<string, tf.Tensor> | undefined;
  private selectors: Record<string, [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]> | undefined;

  constructor(structure: PdbStructure, system: ForceFieldSystem, options: { temperature?: number; softCore?: number | false; name?: string } = {}) {
    const temperature = options.temperature ?? 300;
    assertPositive(temperature, 'temperature');
    if (options.softCore !== undefined && options.softCore !== false) assertPositive(options.softCore, 'softCore');
    this.structure = structure;
    this.system = system;
    this.temperature = temperature;
    this.kT = MOLAR_GAS_CONSTANT * temperature;
    this.softCore = options.softCore ?? 0.5;
    this.dim = 3 * system.atoms.length;
    this.name = options.name ?? `force-field(${system.atoms.length} atoms)`;
    this.positions = Float32Array.from(structure.atoms.flatMap((a) => a.position));
  }

  /** Builds the energy from a PDB and OpenMM force-field XML, both given as text (works in a browser). */
  static fromOpenMM(options: FromOpenMMOptions): ForceFieldEnergy {
    if (options === null || typeof options !== 'object') {
      throw new BoltzflowError('INVALID_VALUE', 'fromOpenMM needs options', {
        argument: 'options',
        expected: '{ pdb, forceField, temperature? }',
        received: String(options),
      });
    }
    const structure = parsePDB(options.pdb, 'pdb');
    const ff = new OpenMMForceField(options.forceField);
    const system = buildSystem(structure, ff);
    return new ForceFieldEnergy(structure, system, options);
  }

  /** Number of atoms. */
  get atoms(): number {
    return this.system.atoms.length;
  }

  /** Bonded atom pairs (the molecule's bond graph). */
  get bonds(): [number, number][] {
    return this.system.bonds.map((b) => [...b.atoms] as [number, number]);
  }

  /** Index of the atom called `name` in the residue numbered `residue` (PDB numbering) or named so; throws when absent. */
  atomIndex(residue: number | string, name: string): number {
    const i = this.structure.atoms.findIndex((a) => a.name === name && (typeof residue === 'number' ? a.residueNumber === residue : a.residueName === residue));
    if (i < 0) {
      throw new BoltzflowError('INVALID_VALUE', 'No such atom', {
        argument: 'name',
        expected: 'an atom of the structure',
        received: `${name} in residue ${residue}`,
      });
    }
    return i;
  }

  private constants(): Record<string, tf.Tensor> {
    if (this.consts) return this.consts;
    const s = this.system;
    const kT = this.kT;
    const N = s.atoms.length;
    const sel: Record<string, [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]> = {};
    // Bond vectors x[to] − x[from] of each term, one selector triple per vector.
    const select = (name: string, rows: readonly (readonly number[])[], from: number, to: number): void => {
      sel[name] = displacementSelectors(
        rows.map((r) => r[from]!),
        rows.map((r) => r[to]!),
        N,
      ).map((t) => tf.keep(t)) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    };
    // Terms are laid out [n, m] (conformations × terms); per-term constants are rows [m] broadcast over conformations.
    const col = (v: number[]): tf.Tensor1D => tf.tensor1d(v);
    const c: Record<string, tf.Tensor> = {};
    const keep = (name: string, t: tf.Tensor): void => {
      c[name] = tf.keep(t);
    };
    tf.tidy(() => {
      const ba = s.bonds.map((b) => b.atoms);
      select('bond', ba, 0, 1);
      keep('bondR0', col(s.bonds.map((b) => b.length)));
      keep('bondK', col(s.bonds.map((b) => (0.5 * b.k) / kT)));
      const aa = s.angles.map((a) => a.atoms);
      select('angleU', aa, 1, 0);
      select('angleV', aa, 1, 2);
      keep('angleT0', col(s.angles.map((a) => a.angle)));
      keep('angleK', col(s.angles.map((a) => (0.5 * a.k) / kT)));
      const ta = s.torsions.map((t) => t.atoms);
      for (let q = 0; q < 3; q++) select(`torsion${q}`, ta, q, q + 1);
      keep('torsionN', col(s.torsions.map((t) => t.periodicity)));
      keep('torsionPhase', col(s.torsions.map((t) => t.phase)));
      keep('torsionK', col(s.torsions.map((t) => t.k / kT)));
      const pa = s.pairs.map((p) => p.atoms);
      select('pair', pa, 0, 1);
      keep('pairSigma', col(s.pairs.map((p) => p.sigma)));
      keep('pair4Eps', col(s.pairs.map((p) => (4 * p.epsilon) / kT)));
      keep('pairQQ', col(s.pairs.map((p) => (COULOMB_CONSTANT * p.chargeProd) / kT)));
      // Soft-core radius and the pair energy's slope there (per pair, in kT/nm).
      const rc = s.pairs.map((p) => (this.softCore === false ? 0 : Math.max(this.softCore * p.sigma, 0.05)));
      const slope = s.pairs.map((p, m) => {
        const r = rc[m]!;
        if (r === 0) return 0;
        const sr6 = (p.sigma / r) ** 6;
        return ((4 * p.epsilon * (-12 * sr6 * sr6 + 6 * sr6)) / r - (COULOMB_CONSTANT * p.chargeProd) / (r * r)) / kT;
      });
      keep('pairRc', col(rc));
      keep('pairSlope', col(slope));
    });
    this.consts = c;
    this.selectors = sel;
    return c;
  }

  /** Energy of each force group in kT, `[n]` each (the OpenMM force names; sum = {@link energy}). */
  energyTerms(x: tf.Tensor2D): Record<ForceGroup, tf.Tensor1D> {
    assertBatch(x, 'x', this.dim);
    const c = this.constants();
    return tf.tidy(() => {
      const sel = this.selectors!;
      const g = (name: string): Vec3 => gatherCoordinates(x, sel[name]!);
      const zero = (): tf.Tensor1D => tf.zeros([x.shape[0]]);
      const terms = {} as Record<ForceGroup, tf.Tensor1D>;

      terms.HarmonicBondForce =
        this.system.bonds.length === 0 ? zero() : (tf.sum(tf.mul(c.bondK!, tf.square(tf.sub(vnorm(g('bond')), c.bondR0!))), 1) as tf.Tensor1D);
      terms.HarmonicAngleForce =
        this.system.angles.length === 0
          ? zero()
          : (tf.sum(tf.mul(c.angleK!, tf.square(tf.sub(angleBetween(g('angleU'), g('angleV')), c.angleT0!))), 1) as tf.Tensor1D);
      if (this.system.torsions.length === 0) terms.PeriodicTorsionForce = zero();
      else {
        const phi = dihedralOfBonds(g('torsion0'), g('torsion1'), g('torsion2'));
        terms.PeriodicTorsionForce = tf.sum(tf.mul(c.torsionK!, tf.add(1, tf.cos(tf.sub(tf.mul(c.torsionN!, phi), c.torsionPhase!)))), 1) as tf.Tensor1D;
      }
      if (this.system.pairs.length === 0) terms.NonbondedForce = zero();
      else {
        const r = vnorm(g('pair'));
        // E(max(r, r_c)) + E'(r_c)·min(r − r_c, 0): exact above r_c, linear below; both pieces finite at r = 0.
        // max/min with a broadcast operand take a slow path on WASM; relu of a difference does not.
        const rHi = tf.add(c.pairRc!, tf.relu(tf.sub(r, c.pairRc!)));
        const sr2 = tf.square(tf.div(c.pairSigma!, rHi));
        const sr6 = tf.mul(tf.mul(sr2, sr2), sr2);
        const lj = tf.mul(c.pair4Eps!, tf.sub(tf.square(sr6), sr6));
        const coul = tf.div(c.pairQQ!, rHi);
        const below = tf.mul(c.pairSlope!, tf.neg(tf.relu(tf.sub(c.pairRc!, r))));
        terms.NonbondedForce = tf.sum(tf.add(tf.add(lj, coul), below), 1) as tf.Tensor1D;
      }
      return terms;
    });
  }

  /** u(x) in kT, `[n]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const t = this.energyTerms(x);
      return tf.addN(FORCE_GROUPS.map((k) => t[k])) as tf.Tensor1D;
    });
  }

  /** PDB text of the conformations `x` `[n, 3N]` (nm), one MODEL each when n > 1, with CONECT records for the bonds. */
  toPDB(x: tf.Tensor2D | ArrayLike<number>): string {
    let rows: ArrayLike<number>[];
    if (x instanceof tf.Tensor) {
      const [n] = assertBatch(x as tf.Tensor2D, 'x', this.dim);
      const flat = x.dataSync();
      rows = Array.from({ length: n }, (_, m) => flat.subarray(m * this.dim, (m + 1) * this.dim));
    } else rows = [x];
    return writePDB(this.structure, rows, this.bonds);
  }

  /** Frees the cached parameter tensors (the energy rebuilds them on the next call). */
  dispose(): void {
    if (this.consts) Object.values(this.consts).forEach((t) => t.dispose());
    if (this.selectors) Object.values(this.selectors).forEach((t) => tf.dispose(t));
    this.consts = undefined;
    this.selectors = undefined;
  }
}
