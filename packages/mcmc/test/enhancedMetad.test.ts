import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, type Energy } from '@boltzflow/core';
import { randomWalkMetropolis } from '../src/kernels/index.js';
import { coordinateCV, metadynamics } from '../src/enhanced/index.js';
import { doubleWell1d, dwU } from './helpersKernels.js';

describe('well-tempered metadynamics on the 1D double well u = x⁴ − 6x² − 0.5x', () => {
  it('reproduces the exact free-energy profile F(ξ) = u(ξ) within the walker-spread error bars', () => {
    const walkers = 8;
    const x0 = tf.fill([walkers, 1], -1.7) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const res = metadynamics(doubleWell1d(1), {
      cv: coordinateCV(0),
      hillHeight: 0.4,
      hillWidth: 0.15,
      depositEvery: 10,
      biasFactor: 12,
      kernel: (e) => randomWalkMetropolis(e, { stepSize: 0.25 }),
      steps: 6000,
      grid: { min: -2.4, max: 2.4, count: 25 },
      x0,
      rng: createRng(41),
    });
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
    const exact = res.grid.map((g) => dwU(g));
    const m = Math.min(...exact);
    const lines: string[] = [];
    let worst = 0;
    for (let g = 0; g < res.grid.length; g++) {
      const fe = exact[g] - m;
      const z = (res.freeEnergy[g] - fe) / res.freeEnergyError[g];
      lines.push(`${res.grid[g].toFixed(2)} F=${res.freeEnergy[g].toFixed(2)}±${res.freeEnergyError[g].toFixed(2)} exact=${fe.toFixed(2)} z=${z.toFixed(1)}`);
      worst = Math.max(worst, Math.abs(z));
    }
    // The walker spread is the statistical error of the final bias; 4.5 of them also absorb the small systematic
    // lag of a finite deposition rate (largest |z| seen ≈ 2 with this seed).
    expect(worst, lines.join('\n')).toBeLessThan(4.5);
    expect(Math.max(...res.freeEnergy)).toBeGreaterThan(8); // the barrier was crossed and filled
  });
  it('rejects bad options', () => {
    const x0 = tf.zeros([2, 1]) as tf.Tensor2D;
    const base = {
      cv: coordinateCV(0),
      hillHeight: 1,
      hillWidth: 0.1,
      depositEvery: 5,
      kernel: (e: Energy) => randomWalkMetropolis(e, { stepSize: 0.1 }),
      steps: 10,
      grid: { min: -1, max: 1, count: 10 },
      x0,
      rng: createRng(1),
    };
    expect(() => metadynamics(doubleWell1d(1), { ...base, biasFactor: 1 })).toThrow(BoltzflowError);
    expect(() => metadynamics(doubleWell1d(1), { ...base, hillWidth: 0 })).toThrow(BoltzflowError);
    x0.dispose();
  });
});
