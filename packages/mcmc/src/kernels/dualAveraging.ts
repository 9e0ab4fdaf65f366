import * as tf from '@tensorflow/tfjs';
import type { ChainState, HostReads, Kernel, Rng, StepInfo } from '@boltzflow/core';
import { disposeStateExcept } from './sampleChain.js';

/**
 * Dual averaging of log ε towards a target acceptance (Hoffman & Gelman 2014, Algorithm 5; Stan's constants by
 * default). Shared by adaptStepSize and windowAdaptation; `restart` is Stan's reset after a mass-matrix update.
 */
export class DualAveraging {
  private mu = 0;
  private hBar = 0;
  private m = 0;
  private start: number;
  logEps: number;
  logEpsBar: number;

  constructor(
    stepSize: number,
    private readonly delta: number,
    private readonly gamma = 0.05,
    private readonly t0 = 10,
    private readonly kappa = 0.75,
  ) {
    this.start = stepSize;
    this.logEps = Math.log(stepSize);
    this.logEpsBar = this.logEps;
    this.restart(stepSize);
  }

  /** Starts over from `stepSize` with μ = log(10 ε). */
  restart(stepSize: number): void {
    this.mu = Math.log(10 * stepSize);
    this.hBar = 0;
    this.m = 0;
    this.start = stepSize;
    this.logEps = Math.log(stepSize);
    this.logEpsBar = this.logEps;
  }

  /** One update with the observed mean acceptance probability; returns the new iterate ε. */
  update(acceptance: number): number {
    this.m++;
    const w = 1 / (this.m + this.t0);
    this.hBar = (1 - w) * this.hBar + w * (this.delta - acceptance);
    this.logEps = this.mu - (Math.sqrt(this.m) / this.gamma) * this.hBar;
    const mk = Math.pow(this.m, -this.kappa);
    this.logEpsBar = mk * this.logEps + (1 - mk) * this.logEpsBar;
    return Math.exp(this.logEps);
  }

  /** The current (not yet averaged) step size. */
  get stepSize(): number {
    return Math.exp(this.logEps);
  }

  /** The averaged iterate (the step size to freeze after warm-up); the iterate when no update happened. */
  get averagedStepSize(): number {
    return this.m > 0 ? Math.exp(this.logEpsBar) : this.start;
  }
}

/** The acceptance statistic as read from the device: 0 when non-finite. */
export function acceptanceValue(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/**
 * Steps a warm-up chain: `stepReads()` runs the current kernel on the current state, disposes the previous state (unless
 * it is the caller's starting state), counts evaluations and returns the acceptance statistic, the mean over chains
 * of min(1, e^{logAcceptRatio}) (0 when non-finite). Shared by adaptStepSize and windowAdaptation.
 */
export class WarmupChain<S extends ChainState> {
  state: S;
  evaluations: number;
  private readonly initial: S;
  private readonly ownsInit: boolean;

  constructor(kernel: Kernel<S>, x0: tf.Tensor2D | S) {
    this.ownsInit = x0 instanceof tf.Tensor;
    this.initial = this.ownsInit ? kernel.init(x0 as tf.Tensor2D) : (x0 as S);
    this.evaluations = this.ownsInit ? this.initial.x.shape[0] : 0;
    this.state = this.initial;
  }

  /**
   * One step of `kernel` (through its `stepReads` when it has one), pausing at its one host read: the acceptance
   * statistic. Driven by `runHostReadsSync`/`runHostReadsAsync` (adaptStepSize, windowAdaptation).
   */
  *stepReads(kernel: Kernel<S>, rng: Rng): HostReads<number> {
    const p = yield* this.stepTensor(kernel, rng);
    let v: number;
    try {
      v = (yield p)[0];
    } finally {
      p.dispose();
    }
    return acceptanceValue(v);
  }

  /** One step of `kernel`; returns the acceptance statistic as a scalar tensor owned by the caller (not yet read). */
  *stepTensor(kernel: Kernel<S>, rng: Rng): HostReads<tf.Scalar> {
    return this.advance(kernel.stepReads ? yield* kernel.stepReads(this.state, rng) : kernel.step(this.state, rng));
  }

  /** Frees the current state unless it is the caller's starting state (after a failed warm-up). */
  dispose(): void {
    if (this.state !== this.initial || this.ownsInit) disposeStateExcept(this.state, this.ownsInit ? undefined : this.initial);
  }

  /** Takes over one step's result; returns the acceptance statistic as a scalar tensor owned by the caller. */
  private advance(result: { state: S; info: StepInfo }): tf.Scalar {
    const { state: next, info } = result;
    this.evaluations += info.energyEvaluations;
    if (this.state !== this.initial || this.ownsInit) disposeStateExcept(this.state, next);
    this.state = next;
    const p = tf.tidy(() => tf.mean(tf.exp(tf.minimum(info.logAcceptRatio, 0)))) as tf.Scalar;
    info.accepted.dispose();
    info.logAcceptRatio.dispose();
    return p;
  }
}
