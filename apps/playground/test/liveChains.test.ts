import { afterEach, describe, expect, it, vi } from 'vitest';
import { mcmcOutcome, type CoordinateSpec, type Draws, type PlotLimits } from '@boltzflow/samplers';
import { LiveChains, SNAPSHOT_EVERY_MS } from '../src/liveChains.js';

const spec: CoordinateSpec = { index: 0, name: 'x₁', threshold: 0, deadZone: 0.5, profileEdges: [-3, -1.5, 0, 1.5, 3], referenceDeltaF: 0 };
const plot: PlotLimits = { samplesPerSampler: 100, tracePoints: 50, acfLags: 20 };
const CHAINS = 4;
const DIM = 2;

/** Seeded chunks `[steps, CHAINS, DIM]` of a chain hopping between x₁ ≈ ±1 (so ΔF and transitions are defined). */
function chunks(sizes: number[], seed: number): Draws[] {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const side: number[] = Array.from({ length: CHAINS }, (_, c) => (c % 2 ? 1 : -1));
  return sizes.map((steps) => {
    const data = new Float32Array(steps * CHAINS * DIM);
    for (let i = 0; i < steps; i++)
      for (let c = 0; c < CHAINS; c++) {
        if (u() < 0.05) side[c] = -side[c];
        data[(i * CHAINS + c) * DIM] = side[c] + 0.3 * (u() - 0.5);
        data[(i * CHAINS + c) * DIM + 1] = u() - 0.5;
      }
    return { data, shape: [steps, CHAINS, DIM] };
  });
}

/** The draws of all chunks in one block (what runToBudget hands compareSamplers at the end). */
function concat(blocks: Draws[]): Draws {
  const kept = blocks.reduce((n, b) => n + b.shape[0], 0);
  const data = new Float32Array(kept * CHAINS * DIM);
  let o = 0;
  for (const b of blocks) {
    data.set(b.data, o);
    o += b.data.length;
  }
  return { data, shape: [kept, CHAINS, DIM] };
}

describe('LiveChains', () => {
  afterEach(() => vi.restoreAllMocks());

  it('ends on the sampler’s final state when the last chunk comes within the throttle and short of the budget', () => {
    // Worker time stands still between chunks, so the throttle holds back every snapshot after the first.
    const clock = vi.spyOn(performance, 'now').mockReturnValue(1000);
    const blocks = chunks([50, 100, 97], 7);
    // runToBudget stops within half a step of the budget: here 1 evaluation short of 6000 (evaluations per chunk step: CHAINS).
    const evaluations = [200, 600, 5999];
    const live = new LiveChains('rwm', spec, plot, 6000);
    const emitted = blocks.map((b, k) => {
      live.progress(evaluations[k], { acceptance: 0.5 });
      return live.add(b);
    });
    expect(emitted.map((s) => s !== null)).toEqual([true, false, false]);
    clock.mockReturnValue(1000 + SNAPSHOT_EVERY_MS / 4);
    const last = live.flush();
    expect(last).not.toBeNull();
    const all = concat(blocks);
    expect(last?.evaluations).toBe(5999);
    expect(last?.chainSteps).toBe(all.shape[0] * CHAINS);
    // Independent reference: the row the whole run gets from its draws at the end (compareSamplers' mcmcOutcome).
    const whole = mcmcOutcome({
      sampler: 'rwm',
      description: '',
      draws: all,
      energyEvaluations: 5999,
      wallSeconds: 1,
      acceptanceRate: 0.5,
      spec,
      plot,
    }).result;
    expect(whole.deltaF).not.toBeNull();
    expect(last?.deltaF?.estimate).toBe(whole.deltaF?.estimate);
    expect(last?.deltaF?.stderr).toBe(whole.deltaF?.stderr);
    expect(last?.transitions).toBe(whole.transitions);
    expect(last?.ess).toBe(whole.ess);
  });

  it('adds no second snapshot of a state already shown', () => {
    const clock = vi.spyOn(performance, 'now').mockReturnValue(1000);
    const [a, b] = chunks([30, 30], 11);
    const live = new LiveChains('rwm', spec, plot, 240);
    live.progress(120, {});
    expect(live.add(a)).not.toBeNull();
    clock.mockReturnValue(1000 + 2 * SNAPSHOT_EVERY_MS);
    live.progress(240, {});
    expect(live.add(b)?.evaluations).toBe(240);
    expect(live.flush()).toBeNull();
  });
});
