import { describe, expect, it } from 'vitest';
import { BoltzflowError } from '@boltzflow/core';
import { countTransitions, energyEvaluationsPerEffectiveSample, meanFirstPassageTime, roundTripTime } from '../src/index.js';

describe('countTransitions', () => {
  // cores: x < −0.5 (state 0) and x ≥ 0.5 (state 1); |x| < 0.5 is the dead zone
  const x = [-1, -0.2, 0.3, -0.1, 0.8, 0.2, -0.3, -0.7, -1, 0.6, 0.1, 0.9];

  it('counts only committed well-to-well transitions (dead zone removes recrossings)', () => {
    const r = countTransitions(x, { thresholds: [0], deadZone: 0.5 });
    expect(r.counts).toEqual([
      [0, 2],
      [1, 0],
    ]);
    expect(r.total).toBe(3);
    expect(Array.from(r.stateSequence)).toEqual([0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1]);
    expect(r.events).toEqual([
      { from: 0, to: 1, step: 4 },
      { from: 1, to: 0, step: 7 },
      { from: 0, to: 1, step: 9 },
    ]);
    // without a dead zone every sign change counts: −,−,+,−,+,+,−,−,−,+,+,+ → 5
    expect(countTransitions(x, { thresholds: [0] }).total).toBe(5);
  });

  it('starts uncommitted (−1) until the first core is reached', () => {
    const r = countTransitions([0.1, -0.2, 0.7, 0.2, -0.6], { thresholds: [0], deadZone: 0.5, names: ['L', 'R'] });
    expect(Array.from(r.stateSequence)).toEqual([-1, -1, 1, 1, 0]);
    expect(r.names).toEqual(['L', 'R']);
    expect(r.counts[1][0]).toBe(1);
    expect(r.total).toBe(1);
  });

  it('supports explicit intervals with three states', () => {
    const states = [
      { upper: -1, name: 'L' },
      { lower: -0.25, upper: 0.25, name: 'M' },
      { lower: 1, name: 'R' },
    ];
    const r = countTransitions([-2, 0, 2, 0.5, 0, -1.5, -0.5, 3], states);
    expect(r.counts).toEqual([
      [0, 1, 1],
      [1, 0, 1],
      [0, 1, 0],
    ]);
    expect(Array.from(r.stateSequence)).toEqual([0, 1, 2, 2, 1, 0, 0, 2]);
    const mfpt = meanFirstPassageTime(r, 'L', 'R');
    // L at 0 → R at 2; L at 5 → R at 7
    expect(mfpt.times).toEqual([2, 2]);
    expect(mfpt.mean).toBe(2);
  });

  it('rejects bad state definitions', () => {
    expect(() => countTransitions(x, [{ upper: 1 }, { lower: 0 }])).toThrow(/overlap/);
    expect(() => countTransitions(x, { thresholds: [0, 0.5], deadZone: 0.3 })).toThrow(/thresholds\[1\]/);
    expect(() => countTransitions(x, [{ lower: 1, upper: 0 }, { lower: 2 }])).toThrow(/states\[0\]/);
    expect(() => countTransitions([0, NaN], { thresholds: [0] })).toThrow(/series/);
  });
});

describe('passage times', () => {
  const r = countTransitions([-1, -0.2, 0.3, -0.1, 0.8, 0.2, -0.3, -0.7, -1, 0.6, 0.1, 0.9], { thresholds: [0], deadZone: 0.5 });

  it('mean first-passage time from the committed sequence', () => {
    const ab = meanFirstPassageTime(r, 0, 1);
    expect(ab.times).toEqual([4, 2]);
    expect(ab.mean).toBe(3);
    expect(ab.stderr).toBeCloseTo(1, 12); // sd([4, 2]) = √2, /√2
    const ba = meanFirstPassageTime(r.stateSequence, 1, 0, { dt: 0.5 });
    expect(ba.times).toEqual([1.5]);
    expect(ba.stderr).toBe(Infinity);
    const none = meanFirstPassageTime([0, 0, 0], 0, 1);
    expect(none.count).toBe(0);
    expect(none.mean).toBe(Infinity);
  });

  it('round-trip time a → b → a', () => {
    const rt = roundTripTime(r, 0, 1);
    expect(rt.times).toEqual([7]);
    const seq = [0, 0, 1, 1, 0, 2, 0, 1, 0];
    expect(roundTripTime(seq, 0, 1).times).toEqual([4, 4]);
    expect(() => roundTripTime(seq, 0, 0)).toThrow(BoltzflowError);
    expect(() => meanFirstPassageTime(r, 'X', 1)).toThrow(/from/);
  });

  it('energy evaluations per effective sample', () => {
    expect(energyEvaluationsPerEffectiveSample(250, 1e5)).toBe(400);
    expect(() => energyEvaluationsPerEffectiveSample(0, 10)).toThrow(/ess/);
    expect(() => energyEvaluationsPerEffectiveSample(10, -1)).toThrow(/energyEvaluations/);
  });
});
