/**
 * End to end in headless Chromium: build the app, serve dist/ on a loopback port, train the double-well flow and run
 * fixed-step RWM vs flow IMH through the page with live chain snapshots and a pause, a second target twice for
 * reproducibility, then check the runs against the CLI's results schema and the exact ΔF.
 * Skipped with a message when no chromium is installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend } from '@boltzflow/core';
import type { Draws } from '@boltzflow/samplers';
import { ResultsSchema } from '../../experiments/src/results.js';
import { resolveRun, type RunRequest } from '../src/targets.js';
import { findChromium } from '../../experiments/test/browserCheck.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const shots = path.join(root, 'test-artifacts');
const chromium = findChromium();
if (!chromium) console.warn('playground e2e skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM_PATH)');

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** The page's live state, as the test reads it through `window.__playground`. */
type Live = {
  running: boolean;
  liveDraws: number;
  loss: [number[], number[]];
  live: Record<
    string,
    {
      history: unknown[];
      last: {
        evaluations: number;
        chainSteps: number;
        seconds: number;
        deltaF: { estimate: number; stderr: number } | null;
        transitions: number | null;
        referenceDeltaF: number | null;
      };
    }
  >;
};

/** A results.json without the fields that measure time (wall clocks, start time, per-second rates such as essPerTotalSecond). */
function withoutTimings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimings);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !/second|startedAt|wall/i.test(k))
        .map(([k, x]) => [k, withoutTimings(x)]),
    );
  return v;
}

/** Waits until the page has finished its `n`-th run (or reports a failure); the run must succeed. */
async function waitDone(page: import('playwright-core').Page, n: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    (k) =>
      (window as unknown as { __playground: { finishedRuns: number } }).__playground.finishedRuns === k ||
      /^Run failed/.test(document.getElementById('status')?.textContent ?? ''),
    n,
    { timeout },
  );
  expect(await page.textContent('#status')).toMatch(/^Done/);
}

describe.skipIf(!chromium)('playground in headless Chromium', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    server = createServer((req, res) => {
      const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = path.join(dist, rel === '/' ? 'index.html' : rel);
      if (!file.startsWith(dist)) return void res.writeHead(403).end();
      try {
        const body = readFileSync(file);
        // Cross-origin isolated, as vite's dev server and preview serve it (the pause flag is a SharedArrayBuffer).
        res
          .writeHead(200, {
            'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
            'cross-origin-opener-policy': 'same-origin',
            'cross-origin-embedder-policy': 'require-corp',
          })
          .end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 120_000);
  afterAll(() => server?.close());

  it('ships at most 2 MB gzipped of JavaScript, CSS and HTML (WASM binaries excluded)', () => {
    const files = [path.join(dist, 'index.html'), ...readdirSync(path.join(dist, 'assets')).map((f) => path.join(dist, 'assets', f))];
    const gz = files.filter((f) => /\.(js|css|html)$/.test(f)).reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    console.log(`playground bundle: ${(gz / 1e6).toFixed(3)} MB gzipped without WASM`);
    mkdirSync(shots, { recursive: true });
    writeFileSync(path.join(shots, 'bundle.json'), JSON.stringify({ gzippedBytesWithoutWasm: gz }, null, 2));
    expect(gz).toBeLessThanOrEqual(2e6);
  });

  it('trains live, streams chains, pauses, runs a second target reproducibly, exports schema-valid results, rejects a bad formula', async () => {
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({
      executablePath: chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}?backend=wasm`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.getElementById('backend')?.textContent?.startsWith('wasm'), null, { timeout: 30_000 });
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
      // The sampler picker is the registry's recipe list, energy-only samplers and snf included.
      await page.waitForSelector('input[name=sampler][value=fab-imh]', { timeout: 10_000 });
      const offered = await page.$$eval('input[name=sampler]', (els) => els.map((e) => (e as HTMLInputElement).value));
      expect(offered).toEqual(expect.arrayContaining(['rwm-scan', 'flow-imh', 'flowmc', 'bg-loop', 'fab-is', 'fab-imh', 'snf']));

      // Keyboard: the target select and the formula field are reachable and usable without a mouse.
      await page.focus('#target');
      await page.keyboard.press('End'); // last option: custom formula
      await page.waitForFunction(() => !(document.querySelector('[data-for=formula]') as HTMLElement).hidden, null, { timeout: 5_000 });
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('formula');
      await page.keyboard.type('x1^4 + ');
      await page.waitForFunction(() => (document.getElementById('formula-error')?.textContent ?? '').length > 0, null, { timeout: 10_000 });
      expect(await page.textContent('#formula-error')).toMatch(/Bad energy formula/);
      await page.fill('#formula', 'x1^4 - 6*x1^2 + 0.5*x2^2');
      await page.waitForFunction(() => document.getElementById('formula-error')?.textContent === '', null, { timeout: 10_000 });

      await page.selectOption('#target', 'double-well');
      await page.fill('#steps', '120');
      await page.fill('#budget', '6000');
      await page.fill('#chains', '8');
      await page.fill('#rwmstep', '0.1');
      await page.fill('#seed', '3');
      await page.click('#run');
      // Live: chain snapshots arrive and are drawn while the run is still going; then pause holds everything still.
      await page.waitForFunction(
        () => {
          const s = (window as unknown as { __playground: Live }).__playground;
          return s.running && Object.keys(s.live).length > 0 && s.liveDraws > 0;
        },
        null,
        { timeout: 120_000 },
      );
      await page.click('#pause');
      await page.waitForFunction(() => /^Paused/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 60_000 });
      const frozen = () =>
        page.evaluate(() => {
          const s = (window as unknown as { __playground: Live }).__playground;
          return JSON.stringify([s.loss[0].length, Object.values(s.live).map((l) => l.history.length), s.running]);
        });
      const before = await frozen();
      await page.waitForTimeout(1500);
      expect(await frozen()).toBe(before);
      expect(JSON.parse(before)[2]).toBe(true);
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'playground-paused-1280x800.png'), fullPage: true });
      await page.keyboard.press('Tab'); // leave focus somewhere; resume by keyboard on the button
      await page.focus('#pause');
      await page.keyboard.press('Enter');
      await waitDone(page, 1, 150_000);

      const out = (await page.evaluate(() => {
        const s = (window as unknown as { __playground: Live & { exportJson(): string; trainingStepsPerSecond: number | null } }).__playground;
        return { json: s.exportJson(), stepsPerSecond: s.trainingStepsPerSecond, live: s.live };
      })) as { json: string; stepsPerSecond: number | null; live: Live['live'] };
      const results = ResultsSchema.parse(JSON.parse(out.json));
      expect(results.libraryVersion).toBe(JSON.parse(readFileSync(path.join(root, '../experiments/package.json'), 'utf8')).version);
      const curve = (results.artifacts.training ?? []).map((p) => p.loss).filter((l): l is number => l !== null);
      expect(results.experiment).toBe('double-well');
      expect(curve.length).toBeGreaterThan(40);
      const q = Math.floor(curve.length / 4);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
      console.log(`loss: first quarter ${mean(curve.slice(0, q)).toFixed(3)}, last quarter ${mean(curve.slice(-q)).toFixed(3)}`);
      expect(mean(curve.slice(-q))).toBeLessThan(mean(curve.slice(0, q)));

      const bySampler = Object.fromEntries(results.samplers.map((s) => [s.sampler, s]));
      const imh = bySampler['flow-imh'];
      const rwm = bySampler['rwm-scan'];
      expect(imh.transitions ?? 0).toBeGreaterThan(0);
      expect(rwm.transitions ?? 0).toBe(0);
      const exact = results.reference?.deltaF as number;
      const d = imh.deltaF as { estimate: number; stderr: number };
      console.log(
        `flow-imh: ${imh.transitions} crossings, ΔF ${d.estimate.toFixed(3)} ± ${d.stderr.toFixed(3)} (exact ${exact.toFixed(3)}); rwm-scan ${rwm.transitions}`,
      );
      expect(Math.abs(d.estimate - exact)).toBeLessThanOrEqual(3 * d.stderr);
      // The live view streamed several snapshots per chain sampler, and its last one is the final row's ΔF (same metric code, same draws).
      const liveImh = out.live['flow-imh'];
      expect(liveImh.history.length).toBeGreaterThanOrEqual(3);
      expect(liveImh.last.evaluations).toBe(Math.min(imh.energyEvaluations, 6000));
      expect(liveImh.last.deltaF?.estimate).toBeCloseTo(d.estimate, 9);
      expect(liveImh.last.transitions).toBe(imh.transitions);
      expect(liveImh.last.referenceDeltaF).toBeCloseTo(exact, 9);
      expect(out.live['rwm-scan'].history.length).toBeGreaterThanOrEqual(3);

      mkdirSync(shots, { recursive: true });
      writeFileSync(path.join(shots, 'results.json'), out.json);
      await page.screenshot({ path: path.join(shots, 'playground-1280x800.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      // The charts resize 50 ms (debounced) after the window does: wait for the page to fit, then measure it.
      await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 30_000 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: path.join(shots, 'playground-390x844.png'), fullPage: true });
      const liveBench = Object.fromEntries(Object.entries(out.live).map(([k, l]) => [k, l.last.chainSteps / l.last.seconds]));
      writeFileSync(
        path.join(shots, 'bench.json'),
        JSON.stringify(
          { backend: 'wasm', trainingStepsPerSecond: out.stepsPerSecond, chainStepsPerSecond: liveBench, wallSeconds: results.wallSeconds },
          null,
          2,
        ),
      );
      expect(statSync(path.join(shots, 'playground-390x844.png')).size).toBeGreaterThan(1000);

      // A second target (Müller–Brown, the CLI's experiment module), twice with one seed: the same results but for timings.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.selectOption('#target', 'mueller-brown');
      await page.fill('#steps', '20');
      await page.fill('#budget', '2000');
      await page.fill('#seed', '5');
      const exportNow = async () =>
        ResultsSchema.parse(JSON.parse(await page.evaluate(() => (window as unknown as { __playground: { exportJson(): string } }).__playground.exportJson())));
      await page.click('#run');
      await waitDone(page, 2, 120_000);
      const mbA = await exportNow();
      await page.click('#run');
      await waitDone(page, 3, 120_000);
      const mbB = await exportNow();
      expect(mbA.experiment).toBe('mueller-brown');
      expect(Number.isFinite(mbA.reference?.deltaF)).toBe(true);
      expect(withoutTimings(mbB)).toEqual(withoutTimings(mbA));
      await page.screenshot({ path: path.join(shots, 'playground-mueller-brown-1280x800.png'), fullPage: true });

      // Many-well with a chosen d (the CLI's many-well-32 module): log Z is exact, the scatter shows the first well.
      await page.selectOption('#target', 'many-well');
      await page.fill('#dim', '4');
      await page.fill('#steps', '10');
      await page.click('#run');
      await waitDone(page, 4, 120_000);
      const mw = await exportNow();
      expect(mw.experiment).toBe('many-well-32');
      expect((mw.config.params as { dim: number }).dim).toBe(4);
      expect(Number.isFinite(mw.reference?.logZ)).toBe(true);

      // A custom formula runs through the same comparison; by the x₁ → −x₁ symmetry its exact ΔF is 0.
      await page.selectOption('#target', 'formula');
      await page.click('#run');
      await waitDone(page, 5, 120_000);
      const custom = await exportNow();
      expect(custom.experiment).toBe('playground-formula');
      expect(Math.abs(custom.reference?.deltaF as number)).toBeLessThan(1e-3);

      // A formula whose exact ΔF is not finite (no mass at x₁ > 0 on the quadrature grid): the run fails with the typed
      // error shown in the status line, and the page is usable again (Run enabled, nothing running).
      await page.fill('#formula', '800*x1 + x2^2');
      await page.click('#run');
      await page.waitForFunction(() => /^Run failed/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 60_000 });
      expect(await page.textContent('#status')).toMatch(/not finite.*argument 'formula'/);
      expect(await page.isEnabled('#run')).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { __playground: Live }).__playground.running)).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);
  // Opt-in (PLAYGROUND_BENCH=1; speed is no test assertion): the same run in the page on WebGL (SwiftShader, no GPU here)
  // and on WASM, and in Node on WASM; numbers to test-artifacts/bench-backends.json for BENCHMARKS.md.
  it.skipIf(!process.env.PLAYGROUND_BENCH)(
    'benchmark: training steps/s and chain-steps/s, browser WebGL and WASM vs Node WASM',
    async () => {
      const req: RunRequest = {
        target: 'double-well',
        preset: 'snf',
        dim: 8,
        seed: 1,
        samplers: ['rwm-scan', 'flow-imh'],
        budget: 6000,
        chains: 8,
        trainingSteps: 60,
        rwmStep: 0.1,
      };
      const { chromium: pw } = await import('playwright-core');
      const out: Record<string, unknown> = { workload: req };
      for (const [backend, args] of [
        ['wasm', ['--disable-gpu']],
        ['webgl', ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist']],
      ] as const) {
        const browser = await pw.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-background-networking', ...args] });
        try {
          const page = await browser.newPage();
          await page.goto(`${base}?backend=${backend}`, { waitUntil: 'load' });
          await page.waitForFunction(() => !/starting/.test(document.getElementById('backend')?.textContent ?? 'starting'), null, { timeout: 60_000 });
          await page.waitForSelector('input[name=sampler][value=flow-imh]');
          await page.fill('#steps', String(req.trainingSteps));
          await page.fill('#budget', String(req.budget));
          await page.fill('#chains', String(req.chains));
          await page.fill('#seed', String(req.seed));
          await page.click('#run');
          await waitDone(page, 1, 400_000);
          out[`browser-${backend}`] = await page.evaluate(() => {
            const s = (window as unknown as { __playground: Live & { trainingStepsPerSecond: number; backend: string; results: { wallSeconds: number } } })
              .__playground;
            return {
              backend: s.backend,
              trainingStepsPerSecond: s.trainingStepsPerSecond,
              chainStepsPerSecond: Object.fromEntries(Object.entries(s.live).map(([k, l]) => [k, l.last.chainSteps / l.last.seconds])),
              wallSeconds: s.results.wallSeconds,
            };
          });
        } finally {
          await browser.close();
        }
      }
      // Node, WASM: the page's own run (targets.ts), timed the way the page times it.
      await initBackend('wasm');
      const trainTimes: number[] = [];
      const chain: Record<string, { first: number; last: number; steps: number }> = {};
      let current = '';
      const progress = {
        sampler: (name: string) => void (current = name),
        bar: (label: string) => ({
          update: (_v: number, info?: Record<string, string | number>) => {
            if (label.startsWith('training') && typeof info?.loss === 'number') trainTimes.push(performance.now());
          },
          draws: (b: Draws) => {
            if (label !== `sampling ${current}`) return;
            const c = (chain[current] ??= { first: performance.now(), last: 0, steps: 0 });
            c.last = performance.now();
            c.steps += b.shape[0] * b.shape[1];
          },
          stop: () => undefined,
        }),
        log: () => undefined,
      };
      const t0 = performance.now();
      await resolveRun(req).run({ seed: req.seed, quick: false, rng: createRng(req.seed), progress });
      out['node-wasm'] = {
        backend: 'wasm',
        trainingStepsPerSecond: (trainTimes.length - 1) / ((trainTimes[trainTimes.length - 1] - trainTimes[0]) / 1000),
        chainStepsPerSecond: Object.fromEntries(Object.entries(chain).map(([k, c]) => [k, c.steps / ((c.last - c.first) / 1000)])),
        wallSeconds: (performance.now() - t0) / 1000,
      };
      console.log(JSON.stringify(out, null, 2));
      mkdirSync(shots, { recursive: true });
      writeFileSync(path.join(shots, 'bench-backends.json'), JSON.stringify(out, null, 2));
    },
    900_000,
  );
});
