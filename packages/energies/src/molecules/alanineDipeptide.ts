import type * as tf from '@tensorflow/tfjs';
import { ForceFieldEnergy } from '../forceField/forceFieldEnergy.js';
import { dihedral } from '../forceField/geometry.js';
import { ALANINE_DIPEPTIDE_PDB, AMBER99SBILDN_ALANINE_DIPEPTIDE_XML } from './alanineDipeptideData.js';

/** Backbone dihedral atoms of ACE-ALA-NME (0-based, the shipped PDB's order): φ = C(ACE)–N–CA–C, ψ = N–CA–C–N(NME). */
export const ALANINE_DIPEPTIDE_PHI: readonly [number, number, number, number] = [4, 6, 8, 14];
/** Atom indices of the backbone dihedral ψ = N–CA–C–N(NME) in the shipped alanine-dipeptide structure. */
export const ALANINE_DIPEPTIDE_PSI: readonly [number, number, number, number] = [6, 8, 14, 16];

/** Options of {@link alanineDipeptide}. */
export interface AlanineDipeptideOptions {
  /** Temperature in K. Default 300. */
  temperature?: number;
}

/** Alanine dipeptide with its collective variables. */
export interface AlanineDipeptide extends ForceFieldEnergy {
  /** φ = C(ACE)–N–CA–C in (−π, π], `[n]`. */
  phi(x: tf.Tensor2D): tf.Tensor1D;
  /** ψ = N–CA–C–N(NME) in (−π, π], `[n]`. */
  psi(x: tf.Tensor2D): tf.Tensor1D;
}

/**
 * ACE-ALA-NME (22 atoms, 66 coordinates in nm) with Amber ff99SB-ILDN in vacuum, energies in kT at `temperature`.
 * Its structure (minimised, C7eq basin) and parameters ship as data generated from Debian's OpenMM 7.7 by
 * tools/molecules/build_alanine_dipeptide.py; `positions` holds the minimised structure.
 */
export function alanineDipeptide(options: AlanineDipeptideOptions = {}): AlanineDipeptide {
  const energy = ForceFieldEnergy.fromOpenMM({
    pdb: ALANINE_DIPEPTIDE_PDB,
    forceField: AMBER99SBILDN_ALANINE_DIPEPTIDE_XML,
    temperature: options.temperature ?? 300,
  });
  (energy as { name: string }).name = 'alanine-dipeptide';
  return Object.assign(energy, {
    phi: (x: tf.Tensor2D) => dihedral(x, ALANINE_DIPEPTIDE_PHI),
    psi: (x: tf.Tensor2D) => dihedral(x, ALANINE_DIPEPTIDE_PSI),
  });
}
