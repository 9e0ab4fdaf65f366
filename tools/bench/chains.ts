import { fmt, fmtRate, table, type BenchOptions, type SectionResult } from './common.js';
import type { ChainRateRow } from './chainsWorker.js';
import { backendLabel, runWorker } from './flows.js';

interface WorkerOutput {
  backend: string;
  info?: { active?: string; adapter?: string; fallback?: boolean };
  rows: ChainRateRow[];
  error?: string;
}

/**
 * RWM and MALA chain-steps per second per backend (wall clock), through `sampleChainAsync`, one child process per
 * backend: the MCMC side of "what does a GPU give" (issue #20). Chain counts up to 2²⁰ (16384 with --quick).
 */
export async function chainsSection(opts: BenchOptions): Promise<SectionResult> {
  const budget = opts.quick ? 20 : 45;
  const outputs: WorkerOutput[] = [];
  for (const b of opts.backends) outputs.push((await runWorker(b, opts.quick, budget, 'chainsWorker.ts')) as unknown as WorkerOutput);
  const ok = outputs.filter((o) => !o.error);
  const md: string[] = [
    'Chain-steps per second (wall clock) of random-walk Metropolis (step 0.5) and MALA (τ 0.05) on the 2D double well through `sampleChainAsync` (asynchronous reads: one at the end of each run, one kept draw), each backend in its own child process, one after another. Each figure is one run grown until it lasts ≥ 0.5 s (0.2 s with --quick), after a warm-up run.',
    '',
  ];
  const header = ['sampler', 'chains', ...ok.map((o) => `${o.backend} steps/s`)];
  const wasm = ok.find((o) => o.backend === 'wasm');
  if (wasm) for (const o of ok) if (o !== wasm) header.push(`${o.backend} ÷ wasm`);
  const keys = (ok[0]?.rows.map((r) => `${r.sampler}|${r.chains}`) ?? []).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const rows = keys.map((k) => {
    const [sampler, chains] = k.split('|');
    const get = (o: WorkerOutput) => o.rows.find((r) => `${r.sampler}|${r.chains}` === k);
    const cells: (string | number)[] = [sampler, chains];
    for (const o of ok) {
      const r = get(o);
      cells.push(r?.chainStepsPerSecond ? fmtRate(r.chainStepsPerSecond) : (r?.note ?? '—'));
    }
    if (wasm) {
      for (const o of ok) {
        if (o === wasm) continue;
        const a = get(wasm)?.chainStepsPerSecond;
        const b = get(o)?.chainStepsPerSecond;
        cells.push(a && b ? `${fmt(b / a)}×` : '—');
      }
    }
    return cells;
  });
  md.push(table(header, rows));
  md.push('');
  md.push(`Backends: ${outputs.map((o) => (o.error ? `**${o.backend}**: not available (${o.error.slice(0, 200)})` : `**${backendLabel(o)}**`)).join('; ')}.`);
  return { title: 'MCMC chain-steps per backend', markdown: md.join('\n'), data: outputs };
}
