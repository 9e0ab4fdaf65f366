/** Keys of results.json that hold wall-clock time: they legitimately differ between executions of the same run. */
export const TIMING_KEYS: ReadonlySet<string> = new Set([
  'wallSeconds',
  'essPerSecond',
  'startedAt',
  'seconds',
  'totalWallSeconds',
  'essPerTotalSecond',
  'secondsPerEpoch',
]);

/** A JSON reviver/replacer that drops timing fields (and any other key that names seconds). */
export function dropTimings(key: string, value: unknown): unknown {
  return TIMING_KEYS.has(key) || /seconds|persecond/i.test(key) ? undefined : value;
}
