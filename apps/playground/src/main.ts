/**
 * The playground page: controls, live charts (uPlot and canvas, at most 10 redraws per second), pause/resume through a
 * shared flag, and results.json export/import. All tensor work happens in the worker (src/worker.ts).
 * @module
 */
import * as Comlink from 'comlink';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { alignSeries, runningBand } from './live.js';
import { guardRun } from './runGuard.js';
import type { LiveSnapshot, PlaygroundApi, PlaygroundEvent, RunRequest, TargetName, TargetView } from './worker.js';
import type { Verdict } from '@boltzflow/samplers';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const COLORS = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457'];
/** The charts redraw at most this often (ms). */
const REDRAW_MS = 100;

type Results = {
  reference: { deltaF?: number; definition?: string } | null;
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
    sampleAxes?: string[];
    samples?: { sampler: string; points: [number, number][] }[];
    traces?: { sampler: string; evaluationsPerPoint: number; values: number[] }[];
    training?: { step: number; loss: number | null }[];
  };
};

/** Per sampler: its snapshots in order (the running ΔF and ESS history) and the newest one. */
type LiveSeries = { order: number; history: LiveSnapshot[]; last: LiveSnapshot };

const state: {
  results: Results | null;
  loss: [number[], number[]];
  backend: string;
  trainingStepsPerSecond: number | null;
  /** Live chain snapshots per sampler of the current run. */
  live: Record<string, LiveSeries>;
  /** Redraws of the live charts in the current run (the e2e test checks they happen while the run is on). */
  liveDraws: number;
  paused: boolean;
  running: boolean;
  errors: string[];
  finishedRuns: number;
  view: TargetView | null;
} = {
  results: null,
  finishedRuns: 0,
  loss: [[], []],
  backend: '',
  trainingStepsPerSecond: null,
  live: {},
  liveDraws: 0,
  paused: false,
  running: false,
  errors: [],
  view: null,
};
// The e2e test reads the run through this handle.
(window as unknown as { __playground: unknown }).__playground = state;

let worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let api = Comlink.wrap<PlaygroundApi>(worker);
/** Pause flag shared with the worker: needs cross-origin isolation (COOP/COEP headers) for SharedArrayBuffer. */
const pauseFlag = globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;

function width(el: HTMLElement): number {
  return Math.max(240, Math.min(560, (el.parentElement?.clientWidth ?? 400) - 8));
}
const lossPlot = new uPlot(
  {
    width: width($('loss')),
    height: 220,
    scales: { x: { time: false } },
    legend: { show: false },
    axes: [{ label: 'training step' }, { label: 'loss' }],
    series: [{}, { label: 'loss', stroke: COLORS[0] }],
  },
  [[], []],
  $('loss'),
);
let tracePlot: uPlot | null = null;
let dfPlot: uPlot | null = null;
/** The sampler set the live plots were built for (they are rebuilt when it changes). */
let plotKey = '';

let dirty = false;
let lastDraw = 0;
function scheduleDraw(): void {
  if (dirty) return;
  dirty = true;
  const wait = Math.max(0, REDRAW_MS - (performance.now() - lastDraw));
  setTimeout(() => {
    dirty = false;
    lastDraw = performance.now();
    lossPlot.setData(state.loss);
    // After the run, the final results own the scatter, bars and legend (show()); a late timer must not redraw them.
    if (state.running) drawLive();
  }, wait);
}

async function startBackend(): Promise<void> {
  $('backend').textContent = 'starting…';
  const wanted = ($('backend-choice') as HTMLSelectElement).value;
  state.backend = await api.init(wanted);
  if (pauseFlag) await api.setPauseFlag(pauseFlag.buffer as SharedArrayBuffer);
  $('backend').textContent = state.backend + (state.backend !== wanted ? ` (${wanted} unavailable)` : '');
}

async function fillSamplers(): Promise<void> {
  const recipes = await api.recipes();
  const checked = new Set(['rwm-scan', 'flow-imh']);
  const box = $('samplers');
  box.querySelector('.hint')?.remove();
  for (const r of recipes) {
    const label = document.createElement('label');
    label.title = r.description;
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.name = 'sampler';
    input.value = r.name;
    input.checked = checked.has(r.name);
    label.append(input, ` ${r.name}${r.name === 'rwm-scan' ? ' (fixed step below)' : ''}${r.needsFlow ? ' · shared flow' : ''}`);
    box.append(label);
  }
  const note = document.createElement('p');
  note.className = 'hint';
  note.textContent =
    '“shared flow”: uses the flow trained live above; flowmc, bg-loop, fab-is and fab-imh train their own from the energy alone (counted as setup, playground sizes).';
  box.append(note);
}

function target(): TargetName {
  return ($('target') as HTMLSelectElement).value as TargetName;
}

function request(): RunRequest {
  const num = (id: string) => Number(($(id) as HTMLInputElement).value);
  const formula = ($('formula') as HTMLInputElement).value.trim();
  return {
    target: target(),
    preset: ($('preset') as HTMLSelectElement).value as RunRequest['preset'],
    dim: Math.max(2, 2 * Math.round(num('dim') / 2)),
    seed: Math.max(0, Math.floor(num('seed'))),
    samplers: [...document.querySelectorAll<HTMLInputElement>('input[name=sampler]:checked')].map((c) => c.value),
    budget: num('budget'),
    chains: num('chains'),
    trainingSteps: num('steps'),
    rwmStep: num('rwmstep'),
    ...(target() === 'formula' ? { formula } : {}),
  };
}

function setPaused(p: boolean): void {
  if (!pauseFlag) return;
  state.paused = p;
  Atomics.store(pauseFlag, 0, p ? 1 : 0);
  if (!p) Atomics.notify(pauseFlag, 0);
  const b = $('pause');
  b.textContent = p ? 'Resume' : 'Pause';
  b.setAttribute('aria-pressed', String(p));
}

async function run(): Promise<void> {
  const runButton = $('run') as HTMLButtonElement;
  /** This run's events are taken while true: what still lands after its answer is from a failed run, dropped. */
  let running = false;
  await guardRun(
    {
      lock: () => {
        runButton.disabled = true;
      },
      fail: (message) => {
        $('status').textContent = message;
      },
      unlock: () => {
        running = false;
        state.running = false;
        runButton.disabled = false;
        ($('pause') as HTMLButtonElement).disabled = true;
        setPaused(false);
      },
    },
    async () => {
      const req = request();
      if (req.target === 'formula') {
        const msg = req.formula ? await api.checkFormula(req.formula) : 'Type an energy formula in x1 and x2.';
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
      ($('pause') as HTMLButtonElement).disabled = !pauseFlag;
      setPaused(false);
      state.loss = [[], []];
      state.live = {};
      state.liveDraws = 0;
      state.trainingStepsPerSecond = null;
      resetPalette(req.samplers);
      state.running = true;
      $('verdict').textContent = '';
      $('table').querySelector('tbody')!.innerHTML = '';
      let trainStart = 0;
      let trainSteps = 0;
      let lossLabel = '';
      $('loss-phase').textContent = '';
      running = true;
      state.view = await api.view(req);
      drawLive();
      // Progress arrives on comlink's own message channel (one per run, released by the worker when the run settles). The
      // worker answers a run only after the page has handled its events (answerAfterEvents in live.ts).
      const onEvent = (e: PlaygroundEvent) => {
        if (!running) return;
        if (e.kind === 'log') {
          $('status').textContent = e.message.trim();
          return;
        }
        if (e.kind === 'paused') {
          $('status').textContent = `Paused. ${$('status').textContent}`;
          return;
        }
        if (e.kind === 'live') {
          const s = e.snapshot;
          const series = state.live[s.sampler];
          if (series) {
            series.history.push(s);
            series.last = s;
          } else state.live[s.sampler] = { order: Object.keys(state.live).length, history: [s], last: s };
          scheduleDraw();
          return;
        }
        // The chart follows the run's first training phase with a loss (the shared flow's; energy-only recipes' own
        // training phases come later and show in the status line only).
        if (e.label.startsWith('training') && typeof e.info.loss === 'number' && (lossLabel === '' || e.label === lossLabel)) {
          if (lossLabel === '') {
            lossLabel = e.label;
            $('loss-phase').textContent = `— ${e.label}`;
          }
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
      const results = (await api.run(req, Comlink.proxy(onEvent))) as Results;
      running = false;
      drawLive(); // the live charts' last state (trace, running ΔF); show() then draws the final rows
      state.running = false;
      show(results);
      $('status').textContent = `Done (seed ${req.seed}).`;
      state.finishedRuns++;
    },
  );
}

/** Samplers in the order they ran (live) or are listed (results). */
function liveNames(): string[] {
  return Object.entries(state.live)
    .sort((a, b) => a[1].order - b[1].order)
    .map(([k]) => k);
}
/** One colour per sampler name for every chart of a run (assigned in the order the run lists its samplers). */
const palette = new Map<string, string>();
function resetPalette(names: readonly string[]): void {
  palette.clear();
  for (const n of names) colorOf(n);
}
function colorOf(name: string): string {
  let c = palette.get(name);
  if (!c) {
    c = COLORS[palette.size % COLORS.length];
    palette.set(name, c);
  }
  return c;
}

function drawLive(): void {
  state.liveDraws++;
  const names = liveNames();
  drawScatters(
    names.map((n) => ({ sampler: n, points: state.live[n].last.points })),
    state.view?.grid,
    state.view?.axes ?? ['x₁', 'x₂'],
  );
  if (names.length === 0) return;
  // Traces on a common grid of one chain's evaluations (each sampler's points are `evaluationsPerPoint` apart).
  const budget = Math.max(...names.map((n) => state.live[n].last.budget / state.live[n].last.chains));
  const traces = names.map((n) => ({ evaluationsPerPoint: state.live[n].last.evaluationsPerPoint, values: state.live[n].last.trace }));
  const trace = alignSeries(traces, budget, 300);
  const df = runningBand(names.map((n) => state.live[n].history.map((s) => ({ evaluations: s.evaluations, deltaF: s.deltaF }))));
  const exact = names.map((n) => state.live[n].last.referenceDeltaF).find((v) => v !== null) ?? null;
  $('exact-live').textContent = exact === null ? 'unknown' : `${exact.toFixed(3)} kT`;
  const key = names.join(',');
  if (key !== plotKey) {
    plotKey = key;
    tracePlot?.destroy();
    dfPlot?.destroy();
    tracePlot = traceChart(names, [trace.x, ...trace.series] as uPlot.AlignedData);
    dfPlot = new uPlot(
      {
        width: width($('dfplot')),
        height: 220,
        scales: { x: { time: false } },
        legend: { show: false },
        axes: [{ label: 'energy evaluations (all chains)' }, { label: 'ΔF (kT)' }],
        series: [
          {},
          { label: 'exact', stroke: '#000', width: 1, dash: [6, 4] },
          ...names.flatMap((n) => [
            { label: n, stroke: colorOf(n), width: 2, spanGaps: true },
            { label: `${n} +1 se`, stroke: colorOf(n), width: 0.5, spanGaps: true },
            { label: `${n} −1 se`, stroke: colorOf(n), width: 0.5, spanGaps: true },
          ]),
        ],
        bands: names.map((n, k) => ({ series: [3 + 3 * k, 4 + 3 * k] as [number, number], fill: `${colorOf(n)}22` })),
      },
      [df.x, df.x.map(() => exact), ...df.series.flatMap((s) => [s.estimate, s.upper, s.lower])] as uPlot.AlignedData,
      $('dfplot'),
    );
  } else {
    tracePlot?.setData([trace.x, ...trace.series] as uPlot.AlignedData);
    dfPlot?.setData([df.x, df.x.map(() => exact), ...df.series.flatMap((s) => [s.estimate, s.upper, s.lower])] as uPlot.AlignedData);
  }
  drawEssBars(names.map((n) => ({ sampler: n, perThousand: 1000 * state.live[n].last.essPerEvaluation })));
  drawLegend(names);
  if (state.running) {
    void api
      .liveVerdictLine(
        names.map((n) => state.live[n].last.row),
        exact,
      )
      .then((line) => {
        if (state.running) $('verdict').textContent = line;
      });
  }
}

/** One colour key for all live charts (the uPlot legends are off: the ±stderr series would crowd them). */
function drawLegend(names: string[]): void {
  $('legend').innerHTML = `${names.map((n) => `<span style="color:${colorOf(n)}">■ ${n}</span>`).join('')}<span>- - exact ΔF</span>`;
}

function drawEssBars(rows: { sampler: string; perThousand: number }[]): void {
  const max = Math.max(1e-9, ...rows.map((r) => r.perThousand));
  const items = rows.map(
    (r) =>
      `<li class="row"><span>${r.sampler}</span><span class="bar" style="width:${((100 * r.perThousand) / max).toFixed(1)}%;background:${colorOf(r.sampler)}"></span><span>${r.perThousand.toFixed(2)}</span></li>`,
  );
  $('essbars').innerHTML = `${items.join('')}<li class="axis">ESS per 1000 evaluations (bar length relative to the best, ${max.toFixed(2)})</li>`;
}

/** One canvas per sampler: its samples over the contours of u. */
function drawScatters(sets: { sampler: string; points: [number, number][] }[], grid: TargetView['grid'] | undefined, axes: [string, string] | string[]): void {
  const box = $('scatters');
  while (box.children.length > sets.length) box.lastElementChild?.remove();
  sets.forEach((s, k) => {
    let fig = box.children[k] as HTMLElement | undefined;
    if (!fig) {
      fig = document.createElement('figure');
      fig.innerHTML = '<figcaption></figcaption><canvas width="360" height="300" role="img"></canvas>';
      box.append(fig);
    }
    fig.querySelector('figcaption')!.textContent = `${s.sampler}: ${s.points.length} samples`;
    const canvas = fig.querySelector('canvas')!;
    canvas.setAttribute('aria-label', `samples of ${s.sampler} over contours of u; ${axes[0]} horizontal, ${axes[1]} vertical`);
    drawScatter(canvas, s.points, grid, axes, colorOf(s.sampler));
  });
}

function drawScatter(
  canvas: HTMLCanvasElement,
  points: [number, number][],
  grid: TargetView['grid'] | undefined,
  axes: [string, string] | string[],
  color: string,
): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const W = canvas.width;
  const H = canvas.height;
  const pad = 40;
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
  ctx.textAlign = 'center';
  ctx.fillText(axes[0], pad + (W - pad) / 2, H - 4);
  ctx.save();
  ctx.translate(12, H / 2 - pad / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(axes[1], 0, 0);
  ctx.restore();
  const tick = (v: number) => String(Number(v.toPrecision(3)));
  for (const t of [xr[0], (xr[0] + xr[1]) / 2, xr[1]]) ctx.fillText(tick(t), Math.min(W - 14, px(t)), H - pad + 16);
  ctx.textAlign = 'right';
  for (const t of [yr[0], (yr[0] + yr[1]) / 2, yr[1]]) ctx.fillText(tick(t), pad - 4, Math.min(H - pad, Math.max(10, py(t) + 4)));
  ctx.textAlign = 'left';
  ctx.save();
  ctx.beginPath();
  ctx.rect(pad, 8, W - pad - 8, H - pad - 8);
  ctx.clip();
  ctx.fillStyle = color;
  for (const [x, y] of points) ctx.fillRect(px(x) - 1.5, py(y) - 1.5, 3, 3);
  ctx.restore();
}

function show(r: Results): void {
  state.results = r;
  if (r.artifacts.training) {
    state.loss = [r.artifacts.training.map((p) => p.step), r.artifacts.training.map((p) => p.loss ?? Number.NaN)];
    lossPlot.setData(state.loss);
  }
  // The final samples of every row (weighted samplers too: they stream nothing while running).
  const grid = r.artifacts.energyGrid ?? state.view?.grid;
  drawScatters(r.artifacts.samples ?? [], grid, r.artifacts.sampleAxes ?? state.view?.axes ?? ['x₁', 'x₂']);
  if (Object.keys(state.live).length === 0) drawImportedTraces(r);
  drawEssBars(r.samplers.map((s) => ({ sampler: s.sampler, perThousand: 1000 * (s.essPerEnergyEvaluation ?? 0) })));
  drawLegend(r.samplers.map((s) => s.sampler));
  const exact = r.reference?.deltaF;
  $('df-def').textContent = r.reference?.definition ?? 'ΔF = F(x₁>threshold) − F(x₁<threshold) in kT';
  $('exact').textContent = exact === undefined ? '–' : exact.toFixed(3);
  const rows = r.samplers.map((s) => {
    const d = s.deltaF ? `${s.deltaF.estimate.toFixed(3)} ± ${s.deltaF.stderr.toFixed(3)}` : 'n/a';
    const perK = s.essPerEnergyEvaluation !== undefined ? (1000 * s.essPerEnergyEvaluation).toFixed(2) : '–';
    return `<tr><th scope="row">${s.sampler}</th><td>${d}</td><td>${s.ess.toFixed(1)}</td><td>${perK}</td><td>${s.transitions ?? '–'}</td></tr>`;
  });
  $('table').querySelector('tbody')!.innerHTML = rows.join('');
  // The CLI's own verdict line (the library's rules: eligibility, interval), computed in the worker.
  void api.verdictLine((r.verdict ?? []) as Verdict[]).then((line) => {
    if (state.results === r) $('verdict').textContent = line;
  });
  ($('export') as HTMLButtonElement).disabled = false;
}

/** The x₁-trace chart: one line per sampler in its colour, against chain 0's energy evaluations. */
function traceChart(names: string[], data: uPlot.AlignedData): uPlot {
  return new uPlot(
    {
      width: width($('trace')),
      height: 220,
      scales: { x: { time: false } },
      legend: { show: false },
      axes: [{ label: 'energy evaluations of chain 0' }, { label: 'x₁' }],
      series: [{}, ...names.map((n) => ({ label: n, stroke: colorOf(n), width: 1 }))],
    },
    data,
    $('trace'),
  );
}

/** Traces of an imported results.json (no live history). */
function drawImportedTraces(r: Results): void {
  const traces = r.artifacts.traces ?? [];
  if (traces.length === 0) return;
  const budget = Math.max(...traces.map((t) => t.values.length * t.evaluationsPerPoint));
  const aligned = alignSeries(traces, budget, 300);
  plotKey = '';
  tracePlot?.destroy();
  tracePlot = traceChart(
    traces.map((t) => t.sampler),
    [aligned.x, ...aligned.series] as uPlot.AlignedData,
  );
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
    state.live = {};
    resetPalette(r.samplers.map((x) => x.sampler));
    show(r);
    $('status').textContent = `Imported ${file.name}.`;
  } catch (e) {
    $('status').textContent = `Import failed: ${(e as Error).message}`;
  }
});

function showTargetFields(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-for]')) el.hidden = el.dataset.for !== target();
  $('formula-error').hidden = target() !== 'formula';
}
$('target').addEventListener('change', showTargetFields);
showTargetFields();

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
$('pause').addEventListener('click', () => {
  setPaused(!state.paused);
  if (!state.paused) $('status').textContent = 'Resumed.';
});
$('reset').addEventListener('click', async () => {
  setPaused(false);
  worker.terminate();
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  api = Comlink.wrap<PlaygroundApi>(worker);
  state.results = null;
  state.running = false;
  state.loss = [[], []];
  state.live = {};
  lossPlot.setData(state.loss);
  drawLive();
  $('essbars').innerHTML = '';
  $('verdict').textContent = '';
  $('table').querySelector('tbody')!.innerHTML = '';
  ($('run') as HTMLButtonElement).disabled = false;
  ($('pause') as HTMLButtonElement).disabled = true;
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
    dfPlot?.setSize({ width: width($('dfplot')), height: 220 });
  }, 50);
});

$('pause-note').textContent = pauseFlag
  ? 'Pause stops the worker between chunks of chain steps (or training steps); Resume continues the same run.'
  : 'Pause needs a cross-origin-isolated page (COOP/COEP headers, as the dev server and preview send); here Reset stops a run.';
const params = new URLSearchParams(location.search);
const backendParam = params.get('backend');
if (backendParam) ($('backend-choice') as HTMLSelectElement).value = backendParam;
void startBackend().then(fillSamplers);
