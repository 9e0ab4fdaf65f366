// Regression tests of issue #12 for the boltzflow CLI: output directories (staging, --force, SIGINT, SIGKILL, --out
// errors), orphaned temp files, size before reading, option and config messages, lazy imports.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, isBoltzflowError } from '@boltzflow/core';
import { BACKEND_LIST, EXPERIMENT_CATALOG, main } from '../src/cli.js';
import { prepareRun } from '../src/run.js';
import { INCOMPLETE_MARKER, readResults, TMP_PREFIX, writeFileAtomic } from '../src/results.js';
import { EXPERIMENTS } from '../src/experiments/registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'boltzflow.js');
const backend = process.env.BOLTZFLOW_BACKEND ?? 'wasm';
/** The cheapest run there is: one sampler, a tiny budget. */
const CHEAP = { experiment: 'double-well', quick: true, params: { budget: 2000, training: { steps: 5 }, samplers: ['rwm'] } };

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

async function cheapConfig(dir: string): Promise<string> {
  const file = path.join(dir, 'cheap.json');
  await writeFile(file, JSON.stringify(CHEAP));
  return file;
}

interface Child {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Spawns the real command; `onLine` may signal the child once its output shows the run started. */
function spawnCli(args: string[], cwd: string, onStart?: (kill: (s: NodeJS.Signals) => void) => void): Promise<Child> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!started && onStart && /→/.test(stdout)) {
        started = true;
        onStart((s) => child.kill(s));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('command-line messages', () => {
  it('names an unknown option with a suggestion and a negative seed with the expected range', async () => {
    let r = await cli(['run', 'double-well', '--quik']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['boltzflow: error: unknown option --quik (did you mean --quick?)']);
    r = await cli(['run', 'double-well', '--seed', '-3']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain('--seed: expected an integer ≥ 0');
    r = await cli(['run', 'double-well', '--seed']);
    expect(r.err[0]).toContain('--seed: expected a value');
  });

  it('--out under a file or under /proc fails at once, naming --out and the reason', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-out-'));
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    for (const [out, reason] of [
      [path.join(file, 'sub'), /not a directory/],
      ['/proc/boltzflow-test/x', /cannot be created/],
    ] as const) {
      const r = await cli(['run', 'double-well', '--quick', '--backend', backend, '--out', out]);
      expect(r.code, out).toBe(2);
      expect(r.err[0], out).toContain(`--out ${out}`);
      expect(r.err[0], out).toMatch(reason);
      expect(r.err[0], out).not.toMatch(/ENOTDIR|EACCES|ENOENT/);
    }
  });

  it.skipIf(process.getuid?.() === 0)('--out in a read-only directory names --out and the permission', async () => {
    const { chmod } = await import('node:fs/promises');
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-ro-'));
    await chmod(dir, 0o555);
    const r = await cli(['run', 'double-well', '--quick', '--backend', backend, '--out', path.join(dir, 'x')]);
    expect(r.err[0]).toMatch(/--out .*permission denied/);
    await chmod(dir, 0o755);
  });

  it('reports every unknown config field, at any depth, in one message, and rejects __proto__ keys', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-cfg-'));
    const file = path.join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ experiment: 'double-well', colour: 1, params: { budgett: 5, training: { stepz: 3 } } }));
    const e = await prepareRun({ target: file }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isBoltzflowError(e)).toBe(true);
    for (const f of ["'colour'", "'params.budgett'", "'params.training.stepz'"]) expect((e as Error).message).toContain(f);
    await writeFile(file, '{"experiment": "double-well", "params": {"training": {"__proto__": {"steps": 1}}}}');
    const p = await prepareRun({ target: file }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isBoltzflowError(p) && p.code).toBe('INVALID_CONFIG');
    expect((p as Error).message).toContain('params.training.__proto__');
  });

  it('--help and list do not load TensorFlow.js (the experiments are imported lazily)', async () => {
    const probe = (args: string[]): Promise<{ code: number; tfLoaded: boolean }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'loadProbe.ts'), ...args], {
          cwd: path.join(here, '..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.on('close', () => {
          try {
            resolve(JSON.parse(out.trim().split('\n').pop()!));
          } catch (e) {
            reject(e);
          }
        });
      });
    expect(await probe(['--help'])).toEqual({ code: 0, tfLoaded: false });
    expect(await probe(['list'])).toEqual({ code: 0, tfLoaded: false });
    // The probe does see TF.js when a command needs it.
    expect(await probe(['report', path.join(tmpdir(), 'bf-no-such-dir')])).toEqual({ code: 2, tfLoaded: true });
  }, 120_000);

  it("the CLI's static catalog and backend list match the registry and core", () => {
    expect(EXPERIMENT_CATALOG).toEqual(EXPERIMENTS.map((e) => ({ name: e.name, description: e.description })));
    expect(BACKEND_LIST).toBe(BACKEND_NAMES.join('|'));
  });
});

describe('output directories', () => {
  it('refuses to overwrite results without --force, replaces them with it, and leaves no staging directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-force-'));
    const config = await cheapConfig(dir);
    const out = path.join(dir, 'out');
    await mkdir(path.join(out, 'figures'), { recursive: true });
    await writeFile(path.join(out, 'results.json'), '{"old": true}');
    await writeFile(path.join(out, 'figures', 'stale.svg'), '<svg/>');
    let r = await cli(['run', config, '--backend', backend, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/already holds results; pass --force/);
    expect(await readFile(path.join(out, 'results.json'), 'utf8')).toBe('{"old": true}');
    // A non-empty directory without results is never replaced, even with --force.
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    r = await cli(['run', config, '--backend', backend, '--out', dir, '--force']);
    expect(r.err[0]).toMatch(/holds no boltzflow results/);
    r = await cli(['run', config, '--backend', backend, '--out', out, '--force']);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect((await readResults(out)).experiment).toBe('double-well');
    expect(existsSync(path.join(out, 'figures', 'stale.svg'))).toBe(false); // the other run's figures went with it
    expect(existsSync(path.join(out, INCOMPLETE_MARKER))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(TMP_PREFIX))).toEqual([]);
  }, 300_000);

  it('SIGINT exits 130, says nothing was saved and leaves no directory behind', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-int-'));
    // Long enough that the signal lands mid-run: the cheapest run can finish before a quiet machine delivers it.
    const config = path.join(dir, 'cheap.json');
    await writeFile(config, JSON.stringify({ ...CHEAP, params: { ...CHEAP.params, budget: 400_000 } }));
    // No --out: the run would create results/<name>-<timestamp> under cwd.
    const r = await spawnCli(['run', config, '--backend', backend], dir, (kill) => kill('SIGINT'));
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted.*nothing was saved/);
    expect(readdirSync(dir).sort()).toEqual(['cheap.json']);
  }, 300_000);

  it('a run killed while replacing results leaves the old results whole; the staging directory is marked, refused by report, and swept by the next run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-kill-'));
    const config = await cheapConfig(dir);
    const out = path.join(dir, 'out');
    await mkdir(out);
    await writeFile(path.join(out, 'results.json'), '{"old": true}');
    const r = await spawnCli(['run', config, '--backend', backend, '--out', out, '--force'], dir, (kill) => kill('SIGKILL'));
    expect(r.signal).toBe('SIGKILL');
    expect(await readFile(path.join(out, 'results.json'), 'utf8')).toBe('{"old": true}');
    const staged = readdirSync(dir).filter((f) => f.startsWith(TMP_PREFIX));
    expect(staged.length).toBe(1);
    expect(existsSync(path.join(dir, staged[0], INCOMPLETE_MARKER))).toBe(true);
    const rep = await cli(['report', path.join(dir, staged[0])]);
    expect(rep.code).toBe(2);
    expect(rep.err[0]).toMatch(/incomplete run/);
    // The next run into the same parent sweeps the dead run's staging directory (its pid is gone).
    const again = await cli(['run', config, '--backend', backend, '--out', path.join(dir, 'out2')]);
    expect(again.code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith(TMP_PREFIX))).toEqual([]);
  }, 300_000);
});

describe('results files', () => {
  it('writeFileAtomic sweeps temp files of dead writers and keeps those of live ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-tmp-'));
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.on('exit', () => resolve(c.pid!));
    });
    const orphan = `${TMP_PREFIX}${dead}-0000-results.json`;
    const live = `${TMP_PREFIX}${process.ppid}-0000-results.json`;
    await writeFile(path.join(dir, orphan), '{"partial');
    await writeFile(path.join(dir, live), '{"in flight');
    await writeFileAtomic(path.join(dir, 'results.json'), '{}');
    expect(readdirSync(dir).sort()).toEqual([live, 'results.json'].sort());
  });

  it('readResults refuses an oversized results.json before reading it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-cli-big-'));
    await writeFile(path.join(dir, 'results.json'), '');
    await truncate(path.join(dir, 'results.json'), 300 * 2 ** 20); // sparse: no disk used
    const before = process.memoryUsage().rss;
    const e = await readResults(dir).then(
      () => undefined,
      (x: unknown) => x,
    );
    const grown = process.memoryUsage().rss - before;
    expect(isBoltzflowError(e) && e.code).toBe('INVALID_CONFIG');
    expect((e as Error).message).toMatch(/too large/);
    expect(grown).toBeLessThan(100 * 2 ** 20);
  });
});
