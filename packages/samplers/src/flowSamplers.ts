import * as tf from '@tensorflow/tfjs';
import { runHostReadsAsync, runHostReadsSync, type Distribution, type Energy, type HostReads, type Rng } from '@boltzflow/core';
import type { ProgressBar } from './types.js';

/** Rows per flow batch: bounds the tensors alive at once. */
export const CHUNK = 2048;

/** Flow samples with log-weights log w = −u(x) − log q(x); one energy evaluation per sample. */
export function flowWeightedSamples(
  flow: Distribution,
  energy: Energy,
  n: number,
  rng: Rng,
  o: { bar?: ProgressBar } = {},
): { x: Float32Array; logW: Float64Array } {
  return runHostReadsSync(flowWeightedSamplesReads(flow, energy, n, rng, o));
}

/** {@link flowWeightedSamples} with asynchronous reads (same ops, same values; runs on WebGPU in Node). */
export function flowWeightedSamplesAsync(
  flow: Distribution,
  energy: Energy,
  n: number,
  rng: Rng,
  o: { bar?: ProgressBar } = {},
): Promise<{ x: Float32Array; logW: Float64Array }> {
  return runHostReadsAsync(flowWeightedSamplesReads(flow, energy, n, rng, o));
}

function* flowWeightedSamplesReads(
  flow: Distribution,
  energy: Energy,
  n: number,
  rng: Rng,
  o: { bar?: ProgressBar },
): HostReads<{ x: Float32Array; logW: Float64Array }> {
  const x = new Float32Array(n * energy.dim);
  const logW = new Float64Array(n);
  for (let done = 0; done < n; ) {
    const m = Math.min(CHUNK, n - done);
    const s = flow.sampleWithLogProb(m, rng);
    const lw = tf.tidy(() => tf.neg(tf.add(energy.energy(s.x), s.logProb)));
    try {
      x.set(yield s.x, done * energy.dim);
      const v = yield lw;
      for (let i = 0; i < m; i++) logW[done + i] = Number.isFinite(v[i]) ? v[i] : -Infinity;
    } finally {
      tf.dispose([s.x, s.logProb, lw]);
    }
    done += m;
    o.bar?.update(done);
  }
  return { x, logW };
}
