/**
 * Checks that a refactor changes no result: runs every built-in experiment with `--quick` (same seed and backend) and
 * compares the results.json files of two such runs, ignoring wall times and what is derived from them.
 *
 *   npx tsx tools/compare-results.ts run <outDir> [--seed N] [--backend wasm] [--only a,b]   # one results.json per experiment
 *   npx tsx tools/compare-results.ts diff <dirA> <dirB>                                       # exit 1 if any number moved
 *
 * `run` goes through the `boltzflow` command (`apps/experiments/bin/boltzflow.js`), so it works on any commit of the app.
 * `diff` compares every number exactly (Object.is) and every string; rows and figure series that carry a `sampler`
 * name are matched by that name (their order is presentation). Keys of clock readings (wallSeconds, essPerSecond,
 * startedAt, secondsPerEpoch, …) are skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXPERIMENTS = ['double-well', 'mueller-brown', 'gmm-40', 'many-well-32', 'two-moons', 'dw4', 'lj13'];

/** Keys whose values are clock readings or rates per second: they differ between any two runs. */
const TIME_KEY = /(seconds|second|startedAt|wall|elapsed|perEpoch)/i;

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

function run(args: string[]): number {
  const out = args[0];
  if (!out) throw new Error('run: expected an output directory');
  const seed = option(args, '--seed', '20240');
  const backend = option(args, '--backend', 'wasm');
  const only = option(args, '--only', EXPERIMENTS.join(',')).split(',');
  const bin = path.join(ROOT, 'apps/experiments/bin/boltzflow.js');
  let failed = 0;
  for (const name of only) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'run', name, '--quick', '--seed', seed, '--backend', backend, '--out', path.resolve(out, name)], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: ROOT,
    });
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    process.stdout.write(`${name}: exit ${r.status} (${s} s)\n`);
    if (r.status !== 0) failed++;
  }
  return failed ? 1 : 0;
}

function isSamplerRow(x: unknown): boolean {
  return !!x && typeof x === 'object' && typeof (x as { sampler?: unknown }).sampler === 'string';
}

/** Every leaf that differs, as `path: a → b`. */
function differences(a: unknown, b: unknown, at: string, out: string[]): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (!Object.is(a, b)) out.push(`${at}: ${a} → ${b} (Δ ${(b - a).toExponential(2)})`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    // Rows and figure series of samplers are matched by sampler name: their order is presentation, not a result.
    if (a.length > 0 && a.every(isSamplerRow) && b.every(isSamplerRow)) {
      const byName = (xs: unknown[]) => new Map(xs.map((x) => [(x as { sampler: string }).sampler, x] as const));
      const ma = byName(a);
      const mb = byName(b);
      for (const k of new Set([...ma.keys(), ...mb.keys()])) {
        if (!ma.has(k)) out.push(`${at}[${k}]: added`);
        else if (!mb.has(k)) out.push(`${at}[${k}]: removed`);
        else differences(ma.get(k), mb.get(k), `${at}[${k}]`, out);
      }
      return;
    }
    const text = [...a, ...b].every((x) => typeof x === 'string');
    if (a.length !== b.length) out.push(`${at}: length ${a.length} → ${b.length}${text ? ' (text)' : ''}`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) differences(a[i], b[i], `${at}[${i}]`, out);
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object).filter((k) => !TIME_KEY.test(k));
    const kb = Object.keys(b as object).filter((k) => !TIME_KEY.test(k));
    for (const k of new Set([...ka, ...kb])) {
      if (!(k in (a as object))) out.push(`${at}.${k}: added`);
      else if (!(k in (b as object))) out.push(`${at}.${k}: removed`);
      else differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`, out);
    }
    return;
  }
  if (a !== b) out.push(`${at}: ${JSON.stringify(a)} → ${JSON.stringify(b)}${typeof a === 'string' && typeof b === 'string' ? '' : ' (Δ value)'}`);
}

function diff(args: string[]): number {
  const [dirA, dirB] = args;
  if (!dirA || !dirB) throw new Error('diff: expected two directories');
  const names = readdirSync(dirA).filter((n) => existsSync(path.join(dirA, n, 'results.json')));
  let moved = 0;
  for (const name of names) {
    const fb = path.join(dirB, name, 'results.json');
    if (!existsSync(fb)) {
      process.stdout.write(`${name}: missing in ${dirB}\n`);
      moved++;
      continue;
    }
    const a = JSON.parse(readFileSync(path.join(dirA, name, 'results.json'), 'utf8'));
    const b = JSON.parse(readFileSync(fb, 'utf8'));
    const out: string[] = [];
    differences(a, b, name, out);
    // A number that moved is a result that changed; text (descriptions, notes) is reported but counted apart.
    const numeric = out.filter((l) => /\(Δ |length \d+ → \d+$|added$|removed$/.test(l));
    process.stdout.write(
      out.length
        ? `${name}: ${numeric.length} numbers moved, ${out.length - numeric.length} text differences\n  ${out.slice(0, 40).join('\n  ')}\n`
        : `${name}: identical (wall times excluded)\n`,
    );
    if (numeric.length) moved++;
  }
  return moved ? 1 : 0;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'run') process.exitCode = run(rest);
else if (command === 'diff') process.exitCode = diff(rest);
else {
  process.stderr.write('usage: compare-results.ts run <outDir> [--seed N] [--backend B] [--only a,b] | diff <dirA> <dirB>\n');
  process.exitCode = 2;
}
