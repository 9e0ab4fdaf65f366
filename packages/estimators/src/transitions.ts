import { assertNonNegative, assertPositive, BoltzflowError } from '@boltzflow/core';
import { toFloat64, type SeriesLike } from './input.js';

/** Core of a metastable state: the half-open interval [lower, upper) of the reaction coordinate (defaults ∓∞). */
export interface StateInterval {
  lower?: number;
  upper?: number;
  name?: string;
}

/**
 * Metastable states, either as explicit non-overlapping core intervals, or as K−1 increasing thresholds that
 * split the line into K states, each core shrunk by `deadZone` on both sides of every threshold
 * (state k core = [t_{k−1} + deadZone, t_k − deadZone)). The gaps between cores form the dead zone.
 */
export type StateDefinition = readonly StateInterval[] | { thresholds: readonly number[]; deadZone?: number; names?: readonly string[] };

/** One committed transition: the series entered the core of `to` at `step` while committed to `from`. */
export interface TransitionEvent {
  from: number;
  to: number;
  step: number;
}

/** Result of {@link countTransitions}. */
export interface TransitionCounts {
  /** State names (given names, else `"0"`, `"1"`, …). */
  names: string[];
  /** counts[i][j] = number of committed transitions i → j. */
  counts: number[][];
  /** Total number of committed transitions. */
  total: number;
  /** Committed state index at every step (−1 before the series first enters any core). */
  stateSequence: Int32Array;
  /** The transitions in order. */
  events: TransitionEvent[];
}

interface Core {
  lower: number;
  upper: number;
  name: string;
}

function toCores(states: StateDefinition): Core[] {
  if (Array.isArray(states)) {
    const list = states as readonly StateInterval[];
    if (list.length < 2) {
      throw new BoltzflowError('INVALID_CONFIG', 'Need at least two states', { argument: 'states', expected: '>= 2 intervals', received: `${list.length}` });
    }
    const cores = list.map((s, i) => {
      const lower = s.lower ?? -Infinity;
      const upper = s.upper ?? Infinity;
      if (Number.isNaN(lower) || Number.isNaN(upper) || !(lower < upper)) {
        throw new BoltzflowError('INVALID_CONFIG', 'State interval must have lower < upper', {
          argument: `states[${i}]`,
          expected: 'lower < upper',
          received: `[${lower}, ${upper})`,
        });
      }
      return { lower, upper, name: s.name ?? String(i) };
    });
    const sorted = [...cores].sort((a, b) => a.lower - b.lower);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].lower < sorted[i - 1].upper) {
        throw new BoltzflowError('INVALID_CONFIG', 'State intervals overlap', {
          argument: 'states',
          expected: 'disjoint intervals',
          received: `'${sorted[i - 1].name}' and '${sorted[i].name}'`,
        });
      }
    }
    return cores;
  }
  const spec = states as { thresholds: readonly number[]; deadZone?: number; names?: readonly string[] };
  if (!spec || !Array.isArray(spec.thresholds) || spec.thresholds.length < 1) {
    throw new BoltzflowError('INVALID_CONFIG', 'Expected state intervals or { thresholds }', {
      argument: 'states',
      expected: 'StateInterval[] | { thresholds: number[] }',
      received: String(states),
    });
  }
  const t = spec.thresholds;
  const d = spec.deadZone ?? 0;
  assertNonNegative(d, 'states.deadZone');
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(t[i]) || (i > 0 && !(t[i] - t[i - 1] > 2 * d))) {
      throw new BoltzflowError('INVALID_CONFIG', 'Thresholds must be finite, increasing and more than 2·deadZone apart', {
        argument: `states.thresholds[${i}]`,
        expected: `> ${i > 0 ? t[i - 1] + 2 * d : '-Infinity'}`,
        received: String(t[i]),
      });
    }
  }
  if (spec.names !== undefined && spec.names.length !== t.length + 1) {
    throw new BoltzflowError('INVALID_CONFIG', 'One name per state', {
      argument: 'states.names',
      expected: `length ${t.length + 1}`,
      received: `length ${spec.names.length}`,
    });
  }
  const cores: Core[] = [];
  for (let k = 0; k <= t.length; k++) {
    cores.push({ lower: k === 0 ? -Infinity : t[k - 1] + d, upper: k === t.length ? Infinity : t[k] - d, name: spec.names?.[k] ?? String(k) });
  }
  return cores;
}

/**
 * Counts committed well-to-well transitions of a 1-D reaction coordinate between metastable states.
 * A transition i → j is counted only when the series, last committed to state i, enters the core of
 * state j ≠ i; excursions into the dead zone that return to the core of i are not transitions
 * (this removes the spurious recrossings a single threshold would count).
 */
export function countTransitions(series: SeriesLike, states: StateDefinition): TransitionCounts {
  const x = toFloat64(series, 'series');
  const cores = toCores(states);
  const k = cores.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const stateSequence = new Int32Array(x.length);
  const events: TransitionEvent[] = [];
  let committed = -1;
  for (let i = 0; i < x.length; i++) {
    let core = -1;
    for (let s = 0; s < k; s++) {
      if (x[i] >= cores[s].lower && x[i] < cores[s].upper) {
        core = s;
        break;
      }
    }
    if (core >= 0 && core !== committed) {
      if (committed >= 0) {
        counts[committed][core]++;
        events.push({ from: committed, to: core, step: i });
      }
      committed = core;
    }
    stateSequence[i] = committed;
  }
  return { names: cores.map((c) => c.name), counts, total: events.length, stateSequence, events };
}

/** Passage-time statistics in steps (times `dt`). */
export interface PassageTimeResult {
  /** Mean of the observed times; Infinity when none was completed (the run is then only a lower bound). */
  mean: number;
  /** Standard error std/√count (sample std); Infinity with fewer than two observations. */
  stderr: number;
  /** Number of completed passages / round trips. */
  count: number;
  /** The individual times. */
  times: number[];
}

type StateSequenceLike = TransitionCounts | ArrayLike<number>;

function resolve(input: StateSequenceLike, state: number | string, argument: string): { seq: ArrayLike<number>; index: number } {
  const isCounts = typeof input === 'object' && input !== null && 'stateSequence' in input;
  const seq = isCounts ? (input as TransitionCounts).stateSequence : (input as ArrayLike<number>);
  if (!seq || typeof seq.length !== 'number') {
    throw new BoltzflowError('INVALID_VALUE', 'Expected a countTransitions result or a committed state sequence', {
      argument: 'transitions',
      received: typeof input,
    });
  }
  let index: number;
  if (typeof state === 'string') {
    if (!isCounts) throw new BoltzflowError('INVALID_VALUE', 'State names need a countTransitions result', { argument, received: state });
    index = (input as TransitionCounts).names.indexOf(state);
  } else index = state;
  const known = isCounts ? (input as TransitionCounts).names.length : Infinity;
  if (!Number.isInteger(index) || index < 0 || index >= known) {
    throw new BoltzflowError('INVALID_VALUE', 'Unknown state', {
      argument,
      expected: isCounts ? `index in [0, ${known - 1}] or a state name` : 'state index >= 0',
      received: String(state),
    });
  }
  return { seq, index };
}

function summarise(times: number[]): PassageTimeResult {
  const count = times.length;
  if (count === 0) return { mean: Infinity, stderr: Infinity, count, times };
  let mean = 0;
  for (const t of times) mean += t / count;
  if (count < 2) return { mean, stderr: Infinity, count, times };
  let v = 0;
  for (const t of times) v += (t - mean) ** 2;
  return { mean, stderr: Math.sqrt(v / (count - 1) / count), count, times };
}

/**
 * Mean first-passage time from state `from` to state `to` on the committed state sequence
 * (a {@link countTransitions} result, or its `stateSequence`). The clock starts at the first arrival in `from`
 * after the previous arrival in `to` (re-entering `from` via a third state does not restart it) and stops on
 * arrival in `to`. A series that starts inside the core of `from` starts the clock at step 0. Times are in steps × `dt`.
 */
export function meanFirstPassageTime(
  transitions: StateSequenceLike,
  from: number | string,
  to: number | string,
  options: { dt?: number } = {},
): PassageTimeResult {
  const a = resolve(transitions, from, 'from');
  const b = resolve(transitions, to, 'to');
  if (a.index === b.index) throw new BoltzflowError('INVALID_VALUE', "'from' and 'to' must differ", { argument: 'to', received: String(to) });
  const dt = options.dt ?? 1;
  assertPositive(dt, 'options.dt');
  const seq = a.seq;
  const times: number[] = [];
  let start = -1;
  for (let i = 0; i < seq.length; i++) {
    if (i > 0 && seq[i] === seq[i - 1]) continue;
    if (seq[i] === a.index && start < 0) start = i;
    else if (seq[i] === b.index && start >= 0) {
      times.push((i - start) * dt);
      start = -1;
    }
  }
  return summarise(times);
}

/**
 * Round-trip times a → b → a on the committed state sequence: from an arrival in `a`, through at least one
 * arrival in `b`, to the next arrival in `a` (which starts the next round trip). Times are in steps × `dt`.
 */
export function roundTripTime(transitions: StateSequenceLike, a: number | string, b: number | string, options: { dt?: number } = {}): PassageTimeResult {
  const sa = resolve(transitions, a, 'a');
  const sb = resolve(transitions, b, 'b');
  if (sa.index === sb.index) throw new BoltzflowError('INVALID_VALUE', "'a' and 'b' must differ", { argument: 'b', received: String(b) });
  const dt = options.dt ?? 1;
  assertPositive(dt, 'options.dt');
  const seq = sa.seq;
  const times: number[] = [];
  let start = -1;
  let visitedB = false;
  for (let i = 0; i < seq.length; i++) {
    if (i > 0 && seq[i] === seq[i - 1]) continue;
    if (seq[i] === sa.index) {
      if (start >= 0 && visitedB) {
        times.push((i - start) * dt);
        start = i;
        visitedB = false;
      } else if (start < 0) start = i;
    } else if (seq[i] === sb.index && start >= 0) visitedB = true;
  }
  return summarise(times);
}

/**
 * Cost of one effective sample: energyEvaluations / ess. Use it to compare samplers
 * (MCMC: ESS of the observable of interest; importance sampling: Kish ESS) at equal cost.
 */
export function energyEvaluationsPerEffectiveSample(ess: number, energyEvaluations: number): number {
  assertPositive(ess, 'ess');
  assertNonNegative(energyEvaluations, 'energyEvaluations');
  return energyEvaluations / ess;
}
