import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoltzflowError } from '@boltzflow/core';
import { MAX_CONFIG_BYTES, readConfigFile } from '../src/config.js';
import { prepareRun } from '../src/run.js';
import type { DoubleWellParams } from '../src/experiments/doubleWell.js';

async function tmpConfig(content: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bf-config-'));
  const file = path.join(dir, 'config.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function errorOf(p: Promise<unknown>): Promise<BoltzflowError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BoltzflowError);
    return e as BoltzflowError;
  }
  throw new Error('expected a rejection');
}

describe('config validation', () => {
  it('accepts a good config and fills defaults', async () => {
    const file = await tmpConfig({ experiment: 'double-well', seed: 7, params: { budget: 5000, training: { steps: 10 }, samplers: ['rwm', 'mala'] } });
    const run = await prepareRun({ target: file });
    expect(run.seed).toBe(7);
    const p = run.params as ReturnType<typeof DoubleWellParams.parse>;
    expect(p.budget).toBe(5000);
    expect(p.training.steps).toBe(10);
    expect(p.training.batchSize).toBeGreaterThan(0); // default filled in
    expect(p.energy.preset).toBe('snf'); // default preset: b = −6 (see doubleWellPreset.test.ts)
    expect(p.samplers).toEqual(['rwm', 'mala']);
  });

  it('a built-in name needs no file; --quick overrides apply, CLI seed wins', async () => {
    const run = await prepareRun({ target: 'double-well', quick: true, seed: 3 });
    expect(run.quick).toBe(true);
    expect(run.seed).toBe(3);
    const full = await prepareRun({ target: 'double-well' });
    expect((run.params as { budget: number }).budget).toBeLessThan((full.params as { budget: number }).budget);
  });

  it("an experiment's own defaults apply under the user's params", async () => {
    const mb = await prepareRun({ target: 'mueller-brown' });
    expect((mb.params as { rwm: { scan: number[] } }).rwm.scan[0]).toBeLessThan(0.1);
    const file = await tmpConfig({ experiment: 'mueller-brown', params: { rwm: { scan: [0.3] } } });
    const own = await prepareRun({ target: file });
    expect((own.params as { rwm: { scan: number[]; targetAcceptance: number } }).rwm).toEqual({ scan: [0.3], targetAcceptance: 0.3 });
  });

  it('user params win over quick overrides', async () => {
    const file = await tmpConfig({ experiment: 'double-well', quick: true, params: { budget: 9999 } });
    const run = await prepareRun({ target: file });
    expect((run.params as { budget: number }).budget).toBe(9999);
  });

  it.each([
    [{ experiment: 'double-well', params: { budget: 'lots' } }, 'params.budget', /expected number/],
    [{ experiment: 'double-well', params: { budget: -5 } }, 'params.budget', /≥ 1000/],
    [{ experiment: 'double-well', params: { budget: 2.5e3 + 0.5 } }, 'params.budget', /integer|int/],
    [{ experiment: 'double-well', params: { training: { learningRate: 0 } } }, 'params.training.learningRate', /> 0/],
    [{ experiment: 'double-well', params: { samplers: ['rwm', 'no-such-sampler'] } }, 'params.samplers[1]', /one of "rwm", "rwm-scan", "mala"/],
    [{ experiment: 'double-well', params: { trainnig: {} } }, 'params.trainnig', /unknown key/],
    [{ experiment: 'double-well', seed: -1 }, 'seed', /≥ 0/],
    [{ experiment: 'double-well', backend: 'gpu' }, 'backend', /one of "wasm", "cpu"/],
    [{ experiment: 'double-well', quick: 'yes' }, 'quick', /expected boolean/],
    [{ seed: 1 }, 'experiment', /required field missing/],
  ])('rejects %j naming the field', async (config, field, expected) => {
    const e = await errorOf(prepareRun({ target: await tmpConfig(config) }));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain(`'${field}'`);
    expect(e.message).toMatch(expected);
    expect(e.message).not.toContain('\n');
  });

  it('rejects an unknown experiment listing the known ones', async () => {
    const e = await errorOf(prepareRun({ target: await tmpConfig({ experiment: 'triple-well' }) }));
    expect(e.message).toContain('double-well');
    expect(e.message).toContain('triple-well');
  });

  it('rejects non-JSON and oversized files without evaluating them', async () => {
    const js = await tmpConfig('module.exports = { experiment: "double-well" }');
    expect((await errorOf(readConfigFile(js))).message).toMatch(/not valid JSON/);
    const big = await tmpConfig(JSON.stringify({ experiment: 'double-well', pad: 'x'.repeat(MAX_CONFIG_BYTES) }));
    expect((await errorOf(readConfigFile(big))).message).toMatch(/too large/);
    expect((await errorOf(readConfigFile('/nonexistent/boltzflow.json'))).code).toBe('IO');
  });
});
