import * as Comlink from 'comlink';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('answerAfterEvents over comlink: each run’s callback channel is closed when the run settles', () => {
  /** MessagePorts that keep this process alive (Node lists each open, started port as an active resource). */
  const openPorts = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

  /**
   * One worker for all runs, as the page has it (the leak was one channel per run): its end runs the body through
   * answerAfterEvents as worker.ts does, and the page passes Comlink.proxy(onEvent) once per run as main.ts does. The
   * worker's end keeps every callback proxy it got: else comlink's FinalizationRegistry would close a channel whenever a
   * garbage collection happens to take the proxy, which it did here within seconds, but a browser need not.
   */
  let body: (emit: (e: number) => void) => Promise<string> = async () => '';
  const kept: unknown[] = [];
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(
    {
      run: (onEvent: (e: number) => void) => {
        kept.push(onEvent);
        return answerAfterEvents(onEvent, body);
      },
    },
    port1,
  );
  const api = Comlink.wrap<{ run(onEvent: (e: number) => void): Promise<string> }>(port2);
  afterAll(() => port1.close());

  async function runOverComlink(runBody: typeof body) {
    body = runBody;
    const before = openPorts();
    const handled: number[] = [];
    let released = false;
    // comlink calls an exposed object's finalizer when the other end releases it, right after closing its port.
    const onEvent = Object.assign((e: number) => void handled.push(e), { [Comlink.finalizer]: () => void (released = true) });
    const outcome = await api.run(Comlink.proxy(onEvent)).then(
      (value) => ({ value }),
      (error: Error) => ({ error: error.message }),
    );
    // The release is a message on the callback's own channel, which may land after the answer: poll for it (a bound, not a speed check).
    await expect.poll(openPorts, { timeout: 10_000 }).toBe(before);
    return { outcome, handled, released };
  }

  it('a run that succeeds: every event handled, then the channel closed', async () => {
    const r = await runOverComlink(async (emit) => {
      for (const e of [1, 2, 3]) emit(e);
      return 'results';
    });
    expect(r.outcome).toEqual({ value: 'results' });
    expect(r.handled).toEqual([1, 2, 3]);
    expect(r.released).toBe(true);
  });

  it('a run that fails, after an event or before any (as a request that does not resolve): the channel is closed too', async () => {
    const late = await runOverComlink(async (emit) => {
      emit(1);
      throw new Error('sampler diverged');
    });
    expect(late.outcome).toEqual({ error: 'sampler diverged' });
    expect(late.handled).toEqual([1]);
    expect(late.released).toBe(true);
    const early = await runOverComlink(() => {
      throw new Error('bad request');
    });
    expect(early.outcome).toEqual({ error: 'bad request' });
    expect(early.released).toBe(true);
  });
});
