import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, type SectionResult } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Property-test counts: the suite writes them when BOLTZFLOW_PROPERTY_COUNTS names a file. */
export interface PropertyCounts {
  [property: string]: { runs: number; typedErrors: number; finiteResults: number };
}

/** Runs tools/test/property.test.ts in vitest and reports how many cases each property tried. */
export async function propertySection(): Promise<SectionResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'boltzflow-props-'));
  const file = path.join(dir, 'counts.json');
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const vitest = path.resolve(here, '..', '..', 'node_modules', 'vitest', 'vitest.mjs');
    const child = spawn(process.execPath, [vitest, 'run', 'test/property.test.ts'], {
      cwd: path.join(here, '..'),
      env: { ...process.env, BOLTZFLOW_PROPERTY_COUNTS: file },
      stdio: 'ignore',
    });
    child.on('close', resolve);
  });
  const secs = (performance.now() - t0) / 1000;
  try {
    if (!existsSync(file)) return { title: 'Bad-input property tests', markdown: `The property suite wrote no counts (vitest exit ${code}).` };
    const counts = JSON.parse(readFileSync(file, 'utf8')) as PropertyCounts;
    const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
    const total = entries.reduce((s, [, c]) => s + c.runs, 0);
    const md = [
      `\`tools/test/property.test.ts\` (fast-check): **${total} generated cases** over ${entries.length} properties in ${secs.toFixed(0)} s (vitest exit ${code}; 0 = all passed). Each case must end in a typed BoltzflowError naming the argument, or a finite valid result.`,
      '',
      table(
        ['property', 'cases', 'typed errors', 'finite results'],
        entries.map(([k, c]) => [k, c.runs, c.typedErrors, c.finiteResults]),
      ),
    ];
    return { title: 'Bad-input property tests', markdown: md.join('\n'), data: counts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
