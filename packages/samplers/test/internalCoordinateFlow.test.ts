import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BoltzflowError, createRng } from '@boltzflow/core';
import { InternalCoordinates } from '@boltzflow/bijectors';
import { alanineDipeptide } from '@boltzflow/energies';
import { internalCoordinateFlow } from '../src/index.js';

/**
 * The Boltzmann generator on internal coordinates: before training (identity couplings) its samples reproduce the
 * placement data's bond/angle means and standard deviations and the torsions' circular means (Monte-Carlo
 * tolerances); `logProb` of its own samples equals the log-density it drew them with; it trains (gradients through the
 * von Mises base and the circular splines are finite); fewer than two conformations is a typed error.
 */
describe('internalCoordinateFlow (alanine dipeptide)', () => {
  const energy = alanineDipeptide();
  const ic = new InternalCoordinates({ atoms: 22, bonds: energy.system.bonds.map((b) => b.atoms) });
  const rng = createRng(4);
  // Placement data: the minimised structure with 0.003 nm noise per coordinate.
  const data = tf.tidy(() => ic.toFrame(tf.add(tf.tensor2d(energy.positions, [1, 66]), tf.mul(rng.normal([400, 66]), 0.003)) as tf.Tensor2D));

  it('samples match the placement statistics; logProb agrees with sampleWithLogProb; ML gradients are finite', () => {
    const flow = internalCoordinateFlow({ ic, data, layers: 2, hidden: 8, rng: createRng(5) });
    const n = 2000;
    const s = flow.sampleWithLogProb(n, createRng(6));
    expect(s.x.shape).toEqual([n, 60]);
    const qData = ic.inverse(data).x.arraySync();
    const qFlow = ic.inverse(s.x).x.arraySync();
    const [b0, a1] = [ic.bondColumns[0], ic.angleColumns[1]];
    const stats = (rows: number[][], j: number) => {
      const m = rows.reduce((a, r) => a + r[j]!, 0) / rows.length;
      const sd = Math.sqrt(rows.reduce((a, r) => a + (r[j]! - m) ** 2, 0) / (rows.length - 1));
      return { m, sd };
    };
    for (let j = b0; j < a1; j++) {
      const d = stats(qData, j);
      const f = stats(qFlow, j);
      // Mean within 5 standard errors of the flow's n samples; sd within 15 % (n = 2000: sd's relative stderr ≈ 1.6 %).
      expect(Math.abs(f.m - d.m)).toBeLessThan((5 * d.sd) / Math.sqrt(n));
      expect(Math.abs(f.sd / d.sd - 1)).toBeLessThan(0.15);
    }
    const [t0, t1] = ic.torsionColumns;
    for (let j = t0; j < t1; j++) {
      const circ = (rows: number[][]) =>
        Math.atan2(
          rows.reduce((a, r) => a + Math.sin(r[j]!), 0),
          rows.reduce((a, r) => a + Math.cos(r[j]!), 0),
        );
      const diff = Math.atan2(Math.sin(circ(qFlow) - circ(qData)), Math.cos(circ(qFlow) - circ(qData)));
      expect(Math.abs(diff)).toBeLessThan(0.1);
    }
    const lp = flow.logProb(s.x);
    const a = lp.dataSync();
    const b = s.logProb.dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
    expect(worst).toBeLessThan(1e-3);
    const grads = tf.variableGrads(() => tf.neg(tf.mean(flow.logProb(data))) as tf.Scalar, flow.trainableVariables);
    for (const g of Object.values(grads.grads)) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([s.x, s.logProb, lp, grads.value, ...Object.values(grads.grads)]);
    flow.dispose();
  });

  it('needs at least two conformations', () => {
    const one = tf.slice(data, [0, 0], [1, 60]) as tf.Tensor2D;
    expect(() => internalCoordinateFlow({ ic, data: one, rng })).toThrow(BoltzflowError);
    try {
      internalCoordinateFlow({ ic, data: one, rng });
    } catch (e) {
      expect((e as BoltzflowError).details?.argument).toBe('data');
    }
    one.dispose();
  });
});
