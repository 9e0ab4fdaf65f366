import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/index.js';
import { checkReportInBrowser, findChromium } from './browserCheck.js';
import { syntheticResults } from './syntheticResults.js';

const chromium = findChromium();
if (!chromium) console.warn('[browser.test] skipped: no chromium on PATH (install it with `apt-get install -y chromium`, or set CHROMIUM_PATH)');

describe.skipIf(!chromium)('report page in headless Chromium', () => {
  it('renders every figure with non-zero size and marks, without network requests', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-browser-'));
    const files = await writeReport(dir, syntheticResults());
    const check = await checkReportInBrowser(chromium!, files.html, dir);
    expect(check.requests).toEqual([]);
    expect(check.figures.map((f) => f.id)).toEqual(files.figures.map((f) => f.figure.id));
    for (const f of check.figures) {
      expect(f.width, f.id).toBeGreaterThan(50);
      expect(f.height, f.id).toBeGreaterThan(50);
      expect(f.marks, f.id).toBeGreaterThan(5);
    }
    expect((await stat(check.screenshot)).size).toBeGreaterThan(10_000);
  });
});
