import { describe, expect, it } from 'vitest';
import { BoltzflowError } from '@boltzflow/core';
import { guardRun } from '../src/runGuard.js';

/** A page that records what the run did to it, in order. */
function fakeUi() {
  const calls: string[] = [];
  return {
    calls,
    ui: {
      lock: () => void calls.push('lock'),
      fail: (message: string) => void calls.push(`fail: ${message}`),
      unlock: () => void calls.push('unlock'),
    },
  };
}

describe('guardRun: the page is unlocked after every run, and a failure is shown', () => {
  it('a run that succeeds: locked, work done, unlocked, nothing shown', async () => {
    const p = fakeUi();
    await guardRun(p.ui, async () => void p.calls.push('work'));
    expect(p.calls).toEqual(['lock', 'work', 'unlock']);
  });

  it('a failure before the run starts (the contours request): shown, and the page unlocked', async () => {
    // As main.ts's work: api.view comes before api.run; a worker that rejects it left the Run button disabled.
    const p = fakeUi();
    const api = {
      view: async () => {
        throw new Error('energy grid: backend lost');
      },
      run: async () => p.calls.push('run'),
    };
    await guardRun(p.ui, async () => {
      await api.view();
      await api.run();
    });
    expect(p.calls).toEqual(['lock', 'fail: Run failed: energy grid: backend lost', 'unlock']);
  });

  it('shows a BoltzflowError’s message with its argument, expected and received; a thrown non-Error as text', async () => {
    const p = fakeUi();
    const e = new BoltzflowError('NON_FINITE', 'The exact ΔF of this energy is not finite', { argument: 'formula', expected: 'finite', received: 'NaN' });
    await guardRun(p.ui, async () => {
      throw e;
    });
    await guardRun(p.ui, async () => {
      throw 'worker gone';
    });
    expect(p.calls).toEqual([
      'lock',
      "fail: Run failed: The exact ΔF of this energy is not finite (argument 'formula'; expected finite; received NaN)",
      'unlock',
      'lock',
      'fail: Run failed: worker gone',
      'unlock',
    ]);
  });

  it('a work that throws synchronously, or a failing lock, still ends unlocked', async () => {
    const p = fakeUi();
    await guardRun(p.ui, () => {
      throw new Error('sync');
    });
    expect(p.calls).toEqual(['lock', 'fail: Run failed: sync', 'unlock']);
    const q = fakeUi();
    await guardRun(
      {
        ...q.ui,
        lock: () => {
          throw new Error('no button');
        },
      },
      async () => void q.calls.push('work'),
    );
    expect(q.calls).toEqual(['fail: Run failed: no button', 'unlock']);
  });
});
