import * as tf from '@tensorflow/tfjs';
import { assertBatch, assertInteger, BoltzflowError, type Distribution, type Rng, type SerializedConfig, MAX_SAMPLES } from '@boltzflow/core';
import { broadcastParam, resolveDim, type ScalarOrArray } from './params.js';

/** Options of {@link VonMises}. */
export interface VonMisesOptions {
  /** Dimension; inferred from array parameters when omitted. */
  dim?: number;
  /** Mean direction μ (radians), scalar or `[dim]`. Default 0. */
  loc?: ScalarOrArray;
  /** Concentration κ ≥ 0, scalar or `[dim]`. Default 0: the uniform density 1/(2π) on the circle. */
  concentration?: ScalarOrArray;
}

/** The float32 after float32 π: the first value above the closed end of (−π, π]. */
const NEXT_UP_PI = (() => {
  const b = new Uint32Array(new Float32Array([Math.fround(Math.PI)]).buffer);
  b[0] = b[0]! + 1;
  return new Float32Array(b.buffer)[0]!;
})();

/**
 * log I₀(κ), the modified Bessel function of order 0, to ~2·10⁻⁷ relative (Abramowitz & Stegun 9.8.1–9.8.2), in
 * float64. The large-κ branch is written for log I₀ − κ so it does not overflow.
 */
export function logBesselI0(kappa: number): number {
  const k = Math.abs(kappa);
  if (k <= 3.75) {
    const t = (k / 3.75) ** 2;
    return Math.log(1 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813))))));
  }
  const t = 3.75 / k;
  const p =
    0.39894228 +
    t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281 + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))));
  return k - 0.5 * Math.log(k) + Math.log(p);
}

/**
 * Independent von Mises densities on the circle (−π, π] per dimension: p(x) = Πᵢ exp(κᵢ cos(xᵢ − μᵢ)) / (2π I₀(κᵢ)).
 * With κ = 0 (default) it is the uniform circular base for torsions. logProb is −Infinity outside (−π, π]
 * (a density on that interval, like {@link Uniform} on its box). Samples by Best & Fisher's (1979) rejection method.
 */
export class VonMises implements Distribution {
  readonly dim: number;
  readonly trainableVariables: tf.Variable[] = [];
  readonly loc: number[];
  readonly concentration: number[];
  private readonly logNorm: number;
  private readonly locT: tf.Tensor1D;
  private readonly kappaT: tf.Tensor1D;

  constructor(options: VonMisesOptions = {}) {
    this.dim = resolveDim(options.dim, { loc: options.loc, concentration: options.concentration });
    this.loc = broadcastParam(options.loc, this.dim, 'loc', 0);
    this.concentration = broadcastParam(options.concentration, this.dim, 'concentration', 0);
    this.concentration.forEach((k, i) => {
      if (!(k >= 0) || !Number.isFinite(k)) {
        throw new BoltzflowError('INVALID_VALUE', 'Concentration must be finite and ≥ 0', {
          argument: 'concentration',
          expected: `≥ 0 at index ${i}`,
          received: String(k),
        });
      }
    });
    this.logNorm = this.concentration.reduce((s, k) => s + Math.log(2 * Math.PI) + logBesselI0(k), 0);
    this.locT = tf.tensor1d(this.loc, 'float32');
    this.kappaT = tf.tensor1d(this.concentration, 'float32');
  }

  /** Draws `[n, dim]` in (−π, π]. */
  sample(n: number, rng: Rng): tf.Tensor2D {
    assertInteger(n, 'n', 0, MAX_SAMPLES);
    const out = new Float32Array(n * this.dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < this.dim; d++) out[i * this.dim + d] = this.draw(this.loc[d]!, this.concentration[d]!, rng);
    return tf.tensor2d(out, [n, this.dim]);
  }

  private draw(mu: number, kappa: number, rng: Rng): number {
    let theta: number;
    if (kappa < 1e-4) theta = Math.PI * (2 * rng.nextUniform() - 1);
    else {
      const tau = 1 + Math.sqrt(1 + 4 * kappa * kappa);
      const rho = (tau - Math.sqrt(2 * tau)) / (2 * kappa);
      const r = (1 + rho * rho) / (2 * rho);
      let f: number;
      for (;;) {
        const z = Math.cos(Math.PI * rng.nextUniform());
        f = (1 + r * z) / (r + z);
        const c = kappa * (r - f);
        const u2 = rng.nextUniform();
        if (c * (2 - c) - u2 > 0 || Math.log(c / u2) + 1 - c >= 0) break;
      }
      theta = (rng.nextUniform() < 0.5 ? -1 : 1) * Math.acos(Math.max(-1, Math.min(1, f))) + mu;
    }
    // Wrap into (−π, π]; a value that float32 rounds onto −π belongs to the closed end +π.
    theta -= 2 * Math.PI * Math.ceil((theta - Math.PI) / (2 * Math.PI));
    return Math.fround(theta) <= -Math.PI ? Math.PI : theta;
  }

  /** Σᵢ κᵢ cos(xᵢ − μᵢ) − log(2π I₀(κᵢ)) on (−π, π]^dim, −Infinity outside; `[n]`. */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    const [n] = assertBatch(x, 'x', this.dim);
    return tf.tidy(() => {
      // π in float32 rounds up past Math.PI, so the closed end of the interval is tested against float32 π. Only
      // GreaterEqual among comparisons has a gradient in tfjs (All, Greater, LogicalAnd have none), so the support
      // test counts outside coordinates with it: x ≤ −π or x ≥ nextUp(π) — logProb stays differentiable in x.
      const outside = tf.sum(
        tf.add(tf.cast(tf.greaterEqual(tf.scalar(-Math.fround(Math.PI)), x), 'float32'), tf.cast(tf.greaterEqual(x, tf.scalar(NEXT_UP_PI)), 'float32')),
        1,
      );
      const inside = tf.greaterEqual(tf.scalar(0), outside);
      const lp = tf.sub(tf.sum(tf.mul(this.kappaT, tf.cos(tf.sub(x, this.locT))), 1), this.logNorm);
      return tf.where(inside, lp, tf.fill([n], -Infinity)) as tf.Tensor1D;
    });
  }

  sampleWithLogProb(n: number, rng: Rng): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    const x = this.sample(n, rng);
    return { x, logProb: this.logProb(x) };
  }

  /** `{ type: 'VonMises', dim, loc, concentration }`. */
  toConfig(): SerializedConfig {
    return { type: 'VonMises', dim: this.dim, loc: [...this.loc], concentration: [...this.concentration] };
  }

  /** Frees the distribution's tensors. */
  dispose(): void {
    tf.dispose([this.locT, this.kappaT]);
  }
}
