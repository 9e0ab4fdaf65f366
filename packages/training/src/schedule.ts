import { assertInteger, assertPositive, BoltzflowError, assertOneOf } from '@boltzflow/core';

/**
 * Learning rate as a function of the (0-based) optimizer step.
 * - a number: constant;
 * - `{ type: 'constant', value }`;
 * - `{ type: 'cosine', initial, final = 0, warmupSteps = 0, steps = <run length> }`: linear warm-up from initial/warmupSteps
 *   to `initial`, then half a cosine down to `final` at `steps` (held there afterwards);
 * - `{ type: 'exponential', initial, decayRate, decaySteps, staircase = false, min = 0 }`: initial·decayRate^(step/decaySteps);
 * - a function `(step, totalSteps) => lr`.
 */
export type LearningRateSchedule =
  | number
  | { type: 'constant'; value: number }
  | { type: 'cosine'; initial: number; final?: number; warmupSteps?: number; steps?: number }
  | { type: 'exponential'; initial: number; decayRate: number; decaySteps: number; staircase?: boolean; min?: number }
  | ((step: number, totalSteps: number) => number);

/** Checks a schedule once, up front, so that a typo fails before any training step. */
export function validateLearningRateSchedule(schedule: LearningRateSchedule, argument = 'learningRate'): void {
  if (typeof schedule === 'function') return;
  if (typeof schedule === 'number') {
    assertPositive(schedule, argument);
    return;
  }
  if (!schedule || typeof schedule !== 'object') {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown learning-rate schedule', {
      argument,
      expected: 'number, { type: constant | cosine | exponential } or function',
      received: String(schedule),
    });
  }
  assertOneOf((schedule as { type?: unknown }).type, ['constant', 'cosine', 'exponential'], `${argument}.type`, {
    code: 'INVALID_CONFIG',
    message: 'Unknown learning-rate schedule type',
  });
  switch (schedule.type) {
    case 'constant':
      assertPositive(schedule.value, `${argument}.value`);
      return;
    case 'cosine':
      assertPositive(schedule.initial, `${argument}.initial`);
      if (schedule.final !== undefined && !(schedule.final >= 0 && Number.isFinite(schedule.final))) {
        throw new BoltzflowError('INVALID_CONFIG', 'Final learning rate must be ≥ 0', {
          argument: `${argument}.final`,
          expected: '≥ 0',
          received: String(schedule.final),
        });
      }
      if (schedule.warmupSteps !== undefined) assertInteger(schedule.warmupSteps, `${argument}.warmupSteps`, 0);
      if (schedule.steps !== undefined) assertInteger(schedule.steps, `${argument}.steps`, 1);
      return;
    case 'exponential':
      assertPositive(schedule.initial, `${argument}.initial`);
      assertPositive(schedule.decayRate, `${argument}.decayRate`);
      assertPositive(schedule.decaySteps, `${argument}.decaySteps`);
      return;
  }
}

/** The learning rate at 0-based `step` of a run of `totalSteps` steps. */
export function learningRateAt(schedule: LearningRateSchedule, step: number, totalSteps: number): number {
  let lr: number;
  if (typeof schedule === 'number') lr = schedule;
  else if (typeof schedule === 'function') lr = schedule(step, totalSteps);
  else if (schedule.type === 'constant') lr = schedule.value;
  else if (schedule.type === 'cosine') {
    const warm = schedule.warmupSteps ?? 0;
    const final = schedule.final ?? 0;
    const steps = schedule.steps ?? totalSteps;
    if (step < warm) lr = (schedule.initial * (step + 1)) / warm;
    else {
      const t = steps > warm ? Math.min(1, (step - warm) / (steps - warm)) : 1;
      lr = final + 0.5 * (schedule.initial - final) * (1 + Math.cos(Math.PI * t));
    }
  } else {
    const e = schedule.staircase ? Math.floor(step / schedule.decaySteps) : step / schedule.decaySteps;
    lr = Math.max(schedule.min ?? 0, schedule.initial * Math.pow(schedule.decayRate, e));
  }
  if (!Number.isFinite(lr) || lr < 0) {
    throw new BoltzflowError('INVALID_CONFIG', 'Learning-rate schedule produced an invalid value', {
      argument: 'learningRate',
      expected: 'finite ≥ 0',
      received: `${lr} at step ${step}`,
    });
  }
  return lr;
}

/**
 * Temperature of the target as a function of the 0-based step, for annealed reverse-KL training:
 * `{ from, to = 1, steps, type = 'geometric' | 'linear' }` goes from `from` to `to` over `steps` steps and then stays at
 * `to`; a function `(step, totalSteps) => T` is used as is.
 */
export type TemperatureSchedule = { from: number; to?: number; steps: number; type?: 'geometric' | 'linear' } | ((step: number, totalSteps: number) => number);

/** Checks a temperature schedule up front. */
export function validateTemperatureSchedule(schedule: TemperatureSchedule, argument = 'temperatureSchedule'): void {
  if (typeof schedule === 'function') return;
  if (!schedule || typeof schedule !== 'object') {
    throw new BoltzflowError('INVALID_CONFIG', 'Unknown temperature schedule', {
      argument,
      expected: '{ from, to, steps } or function',
      received: String(schedule),
    });
  }
  assertPositive(schedule.from, `${argument}.from`);
  if (schedule.to !== undefined) assertPositive(schedule.to, `${argument}.to`);
  assertInteger(schedule.steps, `${argument}.steps`, 1);
  if (schedule.type !== undefined) {
    assertOneOf(schedule.type, ['geometric', 'linear'], `${argument}.type`, { code: 'INVALID_CONFIG', message: 'Unknown temperature schedule type' });
  }
}

/** Temperature at 0-based `step`. */
export function temperatureAt(schedule: TemperatureSchedule, step: number, totalSteps: number): number {
  let t: number;
  if (typeof schedule === 'function') t = schedule(step, totalSteps);
  else {
    const to = schedule.to ?? 1;
    const s = Math.min(1, step / schedule.steps);
    t = schedule.type === 'linear' ? schedule.from + (to - schedule.from) * s : schedule.from * Math.pow(to / schedule.from, s);
  }
  assertPositive(t, 'temperature');
  return t;
}
