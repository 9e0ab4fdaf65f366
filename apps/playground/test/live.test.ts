import { describe, expect, it } from 'vitest';
import { alignSeries, answerAfterEvents, runningBand } from '../src/live.js';

describe('alignSeries', () => {
  it('samples each trace at the last point at or before each grid count, null past its end', () => {
    // Trace A: a point every 100 evaluations, values = its own evaluation count; B: every 250, half as long.
    const a = { evaluationsPerPoint: 100, values: Array.from({ length: 11 }, (_, i) => 100 * i) };
    const b = { evaluationsPerPoint: 250, values: [0, 250] };
    const { x, series } = alignSeries([a, b], 1000, 21);
    expect(x).toHaveLength(21);
    expect(x[0]).toBe(0);
    expect(x[20]).toBe(1000);
    x.forEach((e, j) => {
      // Independent reference: the largest multiple of the spacing not above e.
      expect(series[0][j]).toBe(100 * Math.floor(e / 100));
      const ib = Math.floor(e / 250);
      expect(series[1][j]).toBe(ib < 2 ? 250 * ib : null);
    });
  });
});

describe('runningBand', () => {
  it('puts each sampler’s estimate ± stderr at its own counts on the union axis, null elsewhere and where not estimable', () => {
    const r = runningBand([
      [
        { evaluations: 100, deltaF: { estimate: 1, stderr: 0.5 } },
        { evaluations: 300, deltaF: { estimate: 0.8, stderr: 0.25 } },
      ],
      [
        { evaluations: 200, deltaF: null },
        { evaluations: 300, deltaF: { estimate: -0.5, stderr: 0.1 } },
      ],
    ]);
    expect(r.x).toEqual([100, 200, 300]);
    expect(r.series[0].estimate).toEqual([1, null, 0.8]);
    expect(r.series[0].upper).toEqual([1.5, null, 1.05]);
    expect(r.series[0].lower).toEqual([0.5, null, 0.55]);
    expect(r.series[1].estimate).toEqual([null, null, -0.5]);
    expect(r.series[1].upper[2]).toBeCloseTo(-0.4, 12);
    expect(r.series[1].lower[2]).toBeCloseTo(-0.6, 12);
  });
});

describe('answerAfterEvents', () => {
  /**
   * The page's side of a run, as main.ts has it: events come through a channel that delivers each after `latency` ms
   * (a comlink proxy call: it settles once the page has run the handler), the answer comes at once on another, and
   * the page stops taking events when the answer arrives.
   */
  function page(latency: number) {
    const handled: number[] = [];
    let answered = false;
    const onEvent = (e: number) =>
      new Promise<void>((done) =>
        setTimeout(() => {
          if (!answered) handled.push(e);
          done();
        }, latency),
      );
    const answer = async <T>(run: Promise<T>) => {
      const r = await run;
      answered = true;
      return r;
    };
    return { handled, onEvent, answer };
  }
  const sampler = async (emit: (e: number) => void) => {
    for (const evaluations of [600, 5640, 6000]) {
      emit(evaluations);
      await new Promise((r) => setTimeout(r, 1));
    }
    return 'results';
  };

  it('answers only after the page has handled every event, so the page keeps the last one', async () => {
    const p = page(20);
    expect(await p.answer(answerAfterEvents(p.onEvent, sampler))).toBe('results');
    expect(p.handled).toEqual([600, 5640, 6000]);
  });

  it('(the race it prevents) forwarding events without waiting lets the answer overtake them', async () => {
    const p = page(20);
    await p.answer(sampler((e) => void p.onEvent(e)));
    expect(p.handled).not.toContain(6000);
  });

  it('passes the run’s failure through', async () => {
    const p = page(1);
    await expect(
      answerAfterEvents(p.onEvent, async (emit) => {
        emit(1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
