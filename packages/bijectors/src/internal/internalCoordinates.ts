import * as tf from '@tensorflow/tfjs';
import {
  angleBetween,
  assertBatch,
  BoltzflowError,
  coordinateSelectors,
  dihedralOfBonds,
  displacementSelectors,
  gatherCoordinates,
  selectionMatrix,
  vcross,
  vnorm,
  vdot,
  vsub,
  type Bijector,
  type Energy,
  type SerializedConfig,
  type Vec3,
} from '@boltzflow/core';

import { checkZMatrix, zMatrixFromBonds, type ZMatrix } from './zMatrix.js';

/** Options of {@link InternalCoordinates}: the Z-matrix (or the bond graph it is built from) and the particle count. */
export interface InternalCoordinatesOptions {
  /** Number of atoms N. */
  atoms: number;
  /** Rows `[atom, bondRef, angleRef, torsionRef]` (see {@link ZMatrix}); or give `bonds` to build one. */
  zMatrix?: ZMatrix;
  /** The molecule's bond graph, used when `zMatrix` is absent ({@link zMatrixFromBonds}). */
  bonds?: [number, number][];
  /** Root atom of the Z-matrix built from `bonds` (default: the lowest-index atom of highest degree). */
  root?: number;
}

/** One placement generation: Z-matrix rows ≥ 3 whose references are all placed by earlier generations. */
interface Generation {
  /** Row selectors `[m, placed]` of the bond, angle and torsion reference atoms among the rows placed so far. */
  refs: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  /** Column selector `[N−3, m]` of these rows' (A, B, C) placement coefficients. */
  coef: tf.Tensor2D;
  size: number;
}

type Selectors = [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];

interface Constants {
  /** Displacement selectors of the vectors defining each bond (rows 1…), angle (rows 2…) and torsion (rows 3…). */
  bondSel: Selectors[];
  angleSel: Selectors[];
  torsionSel: Selectors[];
  /** Coordinate selectors of every atom (atom order) and their transposes (write components back to [n, 3N]). */
  allAtoms: Selectors;
  scatter: Selectors;
  frameSelect: tf.Tensor2D;
  frameScatter: tf.Tensor2D;
  generations: Generation[];
  /** Reorders the placed rows (generation order) into atom order, `[N, N]`. */
  toAtomOrder: tf.Tensor2D;
  /** The cyclic permutations giving cross products by matMul: u × v = (uP₁)(vP₂) − (uP₂)(vP₁). */
  p1: tf.Tensor2D;
  p2: tf.Tensor2D;
}

/** Floors inside the log-det: finite values (and zero gradients) at r = 0 and at angles of exactly 0 or π. */
const LOG_FLOOR = 1e-12;

/**
 * Internal coordinates ↔ Cartesian coordinates in the frame of three reference atoms (dim 3N − 6 both ways).
 *
 * `forward` maps internal coordinates `[bonds (N−1), angles (N−2), torsions (N−3)]` (nm, rad; torsions in (−π, π],
 * IUPAC sign) to the Cartesian coordinates of the molecule placed with Z-matrix row 0 at the origin, row 1 on +x and
 * row 2 in the xy-plane (y > 0); those six fixed coordinates are dropped, the remaining 3N − 6 kept in atom order
 * (see {@link InternalCoordinates.toFrame} / {@link InternalCoordinates.fromFrame}). log|det J| = log r₂ +
 * Σ_{k≥3} (2 log rₖ + log sin θₖ), exact. Collinear reference atoms give finite (if ill-defined) placements.
 *
 * A Boltzmann density over all 3N coordinates, with rotations and translations integrated out, has on the frame
 * coordinates the extra factor x₁²·y₂ (`frameLogVolume`): the target for a flow ending here is
 * u(fromFrame(c)) − frameLogVolume(c).
 */
export class InternalCoordinates implements Bijector {
  readonly dim: number;
  readonly atoms: number;
  readonly zMatrix: ZMatrix;
  /** Column ranges of the internal-coordinate vector. */
  readonly bondColumns: [number, number];
  readonly angleColumns: [number, number];
  readonly torsionColumns: [number, number];
  /** Flat Cartesian columns (of 3N) kept in the frame representation, in order. */
  readonly frameColumns: number[];
  private consts: Constants | undefined;

  constructor(options: InternalCoordinatesOptions) {
    if (options === null || typeof options !== 'object') {
      throw new BoltzflowError('INVALID_CONFIG', 'InternalCoordinates needs options', {
        argument: 'options',
        expected: '{ atoms, zMatrix | bonds }',
        received: String(options),
      });
    }
    const N = options.atoms;
    if (!Number.isInteger(N) || N < 3) {
      throw new BoltzflowError('INVALID_CONFIG', 'Internal coordinates need at least three atoms', {
        argument: 'atoms',
        expected: 'an integer ≥ 3',
        received: String(N),
      });
    }
    if (options.zMatrix === undefined && options.bonds === undefined) {
      throw new BoltzflowError('INVALID_CONFIG', 'InternalCoordinates needs a Z-matrix or a bond graph', {
        argument: 'zMatrix',
        expected: 'zMatrix or bonds',
        received: 'neither',
      });
    }
    this.atoms = N;
    this.zMatrix =
      options.zMatrix !== undefined
        ? checkZMatrix(options.zMatrix, N)
        : zMatrixFromBonds(N, options.bonds!, options.root === undefined ? {} : { root: options.root });
    this.dim = 3 * N - 6;
    this.bondColumns = [0, N - 1];
    this.angleColumns = [N - 1, 2 * N - 3];
    this.torsionColumns = [2 * N - 3, 3 * N - 6];
    const [a0, a1, a2] = this.zMatrix.map((r) => r[0]!) as [number, number, number];
    const dropped = new Set([3 * a0, 3 * a0 + 1, 3 * a0 + 2, 3 * a1 + 1, 3 * a1 + 2, 3 * a2 + 2]);
    this.frameColumns = Array.from({ length: 3 * N }, (_, i) => i).filter((i) => !dropped.has(i));
  }

  /** Internal coordinates have no weights: empty. */
  get trainableVariables(): tf.Variable[] {
    return [];
  }

  private constants() {
    if (this.consts) return this.consts;
    const N = this.atoms;
    // Every tensor made here is kept (no temporaries), so no tidy is needed around the non-tensor result.
    this.consts = ((): Constants => {
      // Row [atom, c, b, t]: bond vector atom − c; angle vectors atom − c and b − c; torsion bonds c − atom, b − c, t − b.
      const disp = (first: number, from: number, to: number) => {
        const rows = this.zMatrix.slice(first);
        return displacementSelectors(
          rows.map((r) => r[from]!),
          rows.map((r) => r[to]!),
          N,
        ).map((t) => tf.keep(t)) as Selectors;
      };
      const bondSel = [disp(1, 1, 0)];
      const angleSel = [disp(2, 1, 0), disp(2, 1, 2)];
      const torsionSel = N > 3 ? [disp(3, 0, 1), disp(3, 1, 2), disp(3, 2, 3)] : [];
      const allAtoms = coordinateSelectors(
        Array.from({ length: N }, (_, a) => a),
        N,
      ).map((t) => tf.keep(t)) as Selectors;
      const scatter = allAtoms.map((t) => tf.keep(tf.transpose(t))) as Selectors;
      // frameSelect [3N, 3N−6] picks the kept columns; frameScatter is its transpose (puts them back, zeros elsewhere).
      const fs = new Float32Array(3 * N * this.dim);
      this.frameColumns.forEach((src, j) => (fs[src * this.dim + j] = 1));
      const frameSelect = tf.keep(tf.tensor2d(fs, [3 * N, this.dim]));
      const frameScatter = tf.keep(tf.transpose(frameSelect) as tf.Tensor2D);
      // Generations: an atom can be placed once its three references are; atoms of one generation are placed together.
      const z = this.zMatrix;
      const gen = new Map<number, number>(z.slice(0, 3).map((r) => [r[0]!, 0]));
      const rowsOfGen: number[][] = [];
      for (let k = 3; k < N; k++) {
        const g = 1 + Math.max(...z[k]!.slice(1).map((a) => gen.get(a)!));
        gen.set(z[k]![0]!, g);
        (rowsOfGen[g - 1] ??= []).push(k);
      }
      const placed = z.slice(0, 3).map((r) => r[0]!);
      const generations: Generation[] = rowsOfGen.map((rowsK) => {
        const pos = new Map(placed.map((a, i) => [a, i]));
        const refs = [1, 2, 3].map((c) =>
          tf.keep(
            selectionMatrix(
              rowsK.map((k) => pos.get(z[k]![c]!)!),
              placed.length,
            ),
          ),
        ) as Generation['refs'];
        // Columns [A of the rows, B of the rows, C of the rows] out of the stacked [A (N−3), B (N−3), C (N−3)].
        const coef = new Float32Array(3 * (N - 3) * 3 * rowsK.length);
        rowsK.forEach((k, j) => [0, 1, 2].forEach((q) => (coef[(q * (N - 3) + k - 3) * 3 * rowsK.length + q * rowsK.length + j] = 1)));
        placed.push(...rowsK.map((k) => z[k]![0]!));
        return { refs, coef: tf.keep(tf.tensor2d(coef, [3 * (N - 3), 3 * rowsK.length])), size: rowsK.length };
      });
      const order = new Map(placed.map((a, i) => [a, i]));
      const toAtomOrder = tf.keep(
        selectionMatrix(
          Array.from({ length: N }, (_, a) => order.get(a)!),
          N,
        ),
      );
      const p1 = tf.keep(tf.tensor2d([0, 0, 1, 1, 0, 0, 0, 1, 0], [3, 3]));
      const p2 = tf.keep(tf.tensor2d([0, 1, 0, 0, 0, 1, 1, 0, 0], [3, 3]));
      return { bondSel, angleSel, torsionSel, allAtoms, scatter, frameSelect, frameScatter, generations, toAtomOrder, p1, p2 };
    })();
    return this.consts;
  }

  /** Frame coordinates `[n, 3N−6]` → Cartesian `[n, 3N]` (the six fixed coordinates are 0). */
  fromFrame(c: tf.Tensor2D): tf.Tensor2D {
    assertBatch(c, 'c', this.dim);
    return tf.tidy(() => tf.matMul(c, this.constants().frameScatter));
  }

  /**
   * Cartesian `[n, 3N]` → frame coordinates `[n, 3N−6]`: translates Z-matrix atom 0 to the origin and rotates atom 1
   * onto +x and atom 2 into the xy-plane (y > 0). Energies invariant under rigid motions see the same conformation.
   */
  toFrame(x: tf.Tensor2D): tf.Tensor2D {
    assertBatch(x, 'x', 3 * this.atoms);
    const [a0, a1, a2] = this.zMatrix.map((r) => r[0]!) as [number, number, number];
    const k = this.constants();
    return tf.tidy(() => {
      const pos = gatherCoordinates(x, k.allAtoms); // [n, N] each
      const at = (a: number): Vec3 => pos.map((t) => tf.slice(t, [0, a], [-1, 1])) as Vec3;
      const p0 = at(a0);
      const unit = (v: Vec3): Vec3 => {
        const inv = tf.rsqrt(tf.maximum(vdot(v, v), 1e-30));
        return v.map((t) => tf.mul(t, inv)) as Vec3;
      };
      const ex = unit(vsub(at(a1), p0));
      const v2 = vsub(at(a2), p0);
      const along = vdot(v2, ex);
      const ey = unit(vsub(v2, ex.map((t) => tf.mul(t, along)) as Vec3));
      const ez = vcross(ex, ey);
      const rel = vsub(pos, p0);
      // Local coordinates along (ex, ey, ez), written back into [n, 3N] and reduced to the frame columns.
      const local = [ex, ey, ez].map((e) => vdot(rel, e));
      const flat = tf.addN(local.map((l, c) => tf.matMul(l, k.scatter[c]!)));
      return tf.matMul(flat, k.frameSelect) as tf.Tensor2D;
    });
  }

  /** log of the rigid-body orbit volume of a frame conformation (up to the constant 8π²·V): 2 log x₁ + log y₂, `[n]`. */
  frameLogVolume(c: tf.Tensor2D): tf.Tensor1D {
    assertBatch(c, 'c', this.dim);
    const [, a1, a2] = this.zMatrix.map((r) => r[0]!) as [number, number, number];
    const ix1 = this.frameColumns.indexOf(3 * a1);
    const iy2 = this.frameColumns.indexOf(3 * a2 + 1);
    return tf.tidy(() => {
      const x1 = tf.abs(tf.squeeze(tf.slice(c, [0, ix1], [-1, 1]), [1]));
      const y2 = tf.abs(tf.squeeze(tf.slice(c, [0, iy2], [-1, 1]), [1]));
      return tf.add(tf.mul(2, tf.log(tf.maximum(x1, LOG_FLOOR))), tf.log(tf.maximum(y2, LOG_FLOOR))) as tf.Tensor1D;
    });
  }

  /**
   * The Boltzmann target on frame coordinates of an energy `u` over all 3N Cartesian coordinates that is invariant
   * under rigid motions: u_frame(c) = u(fromFrame(c)) − frameLogVolume(c), `dim` 3N − 6, so that exp(−u_frame) is
   * the marginal of exp(−u) with the six rigid-body degrees integrated out (up to a constant). A flow whose last layer
   * is this bijector samples it; gradients by autodiff through `fromFrame`. Each call is one evaluation of `u`.
   */
  frameEnergy(energy: Energy): Energy {
    if (!energy || typeof energy.energy !== 'function' || energy.dim !== 3 * this.atoms) {
      throw new BoltzflowError('INVALID_CONFIG', "frameEnergy needs an energy over the molecule's Cartesian coordinates", {
        argument: 'energy',
        expected: `an Energy of dim ${3 * this.atoms} (3N)`,
        received: energy && typeof energy === 'object' ? `dim ${String(energy.dim)}` : String(energy),
      });
    }
    return {
      dim: this.dim,
      name: `${energy.name ?? 'energy'} (frame coordinates)`,
      energy: (c: tf.Tensor2D) => {
        assertBatch(c, 'c', this.dim);
        return tf.tidy(() => tf.sub(energy.energy(this.fromFrame(c)), this.frameLogVolume(c)) as tf.Tensor1D);
      },
    };
  }

  private logDetFromInternal(r: tf.Tensor2D, theta: tf.Tensor2D): tf.Tensor1D {
    // r: bonds of rows 1…N−1, theta: angles of rows 2…N−1.
    const N = this.atoms;
    const logR = tf.log(tf.maximum(tf.abs(r), LOG_FLOOR));
    const logSin = tf.log(tf.maximum(tf.abs(tf.sin(theta)), LOG_FLOOR));
    const r2 = tf.slice(logR, [0, 1], [-1, 1]);
    const rest =
      N > 3 ? tf.add(tf.mul(2, tf.sum(tf.slice(logR, [0, 2], [-1, N - 3]), 1)), tf.sum(tf.slice(logSin, [0, 1], [-1, N - 3]), 1)) : tf.zeros([r.shape[0]]);
    return tf.add(tf.squeeze(r2, [1]), rest) as tf.Tensor1D;
  }

  forward(x: tf.Tensor2D): { y: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(x, 'x', this.dim);
    const N = this.atoms;
    const z = this.zMatrix;
    const k = this.constants();
    return tf.tidy(() => {
      const bonds = tf.slice(x, [0, 0], [n, N - 1]) as tf.Tensor2D;
      const angles = tf.slice(x, [0, N - 1], [n, N - 2]) as tf.Tensor2D;
      const col = (t: tf.Tensor, j: number) => tf.squeeze(tf.slice(t, [0, j], [n, 1]), [1]);
      // Rows 0–2: origin, +x axis, xy-plane (c + r(−cos θ·u + sin θ·ŷ), u = ±x̂ from the angle to the bond reference).
      const first: tf.Tensor[] = new Array(3);
      const zeros = tf.zeros([n]);
      const r1 = col(bonds, 0);
      first[0] = tf.zeros([n, 3]);
      first[1] = tf.stack([r1, zeros, zeros], 1);
      {
        const c = z[2]![1]! === z[0]![0]! ? 0 : 1;
        const r = col(bonds, 1);
        const th = col(angles, 0);
        const ux = c === 0 ? -1 : 1;
        const cx = c === 0 ? zeros : r1;
        first[2] = tf.stack([tf.sub(cx, tf.mul(ux, tf.mul(r, tf.cos(th)))), tf.mul(r, tf.sin(th)), zeros], 1);
      }
      // Rows ≥ 3 by generations, in the atom-major layout [rows, 3n]; vectors as [m·n, 3].
      const gens: tf.Tensor2D[] = [tf.reshape(tf.stack(first, 0), [3, 3 * n])];
      if (N > 3) {
        const r = tf.slice(bonds, [0, 2], [n, N - 3]);
        const th = tf.slice(angles, [0, 1], [n, N - 3]);
        const ph = tf.slice(x, [0, 2 * N - 3], [n, N - 3]);
        const rs = tf.mul(r, tf.sin(th));
        // Placement coefficients along (b̂c, m̂, n̂): (−r cos θ, r sin θ cos φ, r sin θ sin φ), stacked [n, 3(N−3)].
        const coefAll = tf.concat([tf.neg(tf.mul(r, tf.cos(th))), tf.mul(rs, tf.cos(ph)), tf.mul(rs, tf.sin(ph))], 1);
        const crossP = (u: tf.Tensor2D, v: tf.Tensor2D) =>
          tf.sub(tf.mul(tf.matMul(u, k.p1), tf.matMul(v, k.p2)), tf.mul(tf.matMul(u, k.p2), tf.matMul(v, k.p1))) as tf.Tensor2D;
        const unit = (v: tf.Tensor2D) => tf.mul(v, tf.rsqrt(tf.add(tf.sum(tf.square(v), 1, true), 1e-24))) as tf.Tensor2D;
        for (const g of k.generations) {
          const placed = gens.length === 1 ? gens[0]! : (tf.concat(gens, 0) as tf.Tensor2D);
          const [pc, pb, pt] = g.refs.map((s) => tf.reshape(tf.matMul(s, placed), [g.size * n, 3])) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          // [n, 3m] → [3, m·n, 1]: per row and conformation, the three coefficients.
          const abc = tf.reshape(tf.transpose(tf.reshape(tf.matMul(coefAll, g.coef), [n, 3, g.size]), [1, 2, 0]), [3, g.size * n, 1]);
          const [a, b, c] = tf.unstack(abc, 0) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          const bc = unit(tf.sub(pc, pb) as tf.Tensor2D);
          const nrm = unit(crossP(tf.sub(pb, pt) as tf.Tensor2D, bc));
          const m = crossP(nrm, bc);
          const pos = tf.addN([pc, tf.mul(a, bc), tf.mul(b, m), tf.mul(c, nrm)]);
          gens.push(tf.reshape(pos, [g.size, 3 * n]));
        }
      }
      const all = tf.matMul(k.toAtomOrder, tf.concat(gens, 0) as tf.Tensor2D); // [N, 3n], atom order
      const flat = tf.reshape(tf.transpose(tf.reshape(all, [N, n, 3]), [1, 0, 2]), [n, 3 * N]);
      const y = tf.matMul(flat, k.frameSelect) as tf.Tensor2D;
      return { y, logDet: this.logDetFromInternal(bonds, angles) };
    });
  }

  inverse(y: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [n] = assertBatch(y, 'y', this.dim);
    const N = this.atoms;
    const k = this.constants();
    return tf.tidy(() => {
      const full = tf.matMul(y, k.frameScatter) as tf.Tensor2D;
      const g = (sels: Selectors[]) => sels.map((s) => gatherCoordinates(full, s));
      const bonds = vnorm(g(k.bondSel)[0]!) as tf.Tensor2D;
      const angles = angleBetween(...(g(k.angleSel) as [Vec3, Vec3])) as tf.Tensor2D;
      const tors = N > 3 ? dihedralOfBonds(...(g(k.torsionSel) as [Vec3, Vec3, Vec3])) : tf.zeros([n, 0]);
      return { x: tf.concat([bonds, angles, tors], 1) as tf.Tensor2D, logDet: tf.neg(this.logDetFromInternal(bonds, angles)) as tf.Tensor1D };
    });
  }

  toConfig(): SerializedConfig {
    return { type: 'InternalCoordinates', atoms: this.atoms, zMatrix: this.zMatrix.map((r) => [...r]) };
  }

  dispose(): void {
    if (this.consts) {
      const c = this.consts;
      tf.dispose([
        ...c.bondSel.flat(),
        ...c.angleSel.flat(),
        ...c.torsionSel.flat(),
        ...c.allAtoms,
        ...c.scatter,
        c.frameSelect,
        c.frameScatter,
        c.toAtomOrder,
        c.p1,
        c.p2,
        ...c.generations.flatMap((g) => [...g.refs, g.coef]),
      ]);
      this.consts = undefined;
    }
  }
}
