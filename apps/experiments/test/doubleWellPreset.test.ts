import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DoubleWell } from '@boltzflow/energies';
import { doubleWellCoefficients, doubleWellFormula } from '../src/experiments/doubleWell.js';
import { prepareRun } from '../src/run.js';
import type { DoubleWellParamsT } from '../src/experiments/doubleWell.js';

describe('double-well presets and the formula the report shows', () => {
  it('formats the energy actually run', () => {
    expect(doubleWellFormula({ a: -0.5, b: -6, c: 1, d: 1 })).toBe('x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²');
    expect(doubleWellFormula({ a: 1, b: -6, c: 1, d: 1 })).toBe('x₁⁴ − 6x₁² + x₁ + ½x₂²');
    expect(doubleWellFormula({ a: 0, b: -4, c: 2, d: 3 })).toBe('2x₁⁴ − 4x₁² + ½·3x₂²');
  });

  it('"preset": "bg-paper" runs u = x₁⁴ − 6x₁² + x₁ + ½x₂² (published ΔF = 3.380 kT); letters override the preset', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bf-preset-'));
    const file = path.join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ experiment: 'double-well', params: { energy: { preset: 'bg-paper' } } }));
    const run = await prepareRun({ target: file });
    const k = doubleWellCoefficients((run.params as DoubleWellParamsT).energy);
    expect(k).toEqual({ a: 1, b: -6, c: 1, d: 1 });
    expect(new DoubleWell(k).deltaF()).toBeCloseTo(3.38, 2);
    await writeFile(file, JSON.stringify({ experiment: 'double-well', params: { energy: { preset: 'bg-paper', a: 0.5 } } }));
    const over = await prepareRun({ target: file });
    expect(doubleWellCoefficients((over.params as DoubleWellParamsT).energy).a).toBe(0.5);
    const dflt = await prepareRun({ target: 'double-well' });
    expect(doubleWellCoefficients((dflt.params as DoubleWellParamsT).energy)).toEqual({ a: -0.5, b: -6, c: 1, d: 1 });
  });
});
