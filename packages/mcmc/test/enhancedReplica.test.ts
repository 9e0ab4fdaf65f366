import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BoltzflowError, createRng, disposeTree, type Energy } from '@boltzflow/core';
import { energyFromFunction } from '@boltzflow/energies';
import { randomWalkMetropolis, sampleChain, mala } from '../src/kernels/index.js';
import { replicaExchange, temperatureLadder } from '../src/enhanced/index.js';
import { exactBinProbs, meanWithError, observable } from './helpersKernels.js';

// High-barrier 1D double well: u = s(x⁴ − 6x² − 0.5x), s = 1.5 (barriers ≈ 12 and 15 kT).
const S = 1.5;
const uHigh = (x: number) => S * (x ** 4 - 6 * x * x - 0.5 * x);
const highWell: Energy = energyFromFunction(
  (x) =>
    tf.tidy(() => {
      const v = tf.squeeze(x, [1]);
      return tf.mul(tf.sub(tf.sub(tf.pow(v, 4), tf.mul(tf.square(v), 6)), tf.mul(v, 0.5)), S) as tf.Tensor1D;
    }),
  1,
);

describe('replicaExchange', () => {
  const pLeft = exactBinProbs(uHigh, [-10, 0, 10])[0];
  const chains = 16;
  const steps = 2500;
  // chains start half in each well
  const start = () => tf.tensor2d(Array.from({ length: chains }, (_, i) => [i % 2 === 0 ? -1.7 : 1.75]));

  it('recovers the exact well population where RWM at the same budget stays stuck', () => {
    const x0 = start();
    const before = tf.memory().numTensors;
    const re = replicaExchange(highWell, {
      temperatures: { minTemperature: 1, maxTemperature: 16, count: 6 },
      kernel: (e, T) => randomWalkMetropolis(e, { stepSize: 0.35 * Math.sqrt(T) }),
      swapEvery: 1,
      x0,
      steps,
      burnIn: 300,
      rng: createRng(21),
    });
    expect(re.temperatures[0]).toBe(1);
    expect(re.temperatures[5]).toBeCloseTo(16, 10);
    expect(re.swapAcceptance).toHaveLength(5);
    for (const a of re.swapAcceptance) expect(a).toBeGreaterThan(0.1);
    for (let i = 0; i < 5; i++) expect(Math.abs(re.swapAcceptance[i] - re.swapProbability[i])).toBeLessThan(0.05);
    const left = observable(re.samples.data, re.samples.shape, (x, o) => (x[o] < 0 ? 1 : 0));
    const m = meanWithError(left);
    expect(Math.abs(m.mean - pLeft), `P(left) = ${m.mean} ± ${m.se}, exact ${pLeft}`).toBeLessThan(5 * m.se);
    expect(m.se).toBeLessThan(0.03); // the check has teeth
    disposeTree(re.finalState);
    expect(tf.memory().numTensors).toBe(before);

    // Plain RWM, same energy-evaluation budget (6 replicas → 6× the steps): the population stays at the initial 1/2.
    const rw = sampleChain(randomWalkMetropolis(highWell, { stepSize: 0.35 }), x0, { steps: 6 * steps, burnIn: 300, thin: 6, rng: createRng(22) });
    expect(rw.energyEvaluations).toBeGreaterThanOrEqual(re.energyEvaluations * 0.9);
    const mr = meanWithError(observable(rw.samples.data, rw.samples.shape, (x, o) => (x[o] < 0 ? 1 : 0)));
    expect(Math.abs(mr.mean - pLeft)).toBeGreaterThan(0.3);
    disposeTree(rw.finalState);
    x0.dispose();
  });

  it('exchanges gradient-caching states by rescaling (MALA rungs), consistent energies', () => {
    const x0 = start();
    const re = replicaExchange(highWell, {
      temperatures: [1, 3, 9],
      kernel: (e, T) => mala(e, { stepSize: 0.01 * T }),
      x0,
      steps: 200,
      swapEvery: 2,
      rng: createRng(23),
    });
    for (const [k, s] of re.finalState.replicas.entries()) {
      const u = highWell.energy(s.x as tf.Tensor2D);
      const expected = u.div(re.temperatures[k]);
      expect(tf.max(tf.abs(tf.sub(expected, s.energy))).dataSync()[0]).toBeLessThan(1e-3);
      [u, expected].forEach((t) => t.dispose());
    }
    expect(re.swapAcceptance.every((a) => a > 0)).toBe(true);
    disposeTree(re.finalState);
    x0.dispose();
  });

  it('ladder validation', () => {
    const arg = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(BoltzflowError);
        return (e as BoltzflowError).details.argument;
      }
      return undefined;
    };
    expect(arg(() => temperatureLadder([1, 2, 2]))).toBe('temperatures');
    expect(arg(() => temperatureLadder([1, 0.5]))).toBe('temperatures');
    expect(arg(() => temperatureLadder([0, 1]))).toBe('temperatures[0]');
    expect(arg(() => temperatureLadder([-1, 1]))).toBe('temperatures[0]');
    expect(arg(() => temperatureLadder({ maxTemperature: 0.5, count: 3 }))).toBe('temperatures.maxTemperature');
    expect(arg(() => temperatureLadder({ maxTemperature: 4, count: 1 }))).toBe('temperatures.count');
    expect(temperatureLadder({ maxTemperature: 8, count: 4 })).toEqual([1, 2, 4, 8].map((v) => expect.closeTo(v, 10)));
  });
});
