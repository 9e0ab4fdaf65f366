import { describe, expect, it } from 'vitest';
import { learningRateAt, temperatureAt, validateLearningRateSchedule, validateTemperatureSchedule } from '../src/index.js';

describe('schedules', () => {
  it('constant, cosine (with warm-up) and exponential learning rates match their formulas', () => {
    expect(learningRateAt(0.01, 57, 100)).toBe(0.01);
    expect(learningRateAt({ type: 'constant', value: 0.2 }, 3, 10)).toBe(0.2);
    const cos = { type: 'cosine' as const, initial: 1, final: 0.1, warmupSteps: 10 };
    expect(learningRateAt(cos, 0, 110)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(cos, 9, 110)).toBeCloseTo(1, 12);
    expect(learningRateAt(cos, 10, 110)).toBeCloseTo(1, 12);
    expect(learningRateAt(cos, 60, 110)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(cos, 110, 110)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(cos, 500, 110)).toBeCloseTo(0.1, 12);
    const exp = { type: 'exponential' as const, initial: 0.1, decayRate: 0.5, decaySteps: 10 };
    expect(learningRateAt(exp, 15, 100)).toBeCloseTo(0.1 * Math.pow(0.5, 1.5), 12);
    expect(learningRateAt({ ...exp, staircase: true }, 15, 100)).toBeCloseTo(0.05, 12);
    expect(learningRateAt({ ...exp, min: 0.02 }, 1000, 100)).toBe(0.02);
  });

  it('rejects bad schedules with INVALID_CONFIG / INVALID_VALUE', () => {
    expect(() => validateLearningRateSchedule(-1)).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => validateLearningRateSchedule({ type: 'linear' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => validateLearningRateSchedule({ type: 'cosine', initial: 1, final: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => validateTemperatureSchedule({ from: 0, steps: 10 })).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
  });

  it('anneals the temperature geometrically or linearly to `to` and holds it', () => {
    expect(temperatureAt({ from: 8, steps: 30 }, 0, 100)).toBe(8);
    expect(temperatureAt({ from: 8, steps: 30 }, 10, 100)).toBeCloseTo(4, 12);
    expect(temperatureAt({ from: 8, steps: 30 }, 30, 100)).toBeCloseTo(1, 12);
    expect(temperatureAt({ from: 8, steps: 30 }, 90, 100)).toBeCloseTo(1, 12);
    expect(temperatureAt({ from: 3, to: 1, steps: 4, type: 'linear' }, 2, 10)).toBeCloseTo(2, 12);
  });
});
