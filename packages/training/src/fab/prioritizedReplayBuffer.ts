import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Rng } from '@boltzflow/core';

/** Options of {@link PrioritizedReplayBuffer}. */
export interface PrioritizedReplayBufferOptions {
  dim: number;
  /** Capacity; the oldest entries are overwritten first (a ring). */
  maxLength: number;
  /**
   * Entries needed before sampling is allowed. Keep it well above one AIS batch, or the first batches are reused many
   * times and the flow overfits them (FAB's advice).
   */
  minSampleLength: number;
  /** Draw with replacement (categorical) instead of without (Gumbel top-k, fab-torch's default). Default false. */
  withReplacement?: boolean;
}

/** A minibatch drawn from the buffer; `indices` say where to write {@link PrioritizedReplayBuffer.adjust}ments back. */
export interface ReplayBatch {
  x: tf.Tensor2D;
  logWeights: Float32Array;
  logQOld: Float32Array;
  indices: Int32Array;
}

/**
 * FAB's prioritised replay buffer (Midgley et al., ICLR 2023): AIS samples x with their log-weights log w (towards
 * p²/q) and the flow's log q(x) at insertion. Entries are drawn with probability ∝ w; after each update the caller
 * multiplies w by q_old(x)/q_new(x) ({@link adjust}) so that the priorities follow the flow as it changes.
 * Stored in float32 host arrays: the buffer never holds tensors.
 */
export class PrioritizedReplayBuffer {
  readonly dim: number;
  readonly maxLength: number;
  readonly minSampleLength: number;
  readonly withReplacement: boolean;
  private readonly x: Float32Array;
  private readonly logW: Float32Array;
  private readonly logQ: Float32Array;
  private next = 0;
  private filled = 0;

  constructor(options: PrioritizedReplayBufferOptions) {
    assertInteger(options?.dim, 'dim', 1);
    assertInteger(options.maxLength, 'maxLength', 1);
    assertInteger(options.minSampleLength, 'minSampleLength', 1);
    if (options.minSampleLength > options.maxLength) {
      throw new BoltzflowError('INVALID_CONFIG', 'The replay buffer cannot reach its minimum sample length', {
        argument: 'minSampleLength',
        expected: `≤ maxLength = ${options.maxLength}`,
        received: String(options.minSampleLength),
      });
    }
    this.dim = options.dim;
    this.maxLength = options.maxLength;
    this.minSampleLength = options.minSampleLength;
    this.withReplacement = options.withReplacement ?? false;
    this.x = new Float32Array(this.maxLength * this.dim);
    this.logW = new Float32Array(this.maxLength);
    this.logQ = new Float32Array(this.maxLength);
  }

  /** Entries held now. */
  get size(): number {
    return this.filled;
  }

  /** True once the buffer holds `minSampleLength` entries. */
  get canSample(): boolean {
    return this.filled >= this.minSampleLength;
  }

  /**
   * Appends a batch (x `[n, dim]`, log w `[n]`, log q `[n]`), overwriting the oldest entries when full. `xValues`, the
   * host values of x when the caller already has them (read with `await x.data()`), spares a synchronous read.
   */
  add(x: tf.Tensor2D, logWeights: ArrayLike<number>, logQ: ArrayLike<number>, xValues?: Float32Array): void {
    const [n] = assertBatch(x, 'x', this.dim);
    if (logWeights.length !== n || logQ.length !== n) {
      throw new BoltzflowError('INVALID_SHAPE', 'log-weights and log q must have one entry per sample', {
        argument: 'logWeights, logQ',
        expected: `length ${n}`,
        received: `${logWeights.length}, ${logQ.length}`,
      });
    }
    if (xValues !== undefined && xValues.length !== n * this.dim) {
      throw new BoltzflowError('INVALID_SHAPE', 'xValues must hold the values of x', {
        argument: 'xValues',
        expected: `length ${n * this.dim}`,
        received: `length ${xValues.length}`,
      });
    }
    const data = xValues ?? (x.dataSync() as Float32Array);
    for (let i = 0; i < n; i++) {
      const slot = this.next;
      this.x.set(data.subarray(i * this.dim, (i + 1) * this.dim), slot * this.dim);
      // A NaN weight is an entry of zero priority; it stays addressable but is never drawn.
      this.logW[slot] = Number.isNaN(logWeights[i]) ? -Infinity : logWeights[i];
      this.logQ[slot] = logQ[i];
      this.next = (slot + 1) % this.maxLength;
      this.filled = Math.min(this.filled + 1, this.maxLength);
    }
  }

  /** Draws `n` entries with probability ∝ exp(log w). */
  sample(n: number, rng: Rng): ReplayBatch {
    assertInteger(n, 'n', 1);
    if (!this.canSample) {
      throw new BoltzflowError('INVALID_VALUE', 'The replay buffer holds too few entries to sample from', {
        argument: 'n',
        expected: `at least minSampleLength = ${this.minSampleLength} entries`,
        received: `${this.filled} entries`,
      });
    }
    if (!this.withReplacement && n > this.filled) {
      throw new BoltzflowError('INVALID_VALUE', 'A batch drawn without replacement cannot exceed the replay buffer', {
        argument: 'n',
        expected: `≤ ${this.filled} (entries held)`,
        received: String(n),
      });
    }
    const indices = this.withReplacement ? this.categorical(n, rng) : this.gumbelTopK(n, rng);
    const x = new Float32Array(n * this.dim);
    const logWeights = new Float32Array(n);
    const logQOld = new Float32Array(n);
    indices.forEach((k, i) => {
      x.set(this.x.subarray(k * this.dim, (k + 1) * this.dim), i * this.dim);
      logWeights[i] = this.logW[k];
      logQOld[i] = this.logQ[k];
    });
    return { x: tf.tensor2d(x, [n, this.dim]), logWeights, logQOld, indices };
  }

  /**
   * After a flow update: log w += log q_old − log q_new and log q := log q_new at `indices`. Non-finite adjustments
   * are skipped (the entry keeps its old priority), as in fab-torch.
   */
  adjust(indices: ArrayLike<number>, logQNew: ArrayLike<number>): void {
    if (indices.length !== logQNew.length) {
      throw new BoltzflowError('INVALID_SHAPE', 'One new log q per index', {
        argument: 'logQNew',
        expected: `length ${indices.length}`,
        received: String(logQNew.length),
      });
    }
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.filled) {
        throw new BoltzflowError('INVALID_VALUE', 'Replay-buffer index out of range', {
          argument: 'indices',
          expected: `integers in [0, ${this.filled})`,
          received: String(k),
        });
      }
      const delta = this.logQ[k] - logQNew[i];
      if (!Number.isFinite(delta)) continue;
      this.logW[k] += delta;
      this.logQ[k] = logQNew[i];
    }
  }

  private priorities(): { p: Float64Array; total: number } {
    let max = -Infinity;
    for (let k = 0; k < this.filled; k++) if (this.logW[k] > max) max = this.logW[k];
    if (!Number.isFinite(max)) {
      throw new BoltzflowError('NON_FINITE', 'Every replay-buffer entry has zero or infinite priority', {
        argument: 'logWeights',
        expected: 'a finite maximum',
        received: String(max),
      });
    }
    const p = new Float64Array(this.filled);
    let total = 0;
    for (let k = 0; k < this.filled; k++) {
      p[k] = Math.exp(this.logW[k] - max);
      total += p[k];
    }
    return { p, total };
  }

  private categorical(n: number, rng: Rng): Int32Array {
    const { p, total } = this.priorities();
    const cdf = new Float64Array(p.length);
    let acc = 0;
    for (let k = 0; k < p.length; k++) cdf[k] = acc += p[k] / total;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.nextUniform();
      let lo = 0;
      let hi = cdf.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  }

  /** Gumbel top-k: the n largest log w + Gumbel noise are a draw without replacement ∝ w (Vieira 2014). */
  private gumbelTopK(n: number, rng: Rng): Int32Array {
    const m = this.filled;
    const keys = new Float64Array(m);
    for (let k = 0; k < m; k++) keys[k] = this.logW[k] - Math.log(-Math.log(rng.nextUniform()));
    const order = Array.from({ length: m }, (_, k) => k).sort((a, b) => keys[b] - keys[a]);
    const out = Int32Array.from(order.slice(0, n));
    if (!Number.isFinite(keys[out[n - 1]])) {
      throw new BoltzflowError('INVALID_VALUE', 'Fewer entries of non-zero priority than the batch size', {
        argument: 'n',
        expected: '≤ entries with finite log-weight',
        received: String(n),
      });
    }
    return out;
  }
}
