import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, fmtRate, table, type BenchOptions, type SectionResult } from './common.js';
import type { FlowCostRow } from './flowWorker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';

interface WorkerOutput {
  backend: string;
  info?: { active?: string; adapter?: string; fallback?: boolean };
  rows: FlowCostRow[];
  error?: string;
}

/** Runs a per-backend worker (flowWorker.ts by default) for one backend in a child process and parses its last RESULT line. */
export function runWorker(backend: string, quick: boolean, budgetSeconds: number, worker = 'flowWorker.ts'): Promise<WorkerOutput> {
  const env = { ...process.env };
  if (backend === 'webgpu' && !env.VK_ICD_FILENAMES && existsSync(LAVAPIPE_ICD)) env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, worker), backend, quick ? '1' : '0', String(budgetSeconds)], {
      env,
      cwd: path.join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Hard stop: the budget plus one slow row and start-up, so a hung backend cannot stall the whole bench.
    const timer = setTimeout(() => child.kill('SIGKILL'), (1.5 * budgetSeconds + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      // The worker reports after every row; a worker killed at the hard stop leaves its last complete report.
      const line = stdout
        .split('\n')
        .filter((l) => l.startsWith('RESULT '))
        .pop();
      if (line) resolve(JSON.parse(line.slice(7)) as WorkerOutput);
      else resolve({ backend, rows: [], error: `worker exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

/** A backend's name for the tables; webgpu names its adapter and says so when it is lavapipe (a CPU driver). */
export function backendLabel(o: { backend: string; info?: { active?: string; adapter?: string; fallback?: boolean } }): string {
  if (o.backend === 'webgpu') {
    const a = o.info?.adapter ?? '';
    return /llvmpipe|lavapipe|cpu/i.test(a) || a === '' ? `webgpu (Mesa lavapipe — a CPU Vulkan driver, not a GPU${a ? `: ${a}` : ''})` : `webgpu (${a})`;
  }
  return o.info?.fallback ? `${o.backend} (fell back to ${o.info.active})` : o.backend;
}

export async function flowSection(opts: BenchOptions): Promise<SectionResult> {
  // Per backend; four backends (cpu, wasm, node, webgpu) at 60 s keep the full section near 4–5 minutes.
  const budget = opts.quick ? 25 : 60;
  const outputs: WorkerOutput[] = [];
  for (const b of opts.backends) outputs.push(await runWorker(b, opts.quick, budget));
  const ok = outputs.filter((o) => !o.error);
  const md: string[] = [];
  md.push(
    'Samples per second of `forward` + log-det (latent → data; for MAF this is the sequential direction, `dim` MADE passes per layer) and of one reverse-KL Adam step (`optimizer.minimize` of mean(u(F(z)) − log|det J|)). Flows: RealNVP = 4 affine couplings, spline = 4 rational-quadratic spline couplings (8 bins), MAF = 2 MADE layers; all with [64, 64] hidden layers. Targets: double well (dim 2), many-well (32), LJ13 (39). Each backend ran in its own child process, one after another.',
  );
  md.push('');
  const header = ['flow', 'dim', 'batch'];
  for (const o of ok) header.push(`${o.backend} fwd/s`, `${o.backend} KL-step/s`);
  if (ok.length > 1 && ok.some((o) => o.backend === 'wasm')) for (const o of ok) if (o.backend !== 'wasm') header.push(`wasm ÷ ${o.backend} (KL)`);
  const keys = ok[0]?.rows.map((r) => `${r.flow}|${r.dim}|${r.batch}`) ?? [];
  const rows = keys.map((k) => {
    const [flow, dim, batch] = k.split('|');
    const cells: (string | number)[] = [flow, dim, batch];
    const get = (o: WorkerOutput) => o.rows.find((r) => `${r.flow}|${r.dim}|${r.batch}` === k);
    for (const o of ok) {
      const r = get(o);
      cells.push(
        r?.forwardSamplesPerSecond ? fmtRate(r.forwardSamplesPerSecond) : (r?.note ?? '—'),
        r?.klStepSamplesPerSecond ? fmtRate(r.klStepSamplesPerSecond) : '—',
      );
    }
    const wasm = ok.find((o) => o.backend === 'wasm');
    if (ok.length > 1 && wasm) {
      for (const o of ok) {
        if (o.backend === 'wasm') continue;
        const a = get(wasm)?.klStepSamplesPerSecond;
        const b = get(o)?.klStepSamplesPerSecond;
        cells.push(a && b ? `${fmt(a / b)}×` : '—');
      }
    }
    return cells;
  });
  md.push(table(header, rows));
  md.push('');
  md.push(`Backends: ${outputs.map((o) => (o.error ? `**${o.backend}**: not available (${o.error.slice(0, 200)})` : `**${backendLabel(o)}**`)).join('; ')}.`);
  return { title: 'Flow cost per backend', markdown: md.join('\n'), data: outputs };
}
