import * as tf from '@tensorflow/tfjs';
import { MersenneTwister19937 } from 'random-js';
import { assertInteger } from './guards.js';

/** Most values one call may draw (a Float32Array of this length is 4 GiB). */
const MAX_DRAWS = 2 ** 30;

/** Serializable RNG state: the seed words plus how many 32-bit words were drawn since seeding. */
export interface RngState {
  seed: number[];
  useCount: number;
}

const TWO_POW_32 = 4294967296;

/**
 * Seeded random streams for the whole library (Mersenne Twister from random-js).
 * Same seed → same numbers on every backend, because draws happen in JavaScript and are uploaded as tensors.
 */
export class Rng {
  private readonly engine: MersenneTwister19937;
  private readonly seedWords: number[];

  private constructor(seedWords: number[]) {
    this.seedWords = seedWords.map((w) => w >>> 0);
    this.engine = MersenneTwister19937.seedWithArray(this.seedWords);
  }

  /** A stream seeded by an integer or by an array of 32-bit words. */
  static create(seed: number | readonly number[]): Rng {
    if (typeof seed === 'number') {
      assertInteger(seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
      return new Rng([seed % TWO_POW_32, Math.floor(seed / TWO_POW_32)]);
    }
    return new Rng([...seed]);
  }

  /** Rebuilds a stream from {@link Rng.getState}; it continues exactly where the saved one stopped. */
  static fromState(state: RngState): Rng {
    const r = new Rng(state.seed);
    r.engine.discard(state.useCount);
    return r;
  }

  /** Seed and draw count: `Rng.fromState` of it continues this stream exactly (saved in checkpoints). */
  getState(): RngState {
    return { seed: [...this.seedWords], useCount: this.engine.getUseCount() };
  }

  /** Raw 32-bit unsigned word. */
  nextUint32(): number {
    return this.engine.next() >>> 0;
  }

  /** Uniform in the open interval (0, 1), never exactly 0 (safe for log). */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Standard normal draw (Box–Muller; no cached spare so that the state is just the word count). */
  nextNormal(): number {
    const u1 = this.nextUniform();
    const u2 = this.nextUniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Integer uniform in [lo, hi] inclusive. */
  nextInt(lo: number, hi: number): number {
    return lo + Math.floor(this.nextUniform() * (hi - lo + 1));
  }

  /** Fills a Float32Array with uniforms in (lo, hi). */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    assertInteger(n, 'n', 0, MAX_DRAWS);
    const out = new Float32Array(n);
    const w = hi - lo;
    for (let i = 0; i < n; i++) out[i] = lo + w * this.nextUniform();
    return out;
  }

  /** Fills a Float32Array with standard normals, two per Box–Muller pair. */
  normalArray(n: number): Float32Array {
    assertInteger(n, 'n', 0, MAX_DRAWS);
    const out = new Float32Array(n);
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(this.nextUniform()));
      const t = 2 * Math.PI * this.nextUniform();
      out[i] = r * Math.cos(t);
      out[i + 1] = r * Math.sin(t);
    }
    if (i < n) out[i] = this.nextNormal();
    return out;
  }

  /** Uniform tensor of the given shape on (lo, hi). */
  uniform(shape: number[], lo = 0, hi = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(sizeOf(shape), lo, hi), shape, 'float32');
  }

  /** Standard normal tensor of the given shape. */
  normal(shape: number[]): tf.Tensor {
    return tf.tensor(this.normalArray(sizeOf(shape)), shape, 'float32');
  }

  /** ±1 with equal probability (Hutchinson probes). */
  rademacher(shape: number[]): tf.Tensor {
    const n = sizeOf(shape);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextUint32() & 1 ? 1 : -1;
    return tf.tensor(out, shape, 'float32');
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(0, i);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    let u = this.nextUniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u <= 0) return i;
    }
    return weights.length - 1;
  }

  /**
   * `k` independent child streams. Each is seeded from four words of this stream,
   * so children of the same parent state are identical across runs and distinct from one another.
   */
  split(k = 2): Rng[] {
    const out: Rng[] = [];
    for (let i = 0; i < k; i++) out.push(new Rng([this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32()]));
    return out;
  }

  /** A single child stream (see {@link Rng.split}). */
  fork(): Rng {
    return this.split(1)[0];
  }
}

function sizeOf(shape: number[]): number {
  let n = 1;
  for (const s of shape) {
    assertInteger(s, 'shape', 0, MAX_DRAWS);
    n *= s;
  }
  assertInteger(n, 'shape (total size)', 0, MAX_DRAWS);
  return n;
}

/** Creates the library's seeded random stream. */
export function createRng(seed: number | readonly number[]): Rng {
  return Rng.create(seed);
}
