/**
 * The playground page: controls, live charts (uPlot, at most 10 redraws per second) and results.json export/import.
 * All tensor work happens in the worker (src/worker.ts).
 * @module
 */
import * as Comlink from 'comlink';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PlaygroundApi, PlaygroundEvent, RunRequest } from './worker.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const COLORS = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457'];

type Results = {
  reference: { deltaF?: number } | null;
  samplers: {
    sampler: string;
    ess: number;
    essPerEnergyEvaluation?: number;
    transitions: number | null;
    deltaF: { estimate: number; stderr: number } | null;
  }[];
  verdict?: unknown[];
  artifacts: {
    energyGrid?: { x: number[]; y: number[]; values: (number | null)[][] };
    samples?: { sampler: string; points: [number, number][] }[];
    traces?: { sampler: string; evaluationsPerPoint: number; values: number[] }[];
    training?: { step: number; loss: number | null }[];
  };
};

const state: {
  results: Results | null;
  loss: [number[], number[]];
  backend: string;
  trainingStepsPerSecond: number | null;
  errors: string[];
  finishedRuns: number;
} = {
  results: null,
  finishedRuns: 0,
  loss: [[], []],
  backend: '',
  trainingStepsPerSecond: null,
  errors: [],
};
// The e2e test reads the run through this handle.
(window as unknown as { __playground: unknown }).__playground = state;

let worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let api = Comlink.wrap<PlaygroundApi>(worker);

function width(el: HTMLElement): number {
  return Math.max(240, Math.min(560, (el.parentElement?.clientWidth ?? 400) - 8));
}
const lossPlot = new uPlot(
  {
    width: width($('loss')),
    height: 220,
    scales: { x: { time: false } },
    axes: [{ label: 'training step' }, { label: 'loss' }],
    series: [{}, { label: 'loss', stroke: COLORS[0] }],
  },
  [[], []],
  $('loss'),
);
let tracePlot: uPlot | null = null;

let dirty = false;
let lastDraw = 0;
function scheduleDraw(): void {
  if (dirty) return;
  dirty = true;
  const wait = Math.max(0, 100 - (performance.now() - lastDraw));
  setTimeout(() => {
    dirty = false;
    lastDraw = performance.now();
    lossPlot.setData(state.loss);
  }, wait);
}

async function startBackend(): Promise<void> {
  $('backend').textContent = 'starting…';
  const wanted = ($('backend-choice') as HTMLSelectElement).value;
  state.backend = await api.init(wanted);
  $('backend').textContent = state.backend + (state.backend !== wanted ? ` (${wanted} unavailable)` : '');
}

function request(): RunRequest {
  const num = (id: string) => Number(($(id) as HTMLInputElement).value);
  const formula = ($('formula') as HTMLInputElement).value.trim();
  return {
    preset: ($('preset') as HTMLSelectElement).value as RunRequest['preset'],
    seed: Math.max(0, Math.floor(num('seed'))),
    samplers: [...document.querySelectorAll<HTMLInputElement>('input[name=sampler]:checked')].map((c) => c.value),
    budget: num('budget'),
    chains: num('chains'),
    trainingSteps: num('steps'),
    rwmStep: num('rwmstep'),
    ...(formula ? { formula } : {}),
  };
}

async function run(): Promise<void> {
  const req = request();
  if (req.formula) {
    const msg = await api.checkFormula(req.formula);
    $('formula-error').textContent = msg ?? '';
    if (msg) {
      $('status').textContent = 'Fix the energy formula first.';
      return;
    }
  }
  if (req.samplers.length === 0) {
    $('status').textContent = 'Pick at least one sampler.';
    return;
  }
  ($('run') as HTMLButtonElement).disabled = true;
  state.loss = [[], []];
  let trainStart = 0;
  let trainSteps = 0;
  let running = true;
  // Progress arrives on comlink's own message channel and may land after the run's answer: drop what comes late.
  const onEvent = (e: PlaygroundEvent) => {
    if (!running) return;
    if (e.kind === 'log') {
      $('status').textContent = e.message.trim();
      return;
    }
    if (e.label.startsWith('training flow') && typeof e.info.loss === 'number') {
      if (trainStart === 0) trainStart = performance.now();
      trainSteps = e.value;
      state.loss[0].push(e.value);
      state.loss[1].push(e.info.loss);
      if (trainSteps > 1) state.trainingStepsPerSecond = (trainSteps - 1) / ((performance.now() - trainStart) / 1000);
      scheduleDraw();
    }
    const info = Object.entries(e.info)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toPrecision(3) : v}`)
      .join(', ');
    $('status').textContent = `${e.label}: ${e.value}/${e.total}${info ? ` — ${info}` : ''}`;
  };
  try {
    const results = (await api.run(req, Comlink.proxy(onEvent))) as Results;
    running = false;
    show(results);
    $('status').textContent = `Done (seed ${req.seed}).`;
    state.finishedRuns++;
  } catch (e) {
    running = false;
    $('status').textContent = `Run failed: ${(e as Error).message}`;
  } finally {
    ($('run') as HTMLButtonElement).disabled = false;
  }
}

function drawScatter(r: Results): void {
  const canvas = $<HTMLCanvasElement>('scatter');
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const W = canvas.width;
  const H = canvas.height;
  const pad = 34;
  const grid = r.artifacts.energyGrid;
  const xr: [number, number] = grid ? [grid.x[0], grid.x[grid.x.length - 1]] : [-3, 3];
  const yr: [number, number] = grid ? [grid.y[0], grid.y[grid.y.length - 1]] : [-3.5, 3.5];
  const px = (x: number) => pad + ((x - xr[0]) / (xr[1] - xr[0])) * (W - pad - 8);
  const py = (y: number) => H - pad - ((y - yr[0]) / (yr[1] - yr[0])) * (H - pad - 8);
  ctx.clearRect(0, 0, W, H);
  if (grid) {
    const flat = grid.values.flat().filter((v): v is number => v !== null);
    const lo = Math.min(...flat);
    const cw = (W - pad - 8) / grid.x.length;
    const ch = (H - pad - 8) / grid.y.length;
    grid.values.forEach((row, j) =>
      row.forEach((v, i) => {
        const level = v === null ? 1 : Math.min(1, (v - lo) / 12);
        const shade = Math.round(255 - 90 * (1 - level));
        ctx.fillStyle = `rgb(${shade},${shade},255)`;
        ctx.fillRect(px(grid.x[i]) - cw / 2, py(grid.y[j]) - ch / 2, cw + 1, ch + 1);
      }),
    );
  }
  ctx.fillStyle = '#222';
  ctx.font = '12px sans-serif';
  ctx.fillText('x₁', W / 2 + 24, H - 6);
  ctx.save();
  ctx.translate(12, H / 2 - 24);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('x₂', 0, 0);
  ctx.restore();
  for (const t of [xr[0], 0, xr[1]]) ctx.fillText(String(t), px(t) - 6, H - pad + 14);
  for (const t of [yr[0], 0, yr[1]]) ctx.fillText(String(t), 2, py(t) + 4);
  const legend: string[] = [];
  (r.artifacts.samples ?? []).forEach((s, k) => {
    ctx.fillStyle = COLORS[k % COLORS.length];
    legend.push(`<span style="color:${COLORS[k % COLORS.length]}">● ${s.sampler}</span>`);
    for (const [x, y] of s.points) ctx.fillRect(px(x) - 1.5, py(y) - 1.5, 3, 3);
  });
  $('legend').innerHTML = legend.join('');
}

function drawTraces(r: Results): void {
  const traces = r.artifacts.traces ?? [];
  tracePlot?.destroy();
  tracePlot = null;
  if (traces.length === 0) return;
  const n = Math.max(...traces.map((t) => t.values.length));
  const xs = Array.from({ length: n }, (_, i) => i);
  const data = [xs, ...traces.map((t) => xs.map((i) => t.values[i] ?? null))] as uPlot.AlignedData;
  tracePlot = new uPlot(
    {
      width: width($('trace')),
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: 'trace point (equal evaluations apart)' }, { label: 'x₁' }],
      series: [{}, ...traces.map((t, k) => ({ label: t.sampler, stroke: COLORS[k % COLORS.length], width: 1 }))],
    },
    data,
    $('trace'),
  );
}

function show(r: Results): void {
  state.results = r;
  if (r.artifacts.training) {
    state.loss = [r.artifacts.training.map((p) => p.step), r.artifacts.training.map((p) => p.loss ?? Number.NaN)];
    lossPlot.setData(state.loss);
  }
  drawScatter(r);
  drawTraces(r);
  const exact = r.reference?.deltaF;
  $('exact').textContent = exact === undefined ? '–' : exact.toFixed(3);
  const rows = r.samplers.map((s) => {
    const d = s.deltaF ? `${s.deltaF.estimate.toFixed(3)} ± ${s.deltaF.stderr.toFixed(3)}` : 'n/a';
    const perK = s.essPerEnergyEvaluation !== undefined ? (1000 * s.essPerEnergyEvaluation).toFixed(2) : '–';
    return `<tr><th scope="row">${s.sampler}</th><td>${d}</td><td>${s.ess.toFixed(1)}</td><td>${perK}</td><td>${s.transitions ?? '–'}</td></tr>`;
  });
  $('table').querySelector('tbody')!.innerHTML = rows.join('');
  $('verdict').textContent = verdictText(r);
  ($('export') as HTMLButtonElement).disabled = false;
}

function verdictText(r: Results): string {
  const v = (r.verdict ?? []) as { basis: string; best: string | null; baseline: string | null; ratio: number | null }[];
  return v
    .map(
      (x) =>
        `${x.basis === 'total' ? 'total cost' : 'sampling cost'}: ${x.best ? `${x.best} best${x.baseline && x.ratio ? `, ${x.ratio.toFixed(1)}× ${x.baseline}` : ''}` : 'no sampler qualifies'}`,
    )
    .join('; ');
}

function exportJson(): string {
  return JSON.stringify(state.results, null, 2);
}
(state as unknown as { exportJson: () => string }).exportJson = exportJson;

$('export').addEventListener('click', () => {
  const url = URL.createObjectURL(new Blob([exportJson()], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'results.json';
  a.click();
  URL.revokeObjectURL(url);
});
$<HTMLInputElement>('import').addEventListener('change', async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    const r = JSON.parse(await file.text()) as Results;
    if (!Array.isArray(r.samplers) || typeof r.artifacts !== 'object') throw new Error('not a boltzflow results.json');
    show(r);
    $('status').textContent = `Imported ${file.name}.`;
  } catch (e) {
    $('status').textContent = `Import failed: ${(e as Error).message}`;
  }
});

let formulaTimer: ReturnType<typeof setTimeout> | undefined;
$<HTMLInputElement>('formula').addEventListener('input', () => {
  clearTimeout(formulaTimer);
  formulaTimer = setTimeout(async () => {
    const text = ($('formula') as HTMLInputElement).value;
    const msg = text.trim() === '' ? null : await api.checkFormula(text);
    $('formula-error').textContent = msg ?? '';
    $('formula').setAttribute('aria-invalid', msg ? 'true' : 'false');
  }, 200);
});
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  void run();
});
$('reset').addEventListener('click', async () => {
  worker.terminate();
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  api = Comlink.wrap<PlaygroundApi>(worker);
  state.results = null;
  state.loss = [[], []];
  lossPlot.setData(state.loss);
  ($('run') as HTMLButtonElement).disabled = false;
  $('status').textContent = 'Reset.';
  await startBackend();
});
$('backend-choice').addEventListener('change', () => $('reset').click());

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    lossPlot.setSize({ width: width($('loss')), height: 220 });
    tracePlot?.setSize({ width: width($('trace')), height: 220 });
  }, 50);
});

const backendParam = new URLSearchParams(location.search).get('backend');
if (backendParam) ($('backend-choice') as HTMLSelectElement).value = backendParam;
void startBackend();
