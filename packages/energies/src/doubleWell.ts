import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertFiniteNumber, assertPositive, assertFiniteArray, assertInteger, BoltzflowError, type Energy } from '@boltzflow/core';
import { confiningHalfWidth, logIntegrate } from './quadrature.js';

/**
 * Coefficients of the double well u(x) = a·x₁ + b·x₁² + c·x₁⁴ + ½·d·x₂².
 * Our letters follow the power they multiply (a: linear, b: quadratic, c: quartic, d: harmonic x₂ stiffness);
 * other codebases use other letters, so always pass them by name.
 */
export interface DoubleWellOptions {
  /** Linear (tilt) coefficient of x₁. Default −0.5 (SNF/FAB); the Boltzmann-generator paper uses +1. */
  a?: number;
  /** Quadratic coefficient of x₁. Default −6. */
  b?: number;
  /** Quartic coefficient of x₁ (> 0 so the density normalises). Default 1. */
  c?: number;
  /** Stiffness of the harmonic x₂ term ½·d·x₂² (> 0). Default 1. */
  d?: number;
}

/** Resolved coefficients. */
export interface DoubleWellCoefficients {
  a: number;
  b: number;
  c: number;
  d: number;
}

/** Exact free-energy profile on a grid: F(x₁) = −ln p(x₁) in kT (p the normalised marginal). */
export interface FreeEnergyProfile {
  x: Float64Array;
  f: Float64Array;
}

/** Grid given as points, or as `{ min, max, points }` (inclusive ends). */
export type GridSpec = ArrayLike<number> | { min: number; max: number; points: number };

/** Default coefficients of {@link DoubleWell}. */
export const DOUBLE_WELL_DEFAULTS: Readonly<DoubleWellCoefficients> = Object.freeze({ a: -0.5, b: -6, c: 1, d: 1 });

function resolve(options: DoubleWellOptions): DoubleWellCoefficients {
  const { a, b, c, d } = { ...DOUBLE_WELL_DEFAULTS, ...stripUndefined(options) };
  assertFiniteNumber(a, 'a');
  assertFiniteNumber(b, 'b');
  assertPositive(c, 'c');
  assertPositive(d, 'd');
  return { a, b, c, d };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Points of a {@link GridSpec}. */
export function gridPoints(grid: GridSpec): Float64Array {
  if ('points' in grid && typeof (grid as { points: unknown }).points === 'number') {
    const g = grid as { min: number; max: number; points: number };
    assertFiniteNumber(g.min, 'grid.min');
    assertFiniteNumber(g.max, 'grid.max');
    assertInteger(g.points, 'grid.points', 2);
    const out = new Float64Array(g.points);
    for (let i = 0; i < g.points; i++) out[i] = g.min + ((g.max - g.min) * i) / (g.points - 1);
    return out;
  }
  const arr = grid as ArrayLike<number>;
  assertFiniteArray(arr, 'grid');
  return Float64Array.from(arr);
}

/**
 * The x₁ marginal of {@link DoubleWell} as a 1D energy: u(x₁) = a·x₁ + b·x₁² + c·x₁⁴.
 * Also carries the exact float64 references (log Z, P(x₁ > 0), ΔF, free-energy profile) computed by quadrature.
 */
export class DoubleWell1D implements Energy {
  readonly dim = 1;
  readonly name: string;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  private cache?: { logZ: number; logPos: number; logNeg: number };

  constructor(options: Omit<DoubleWellOptions, 'd'> = {}) {
    const { a, b, c } = resolve({ ...options, d: 1 });
    this.a = a;
    this.b = b;
    this.c = c;
    this.name = `double-well-1d(a=${a},b=${b},c=${c})`;
  }

  /** u(x₁) for a plain number, in float64. */
  u(x1: number): number {
    const s = x1 * x1;
    return this.a * x1 + this.b * s + this.c * s * s;
  }

  /** u'(x₁) for a plain number, in float64. */
  du(x1: number): number {
    return this.a + 2 * this.b * x1 + 4 * this.c * x1 * x1 * x1;
  }

  /** u(x), `[n]` for x `[n, 1]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', 1);
    return tf.tidy(() => {
      const x1 = tf.reshape(x, [-1]);
      // Horner form: +∞ rather than NaN at x = ±∞ (see doubleWellTerms).
      return tf.mul(x1, tf.add(tf.mul(x1, tf.add(tf.mul(tf.square(x1), this.c), this.b)), this.a)) as tf.Tensor1D;
    });
  }

  /** Analytic ∇u, `[n, 1]`. */
  grad(x: tf.Tensor2D): tf.Tensor2D {
    assertBatch(x, 'x', 1);
    return tf.tidy(() => tf.add(tf.add(tf.mul(x, 2 * this.b), tf.mul(tf.pow(x, 3), 4 * this.c)), this.a) as tf.Tensor2D);
  }

  private references(): { logZ: number; logPos: number; logNeg: number } {
    if (!this.cache) {
      const L = confiningHalfWidth((t) => this.u(t));
      const lf = (t: number): number => -this.u(t);
      const logPos = logIntegrate(lf, 0, L, 40000);
      const logNeg = logIntegrate(lf, -L, 0, 40000);
      const m = Math.max(logPos, logNeg);
      this.cache = { logZ: m + Math.log(Math.exp(logPos - m) + Math.exp(logNeg - m)), logPos, logNeg };
    }
    return this.cache;
  }

  /** Exact log ∫ exp(−u(x₁)) dx₁ (Simpson quadrature, float64). */
  logZ(): number {
    return this.references().logZ;
  }

  /** Exact P(x₁ > 0). */
  probabilityPositive(): number {
    const r = this.references();
    return Math.exp(r.logPos - r.logZ);
  }

  /** Exact ΔF = −ln(P(x₁>0)/P(x₁<0)) in kT (negative when the right well holds more mass). */
  deltaF(): number {
    const r = this.references();
    return -(r.logPos - r.logNeg);
  }

  /** Exact F(x₁) = −ln p(x₁) = u(x₁) + log Z on a grid. */
  freeEnergyProfile(grid: GridSpec = { min: -3, max: 3, points: 121 }): FreeEnergyProfile {
    const x = gridPoints(grid);
    const lz = this.logZ();
    const f = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) f[i] = this.u(x[i]) + lz;
    return { x, f };
  }
}

/**
 * The 2D double well u(x) = a·x₁ + b·x₁² + c·x₁⁴ + ½·d·x₂², defaults a = −0.5, b = −6, c = 1, d = 1
 * (the SNF/FAB well x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²). Analytic gradient; exact references from 1D quadrature.
 */
export class DoubleWell implements Energy {
  readonly dim = 2;
  readonly name: string;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  private readonly marginal1D: DoubleWell1D;

  constructor(options: DoubleWellOptions = {}) {
    const { a, b, c, d } = resolve(options);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.marginal1D = new DoubleWell1D({ a, b, c });
    this.name = `double-well(a=${a},b=${b},c=${c},d=${d})`;
  }

  /** The Boltzmann-generator paper's variant u = x₁⁴ − 6x₁² + x₁ + ½x₂² (a = +1; deeper left well). */
  static boltzmannGenerator(): DoubleWell {
    return new DoubleWell({ a: 1, b: -6, c: 1, d: 1 });
  }

  /** The coefficients, e.g. for result files. */
  coefficients(): DoubleWellCoefficients {
    return { a: this.a, b: this.b, c: this.c, d: this.d };
  }

  /** u(x) `[n]` for x `[n, 2]`. */
  energy(x: tf.Tensor2D): tf.Tensor1D {
    assertBatch(x, 'x', 2);
    return tf.tidy(() => doubleWellTerms(x, this.coefficients()).u as tf.Tensor1D);
  }

  /** Analytic ∇u `[n, 2]`: (a + 2b·x₁ + 4c·x₁³, d·x₂). */
  grad(x: tf.Tensor2D): tf.Tensor2D {
    assertBatch(x, 'x', 2);
    return tf.tidy(() => doubleWellTerms(x, this.coefficients(), true).grad as tf.Tensor2D);
  }

  /**
   * u `[n]` and ∇u `[n, 2]` sharing their intermediate tensors (one op graph): what MALA/HMC/Langevin need per step.
   * Same values as {@link DoubleWell.energy} and {@link DoubleWell.grad}.
   */
  energyAndGrad(x: tf.Tensor2D): { energy: tf.Tensor1D; grad: tf.Tensor2D } {
    assertBatch(x, 'x', 2);
    const out = tf.tidy(() => {
      const t = doubleWellTerms(x, this.coefficients(), true);
      return { energy: t.u, grad: t.grad! };
    });
    return { energy: out.energy as tf.Tensor1D, grad: out.grad as tf.Tensor2D };
  }

  /** The x₁ marginal as a dim-1 energy (same a, b, c). */
  marginal(): DoubleWell1D {
    return this.marginal1D;
  }

  /** Exact log Z of the 2D density: log Z₁ + ½·log(2π/d). */
  logZ(): number {
    return this.marginal1D.logZ() + 0.5 * Math.log((2 * Math.PI) / this.d);
  }

  /** Exact P(x₁ > 0). */
  probabilityPositive(): number {
    return this.marginal1D.probabilityPositive();
  }

  /** Exact ΔF = −ln(P(x₁>0)/P(x₁<0)) in kT. */
  deltaF(): number {
    return this.marginal1D.deltaF();
  }

  /** Exact F(x₁) = −ln p(x₁) of the x₁ marginal on a grid. */
  freeEnergyProfile(grid?: GridSpec): FreeEnergyProfile {
    return this.marginal1D.freeEnergyProfile(grid);
  }
}

/** Entries of x² above this are clamped before meeting a zero coefficient, so that 0·∞ cannot give NaN (see below). */
const SQUARE_CLAMP = 3e38;

/** Per-column coefficients repeated over the rows: [a, 0], [b, d/2], [c, 0], [2b, d], [4c, 0] for `rows` rows. */
interface ColumnCoefficients {
  rows: number;
  key: string;
  arrays: Float32Array[];
}
let lastCoefficients: ColumnCoefficients | undefined;

function columnCoefficients(rows: number, k: DoubleWellCoefficients): Float32Array[] {
  const key = `${k.a},${k.b},${k.c},${k.d}`;
  if (lastCoefficients?.rows !== rows || lastCoefficients.key !== key) {
    const pairs = [
      [k.a, 0],
      [k.b, 0.5 * k.d],
      [k.c, 0],
      [2 * k.b, k.d],
      [4 * k.c, 0],
    ];
    const arrays = pairs.map(([p, q]) => {
      const out = new Float32Array(2 * rows);
      for (let i = 0; i < rows; i++) {
        out[2 * i] = p;
        out[2 * i + 1] = q;
      }
      return out;
    });
    // Host memory only (no tensors to leak); the last row count is kept because MCMC calls with the same batch every step.
    lastCoefficients = { rows, key, arrays };
  }
  return lastCoefficients.arrays;
}

/**
 * u per row of a `[.., 2]`-columned tensor (and, with `withGrad`, ∇u); shared with ManyWell. Must be called inside tf.tidy.
 *
 * Column-wise on the whole `[m, 2]` tensor with same-shape operands only. On WASM a column slice/split/concat of an
 * `[m, 2]` tensor takes a slow JavaScript path (≈ 3 ms at m = 16384, more than the rest of an MCMC step), and so does a
 * binary op that broadcasts a `[2]` vector (≈ 0.35 ms); scalar and same-shape operands take the fast SIMD path. So the
 * per-column coefficients A = (a, 0), B = (b, d/2), C = (c, 0) are uploaded as `[m, 2]` tensors (from cached host arrays):
 *   u = Σ_columns x·(A + x·(B + C·x²)),   ∇u = A + x·(B₂ + C₄·x²) with B₂ = (2b, d), C₄ = (4c, 0).
 * Horner form: at x₁ = ±∞ it gives +∞ (for c > 0) where the expanded sum gives ∞ − ∞ = NaN. x² is clipped at 3e38
 * before multiplying C, whose x₂ entry is 0: otherwise x₂ = ±∞ would give 0·∞ = NaN; for finite inputs the clip
 * changes nothing that float32 could represent (|x| > 1.7e19 overflows u anyway). NaN inputs still give NaN.
 */
export function doubleWellTerms(x: tf.Tensor2D, k: DoubleWellCoefficients, withGrad = false): { u: tf.Tensor1D; grad?: tf.Tensor2D } {
  if (x.shape[1] !== 2)
    throw new BoltzflowError('INVALID_SHAPE', 'Expected two columns', { argument: 'x', expected: '[n, 2]', received: `[${x.shape.join(', ')}]` });
  const m = x.shape[0];
  const [ha, hb, hc, hb2, hc4] = columnCoefficients(m, k);
  const coef = (h: Float32Array) => tf.tensor2d(h, [m, 2], 'float32');
  const av = coef(ha);
  const sq = tf.clipByValue(tf.square(x), 0, SQUARE_CLAMP);
  const u = tf.sum(tf.mul(x, tf.add(tf.mul(x, tf.add(tf.mul(sq, coef(hc)), coef(hb))), av)), 1) as tf.Tensor1D;
  if (!withGrad) return { u };
  const grad = tf.add(tf.mul(x, tf.add(tf.mul(sq, coef(hc4)), coef(hb2))), av) as tf.Tensor2D;
  return { u, grad };
}
