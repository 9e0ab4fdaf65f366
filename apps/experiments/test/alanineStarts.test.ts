import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@boltzflow/core';
import { InternalCoordinates } from '@boltzflow/bijectors';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI, alanineDipeptide } from '@boltzflow/energies';
import { randomTorsionStarts } from '../src/experiments/alanineDipeptide.js';

/** Pairwise distance of atoms a and b in `[n, 3N]` Cartesian rows. */
function distance(x: Float32Array, dim: number, row: number, a: number, b: number): number {
  let s = 0;
  for (let k = 0; k < 3; k++) s += (x[row * dim + 3 * a + k]! - x[row * dim + 3 * b + k]!) ** 2;
  return Math.sqrt(s);
}

describe('randomTorsionStarts (overdispersed starts of alanine dipeptide)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('φ and ψ uniform on the circle, every bond length of the minimised structure kept', () => {
    const e = alanineDipeptide();
    const ic = new InternalCoordinates({ atoms: e.dim / 3, bonds: e.system.bonds.map((b) => b.atoms) });
    const ref = tf.tensor2d(e.positions, [1, e.dim]);
    const draw = randomTorsionStarts(ic, ref, [ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI]);
    const n = 400;
    const frame = draw(n, createRng(3));
    expect(frame.shape).toEqual([n, ic.dim]);
    const x = ic.fromFrame(frame);
    const phi = e.phi(x).dataSync();
    const psi = e.psi(x).dataSync();
    // uniform on (−π, π]: the fraction with φ > 0 is ½ within binomial error, and so is the fraction with |ψ| < π/2
    const frac = (v: ArrayLike<number>, f: (t: number) => boolean) => Array.from(v).filter(f).length / n;
    const se = Math.sqrt(0.25 / n);
    expect(Math.abs(frac(phi, (t) => t > 0) - 0.5)).toBeLessThan(4 * se);
    expect(Math.abs(frac(psi, (t) => Math.abs(t) < Math.PI / 2) - 0.5)).toBeLessThan(4 * se);
    // the minimised structure's bonds (independent check in Cartesian coordinates: the branch turned rigidly)
    const xs = x.dataSync() as Float32Array;
    const r0 = e.positions;
    for (const {
      atoms: [a, b],
    } of e.system.bonds) {
      const d0 = distance(Float32Array.from(r0), e.dim, 0, a, b);
      for (let c = 0; c < n; c += 37) expect(Math.abs(distance(xs, e.dim, c, a, b) - d0)).toBeLessThan(1e-4);
    }
    tf.dispose([frame, x, ref]);
    ic.dispose();
    e.dispose();
  });
});
