/**
 * Pure helpers of the live charts (no DOM, no tensors): series of different samplers put on one x axis of energy
 * evaluations, as uPlot's aligned data needs, and the order in which the worker hands the page its events and answer
 * (then releases the run's comlink callback).
 * @module
 */
import { type ProxyMethods, releaseProxy } from 'comlink';

/**
 * Runs `body`, forwarding what it emits to `onEvent`, and settles only once `onEvent` has settled for the last event;
 * then, whether the run succeeded or failed, releases `onEvent` when it is a comlink proxy.
 *
 * Why wait: the worker's progress events reach the page through comlink's proxy, a MessagePort of its own, while the
 * run's answer comes back on the worker's port. Browsers keep order within one port, not across ports, so an event
 * posted before the answer can land after it (under load the last live snapshot did, by ~80 ms), and the page, which
 * stops listening when the answer arrives, lost the sampler's final snapshot. A comlink call settles when the page has
 * run the handler, and the page runs one port's calls in order: once the last call has settled, every event was handled.
 *
 * Why release: each run's `Comlink.proxy(onEvent)` is a MessageChannel of its own, and the page's end stays open, with
 * the handler and all it holds, until the worker's end is released (comlink's FinalizationRegistry does it only if the
 * worker happens to collect the proxy). The release waits for the last event even on failure: comlink drops the calls
 * still pending on a released proxy, and that event's outcome is not the run's.
 */
export async function answerAfterEvents<E, T>(
  onEvent: ((e: E) => unknown) & Partial<Pick<ProxyMethods, typeof releaseProxy>>,
  body: (emit: (e: E) => void) => Promise<T>,
): Promise<T> {
  let last: unknown;
  try {
    const result = await body((e) => {
      last = onEvent(e);
    });
    await last;
    return result;
  } finally {
    await Promise.resolve(last).catch(() => undefined);
    onEvent[releaseProxy]?.();
  }
}

/** Series on a common x grid: `series[k][j]` belongs at `x[j]`; null where a series has no value. */
export interface Aligned {
  x: number[];
  series: (number | null)[][];
}

/**
 * Traces whose points are `evaluationsPerPoint` energy evaluations apart, sampled on `n` evenly spaced evaluation
 * counts 0 … `budget`: point j of trace k is its value at index ⌊x_j / evaluationsPerPoint⌋ (the last point at or before
 * x_j), or null past its end.
 */
export function alignSeries(traces: readonly { evaluationsPerPoint: number; values: readonly number[] }[], budget: number, n: number): Aligned {
  const m = Math.max(2, Math.floor(n));
  const x = Array.from({ length: m }, (_, j) => (budget * j) / (m - 1));
  const series = traces.map((t) =>
    x.map((e) => {
      const i = Math.floor(e / Math.max(t.evaluationsPerPoint, 1e-12) + 1e-9);
      return i < t.values.length ? t.values[i] : null;
    }),
  );
  return { x, series };
}

/** One sampler's running ΔF, one point per live snapshot. */
export type RunningPoint = { evaluations: number; deltaF: { estimate: number; stderr: number } | null };

/**
 * Running ΔF of several samplers on one axis: x is the sorted union of their evaluation counts; each sampler gets its
 * estimate and the band estimate ± stderr at its own counts and null elsewhere (and where ΔF was not yet estimable).
 */
export function runningBand(histories: readonly (readonly RunningPoint[])[]): {
  x: number[];
  series: { estimate: (number | null)[]; upper: (number | null)[]; lower: (number | null)[] }[];
} {
  const x = [...new Set(histories.flatMap((h) => h.map((p) => p.evaluations)))].sort((a, b) => a - b);
  const at = new Map(x.map((v, j) => [v, j] as const));
  const series = histories.map((h) => {
    const estimate: (number | null)[] = x.map(() => null);
    const upper: (number | null)[] = x.map(() => null);
    const lower: (number | null)[] = x.map(() => null);
    for (const p of h) {
      if (!p.deltaF || !Number.isFinite(p.deltaF.estimate) || !Number.isFinite(p.deltaF.stderr)) continue;
      const j = at.get(p.evaluations) as number;
      estimate[j] = p.deltaF.estimate;
      upper[j] = p.deltaF.estimate + p.deltaF.stderr;
      lower[j] = p.deltaF.estimate - p.deltaF.stderr;
    }
    return { estimate, upper, lower };
  });
  return { x, series };
}
