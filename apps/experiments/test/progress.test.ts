import { describe, expect, it } from 'vitest';
import { lineReporter } from '../src/progress.js';

describe('plain progress lines (non-TTY)', () => {
  it('prints a line per quarter and a done line with the last status', () => {
    const lines: string[] = [];
    const r = lineReporter((l) => lines.push(l));
    const bar = r.bar('sampling x', 100);
    for (let i = 1; i <= 100; i++) bar.update(i, { acceptance: 0.25 });
    bar.stop();
    expect(lines.filter((l) => /^sampling x: \d+% /.test(l)).map((l) => l.match(/(\d+)%/)![1])).toEqual(['25', '50', '75']);
    expect(lines.at(-1)).toMatch(/^sampling x: done in .* acceptance 0\.250$/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for terminal escape codes
    expect(lines.join('')).not.toMatch(/\x1b/);
  });
});
