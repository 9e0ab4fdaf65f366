/**
 * The worker's live view of one sampler's chains (no DOM, no comlink): accumulates the streamed chunks and computes
 * the CLI's metrics (mcmcOutcome) on the draws so far, at most every SNAPSHOT_EVERY_MS, and always on the final state.
 * @module
 */
import { mcmcOutcome, type CoordinateSpec, type Draws, type PlotLimits, type SamplerResult } from '@boltzflow/samplers';

/** One chain snapshot of a sampler while it runs: the CLI's metrics (mcmcOutcome) on the draws so far. */
export interface LiveSnapshot {
  sampler: string;
  /** Sampling evaluations so far, and the sampler's budget. */
  evaluations: number;
  budget: number;
  chains: number;
  /** Draws so far (steps × chains) and the seconds since the sampler's first chunk. */
  chainSteps: number;
  seconds: number;
  points: [number, number][];
  /** x₁ (the coordinate) of chain 0, `evaluationsPerPoint` evaluations of that chain apart (the CLI's trace artifact). */
  trace: number[];
  evaluationsPerPoint: number;
  deltaF: { estimate: number; stderr: number } | null;
  referenceDeltaF: number | null;
  ess: number;
  essPerEvaluation: number;
  transitions: number | null;
  acceptance: number | null;
  /** The row as the CLI computes it from the draws so far (the live verdict applies the library's rules to these). */
  row: SamplerResult;
}

/** Draws no live snapshot more often than this (ms of worker time); {@link LiveChains.flush} always gets the last chunk one. */
export const SNAPSHOT_EVERY_MS = 80;

/** A live view of one sampler's chains: accumulates the streamed chunks and computes the CLI's metrics on them. */
export class LiveChains {
  private blocks: Float32Array[] = [];
  private kept = 0;
  private chains = 0;
  private dim = 0;
  private evaluations = 0;
  private acceptance: number | null = null;
  private t0 = 0;
  private lastSnapshot = -Infinity;
  /** Whether chunks came in since the last snapshot. */
  private pending = false;
  constructor(
    readonly sampler: string,
    private readonly spec: CoordinateSpec,
    private readonly plot: PlotLimits,
    private readonly budget: number,
  ) {}
  progress(value: number, info: Record<string, string | number>): void {
    this.evaluations = value;
    if (typeof info.acceptance === 'number') this.acceptance = info.acceptance;
  }
  /** Adds a chunk; returns a snapshot unless one was made less than SNAPSHOT_EVERY_MS ago (`force`: always). */
  add(block: Draws, force = false): LiveSnapshot | null {
    const now = performance.now();
    if (this.blocks.length === 0) this.t0 = now;
    [, this.chains, this.dim] = block.shape;
    this.blocks.push(block.data);
    this.kept += block.shape[0];
    this.pending = true;
    if (!force && now - this.lastSnapshot < SNAPSHOT_EVERY_MS) return null;
    return this.snapshot(now);
  }
  /**
   * A snapshot of the chunks that have none yet (null when the last snapshot is current): the sampler's final state
   * once it has stopped. Its evaluations need not reach the budget (runToBudget stops within half a step of it), so
   * the end of a run is known from the bar's stop, not from the count.
   */
  flush(): LiveSnapshot | null {
    return this.pending ? this.snapshot(performance.now()) : null;
  }
  private snapshot(now: number): LiveSnapshot {
    this.lastSnapshot = now;
    this.pending = false;
    const data = new Float32Array(this.kept * this.chains * this.dim);
    let o = 0;
    for (const b of this.blocks) {
      data.set(b, o);
      o += b.length;
    }
    const out = mcmcOutcome({
      sampler: this.sampler,
      description: '',
      draws: { data, shape: [this.kept, this.chains, this.dim] },
      energyEvaluations: Math.max(1, this.evaluations),
      wallSeconds: (now - this.t0) / 1000,
      acceptanceRate: this.acceptance,
      spec: this.spec,
      plot: this.plot,
    });
    const r = out.result;
    return {
      sampler: this.sampler,
      evaluations: this.evaluations,
      budget: this.budget,
      chains: this.chains,
      chainSteps: this.kept * this.chains,
      seconds: (performance.now() - this.t0) / 1000,
      points: out.artifacts.samples?.points ?? [],
      trace: out.artifacts.trace?.values ?? [],
      evaluationsPerPoint: out.artifacts.trace?.evaluationsPerPoint ?? 1,
      deltaF: r.deltaF ? { estimate: r.deltaF.estimate, stderr: r.deltaF.stderr } : null,
      referenceDeltaF: this.spec.referenceDeltaF ?? null,
      ess: r.ess,
      essPerEvaluation: r.essPerEnergyEvaluation,
      transitions: r.transitions,
      acceptance: this.acceptance,
      row: r,
    };
  }
}
