/**
 * End to end in headless Chromium: build the app, serve dist/ on a loopback port, train the double-well flow and run
 * fixed-step RWM vs flow IMH through the page, then check the run against the CLI's results schema and the exact ΔF.
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
import { ResultsSchema } from '../../experiments/src/results.js';
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

/** Clicks Run and waits until the page has finished its `n`-th run (or reports a failure); the run must succeed. */
async function runAndWait(page: import('playwright-core').Page, n: number, timeout: number): Promise<void> {
  await page.click('#run');
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
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
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

  it('trains, runs RWM vs flow IMH, exports schema-valid results, rejects a bad formula', async () => {
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

      await page.fill('#formula', 'x1^4 + ');
      await page.waitForFunction(() => (document.getElementById('formula-error')?.textContent ?? '').length > 0, null, { timeout: 10_000 });
      expect(await page.textContent('#formula-error')).toMatch(/Bad energy formula/);
      await page.fill('#formula', 'x1^4 - 6*x1^2 + 0.5*x2^2');
      await page.waitForFunction(() => document.getElementById('formula-error')?.textContent === '', null, { timeout: 10_000 });
      await page.fill('#formula', ''); // the first run uses the double-well preset

      await page.fill('#steps', '120');
      await page.fill('#budget', '6000');
      await page.fill('#chains', '8');
      await page.fill('#rwmstep', '0.1');
      await page.fill('#seed', '3');
      await runAndWait(page, 1, 150_000);

      const out = (await page.evaluate(() => {
        const s = (window as unknown as { __playground: { exportJson(): string; trainingStepsPerSecond: number | null } }).__playground;
        return { json: s.exportJson(), stepsPerSecond: s.trainingStepsPerSecond };
      })) as { json: string; stepsPerSecond: number | null };
      const results = ResultsSchema.parse(JSON.parse(out.json));
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
      expect(Math.abs(d.estimate - exact)).toBeLessThanOrEqual(3 * d.stderr);

      mkdirSync(shots, { recursive: true });
      writeFileSync(path.join(shots, 'results.json'), out.json);
      await page.screenshot({ path: path.join(shots, 'playground-1280x800.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300); // the charts resize 50 ms after the window does
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: path.join(shots, 'playground-390x844.png'), fullPage: true });
      writeFileSync(
        path.join(shots, 'bench.json'),
        JSON.stringify({ backend: 'wasm', trainingStepsPerSecond: out.stepsPerSecond, wallSeconds: results.wallSeconds }, null, 2),
      );
      expect(statSync(path.join(shots, 'playground-390x844.png')).size).toBeGreaterThan(1000);

      // A custom formula runs through the same comparison; by the x₁ → −x₁ symmetry its exact ΔF is 0.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.fill('#formula', 'x1^4 - 6*x1^2 + 0.5*x2^2');
      await page.fill('#steps', '10');
      await page.fill('#budget', '2000');
      await runAndWait(page, 2, 120_000);
      const custom = ResultsSchema.parse(
        JSON.parse(await page.evaluate(() => (window as unknown as { __playground: { exportJson(): string } }).__playground.exportJson())),
      );
      expect(custom.experiment).toBe('playground-formula');
      expect(Math.abs(custom.reference?.deltaF as number)).toBeLessThan(1e-3);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 200_000);
});
