// Sweep spec, summary statistics and bad input; nothing here runs an experiment (sweepQueue.test.ts does).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { expandSweep, readSweepFile } from '../src/sweep/spec.js';
import { checkRedis, parseRedisUrl } from '../src/sweep/queue.js';
import { bootstrapMean, summarize, summaryHtml } from '../src/sweep/summary.js';
import { runSweep } from '../src/sweep/sweep.js';
import type { RunSummary } from '../src/sweep/execute.js';
import { syntheticResults } from './syntheticResults.js';

const tmp = () => mkdtemp(path.join(tmpdir(), 'bf-sweep-'));

describe('sweep spec', () => {
  it('expands experiments × grid × seeds into runs with ids that depend on the config only', () => {
    const spec = {
      seeds: [1, 2, 3],
      experiments: [{ experiment: 'double-well', quick: true, params: { chains: 8 }, grid: { budget: [4000, 8000], 'training.steps': [10, 20] } }],
    };
    const runs = expandSweep(spec);
    expect(runs).toHaveLength(2 * 2 * 3);
    expect(new Set(runs.map((r) => r.id)).size).toBe(12);
    const r = runs.find((x) => x.config.seed === 2 && (x.config.params as any).budget === 8000 && (x.config.params as any).training.steps === 10)!;
    expect(r.config).toEqual({ experiment: 'double-well', seed: 2, quick: true, params: { chains: 8, budget: 8000, training: { steps: 10 } } });
    expect(r.group).toBe('double-well budget=8000 training.steps=10');
    // Key order in the file does not change an id; a changed value does.
    const reordered = expandSweep({
      experiments: [{ grid: { 'training.steps': [10, 20], budget: [4000, 8000] }, params: { chains: 8 }, quick: true, experiment: 'double-well' }],
      seeds: [3, 2, 1],
    });
    expect(new Set(reordered.map((x) => x.id))).toEqual(new Set(runs.map((x) => x.id)));
    const other = expandSweep({
      seeds: [2],
      experiments: [{ experiment: 'double-well', quick: true, params: { chains: 16, budget: 8000, training: { steps: 10 } } }],
    });
    expect(runs.map((x) => x.id)).not.toContain(other[0].id);
    expect(expandSweep({ seeds: { from: 5, count: 4 }, experiments: [{ experiment: 'double-well' }] }).map((x) => x.config.seed)).toEqual([5, 6, 7, 8]);
  });

  it('reports every problem at once with its field path, before anything runs', () => {
    const spec = {
      seeds: [1],
      experiments: [
        { experiment: 'double-wel' },
        { experiment: 'double-well', params: { trainnig: { steps: 5 } }, grid: { budget: [-5, 4000] } },
        { experiment: 'mueller-brown', grid: { 'flow.layerz': [2] } },
      ],
    };
    let err: Error | undefined;
    try {
      expandSweep(spec);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('BoltzflowError');
    const msg = err!.message;
    expect(msg).toContain(`'experiments[0].experiment': expected one of`);
    expect(msg).toContain('"double-wel"');
    expect(msg).toContain(`'experiments[1].params.trainnig': expected no such field`);
    expect(msg).toContain(`'experiments[1].params.budget': expected a number ≥ 1000, received -5`);
    expect(msg).toContain('grid point budget=-5');
    expect(msg).toContain(`'experiments[2].params.flow.layerz': expected no such field`);
    // Envelope errors (before any experiment lookup) also come together.
    expect(() => expandSweep({ seeds: [], experiments: [{ experiment: 'double-well', sedes: [1] }] })).toThrow(
      /'seeds': expected length ≥ 1.*'experiments\[0\]\.sedes': expected no such field/,
    );
  });

  it('reads YAML and JSON sweep files as data', async () => {
    const d = await tmp();
    await writeFile(path.join(d, 's.yaml'), 'seeds: [1, 2]\nexperiments:\n  - experiment: double-well\n    quick: true\n');
    await writeFile(path.join(d, 's.json'), JSON.stringify({ seeds: [1, 2], experiments: [{ experiment: 'double-well', quick: true }] }));
    expect(expandSweep(await readSweepFile(path.join(d, 's.yaml')))).toEqual(expandSweep(await readSweepFile(path.join(d, 's.json'))));
    await writeFile(path.join(d, 'bad.yaml'), 'seeds: [1\n');
    await expect(readSweepFile(path.join(d, 'bad.yaml'))).rejects.toThrow(/is not valid YAML/);
  });
});

describe('sweep summary', () => {
  it('bootstrap interval of the mean matches the normal approximation (±1.96 σ̂/√n) for normal data', () => {
    // Box–Muller from a fixed LCG: data independent of the code under test.
    let s = 99;
    const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
    const xs = Array.from({ length: 60 }, () => 3 + 2 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
    const n = xs.length;
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    // The bootstrap distribution of the mean has sd σ̂/√n with σ̂ the plug-in (1/n) sd.
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n / n);
    const iv = bootstrapMean(xs)!;
    expect(iv.mean).toBeCloseTo(mean, 12);
    // Monte-Carlo error of a 2.5 % quantile from 4000 resamples ≈ 0.04 sd; skewness of the mean of 60 normals is ~0.
    expect(Math.abs(iv.lo - (mean - 1.96 * sd)) / sd).toBeLessThan(0.15);
    expect(Math.abs(iv.hi - (mean + 1.96 * sd)) / sd).toBeLessThan(0.15);
    expect(bootstrapMean(xs)).toEqual(iv); // seeded
    expect(bootstrapMean([2.5])).toEqual({ mean: 2.5, lo: 2.5, hi: 2.5, n: 1, excluded: 0 });
    expect(bootstrapMean([1, null, Infinity])).toMatchObject({ mean: 1, n: 1, excluded: 2 });
    expect(bootstrapMean([null])).toBeNull();
  });

  it('computes evals/ESS, cost, ΔF error and the ratio to the best baseline per run, then pools seeds', () => {
    // syntheticResults: rwm ESS 100, mala ESS 200, flow-imh ESS 300, all 10000 evaluations; ΔF estimates −1.6, −1.65, −1.7 vs −1.69.
    const runs = [1, 2, 3].map((seed) => {
      const { artifacts: _a, ...r } = syntheticResults();
      const res: RunSummary = {
        ...r,
        seed,
        samplers: r.samplers.map((x) => ({ ...x, ess: x.ess * seed, setupEnergyEvaluations: x.sampler === 'flow-imh' ? 6400 : 0 })),
      };
      return { id: `r${seed}`, group: 'double-well', results: res };
    });
    const s = summarize('t.yaml', runs, [{ id: 'r9', group: 'double-well', seed: 9, error: 'ENOSPC: <disk> full', attempts: 3 }], 4);
    expect(s.runs).toEqual({ total: 4, completed: 3, failed: 1 });
    const g = s.groups[0];
    expect(g.seeds).toEqual([1, 2, 3]);
    const by = Object.fromEntries(g.samplers.map((x) => [x.sampler, x]));
    const mean3 = (f: (k: number) => number) => (f(1) + f(2) + f(3)) / 3;
    expect(by.rwm.evalsPerEss!.mean).toBeCloseTo(
      mean3((k) => 10000 / (100 * k)),
      9,
    );
    expect(by['flow-imh'].secondsPerEss!.mean).toBeCloseTo(
      mean3((k) => 2.5 / (300 * k)),
      12,
    );
    expect(by['flow-imh'].totalCost!.mean).toBe(16400);
    expect(by.rwm.deltaFError!.mean).toBeCloseTo(0.09, 12);
    // Best baseline in every run is mala (ESS 200k): ratios 1/3 for flow-imh, 2 for rwm, 1 for mala, the same every seed.
    expect(by['flow-imh'].ratioToBestBaseline).toMatchObject({ n: 3 });
    expect(by['flow-imh'].ratioToBestBaseline!.mean).toBeCloseTo(2 / 3, 12);
    expect(by['flow-imh'].ratioToBestBaseline!.lo).toBeCloseTo(2 / 3, 12);
    expect(by.rwm.ratioToBestBaseline!.mean).toBeCloseTo(2, 12);
    expect(g.verdict).toMatch(/flow-imh beats the best plain-MCMC baseline: it needs 0\.667× .*95 % interval 0\.667–0\.667, 3 seeds/);
    const html = summaryHtml(s);
    expect(html).toContain('ENOSPC: &lt;disk&gt; full');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});

describe('sweep bad input', () => {
  it('refuses a results directory another sweep owns, or one that is not a sweep, without --force', async () => {
    const d = await tmp();
    const file = path.join(d, 's.json');
    await writeFile(file, JSON.stringify({ seeds: [1], experiments: [{ experiment: 'double-well', quick: true }] }));
    const out = path.join(d, 'out');
    await mkdir(out);
    await writeFile(path.join(out, 'sweep.json'), JSON.stringify({ specHash: 'f'.repeat(64), file: '/elsewhere/other.yaml' }));
    await expect(runSweep({ file, out, log: () => undefined })).rejects.toThrow(
      /belongs to another sweep \(\/elsewhere\/other\.yaml.*refusing without --force/,
    );
    const notSweep = path.join(d, 'results');
    await mkdir(notSweep);
    await writeFile(path.join(notSweep, 'results.json'), '{}');
    await expect(runSweep({ file, out: notSweep, log: () => undefined })).rejects.toThrow(/is not empty and holds no sweep\.json.*--force/);
    expect(await readFile(path.join(out, 'sweep.json'), 'utf8')).toContain('/elsewhere/other.yaml');
  });

  it('names an unreachable Redis and gives up after the connection timeout', async () => {
    await expect(checkRedis(parseRedisUrl('redis://127.0.0.1:1/0'), 2000)).rejects.toThrow(
      /Cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0: .*connection timeout 2 s/,
    );
    expect(() => parseRedisUrl('http://localhost:6379')).toThrow(/--queue: expected a URL redis:\/\/host:port\/n/);
    expect(() => parseRedisUrl('redis://localhost:6379/99')).toThrow(/n in 0…15/);
    const err: string[] = [];
    const d = await tmp();
    await writeFile(path.join(d, 's.json'), JSON.stringify({ seeds: [1], experiments: [{ experiment: 'double-well' }] }));
    const code = await main(['sweep', path.join(d, 's.json'), '--out', path.join(d, 'o'), '--queue', 'redis://127.0.0.1:1/3'], {
      out: () => undefined,
      err: (l) => err.push(l),
    });
    expect(code).toBe(2);
    expect(err[0]).toMatch(/^boltzflow: error: Cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/3/);
  });

  it('CLI usage errors are one line with exit code 2', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => err.push(l) };
    expect(await main(['sweep'], io)).toBe(2);
    expect(await main(['sweep', 'x.yaml'], io)).toBe(2);
    expect(await main(['sweep', 'x.yaml', '--out', 'o', '--workers', '-1'], io)).toBe(2);
    expect(await main(['worker'], io)).toBe(2);
    expect(err).toEqual([
      expect.stringMatching(/sweep expects one sweep file, received none/),
      expect.stringMatching(/--out DIR is required/),
      expect.stringMatching(/--workers/),
      expect.stringMatching(/worker: --queue redis:\/\/host:port\/n is required/),
    ]);
  });
});

// A real full disk: a 32 KiB tmpfs (this run's results.json alone is larger). Needs root and mount; skipped otherwise.
const canMount = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('sh', ['-c', 'command -v mount && command -v umount'], { stdio: 'ignore' }).status === 0;
})();
if (!canMount) console.warn('sweep.test.ts: not root or no mount: the disk-full test is skipped');

describe.skipIf(!canMount)('sweep on a full disk', () => {
  it('marks the run failed with ENOSPC and leaves nothing half-written', async () => {
    const d = await tmp();
    const mnt = path.join(d, 'small');
    await mkdir(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', mnt]).status !== 0) {
      console.warn('sweep.test.ts: mount -t tmpfs refused: the disk-full test is skipped');
      return;
    }
    try {
      const file = path.join(d, 's.json');
      await writeFile(
        file,
        JSON.stringify({
          seeds: [1],
          report: false,
          experiments: [
            {
              experiment: 'double-well',
              quick: true,
              params: { budget: 4000, chains: 8, samplers: ['rwm', 'mala'], plot: { samplesPerSampler: 1000, tracePoints: 1500, acfLags: 200 } },
            },
          ],
        }),
      );
      const out = path.join(mnt, 'out');
      const o = await runSweep({ file, out, workers: 0, log: () => undefined });
      expect(o.executed).toEqual([]);
      expect(o.failed).toEqual([expect.objectContaining({ error: expect.stringMatching(/ENOSPC/) })]);
      expect(existsSync(path.join(out, 'runs'))).toBe(false);
      expect(existsSync(path.join(out, '.staging')) ? await readdir(path.join(out, '.staging')) : []).toEqual([]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  }, 300_000);
});
