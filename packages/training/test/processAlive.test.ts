import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../src/index.js';

describe('processAlive', () => {
  it('is true for this process and false for a pid that does not exist', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false); // above Linux's pid_max limit
  });

  it.skipIf(!existsSync('/proc/self/stat'))('counts an exited but unreaped process (a zombie) as gone', async () => {
    // `sleep 0` exits at once; its parent execs into `sleep 5`, which never waits for it, so it stays a zombie.
    const sh = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolve) => sh.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      const state = () => {
        const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return s[s.lastIndexOf(')') + 2];
      };
      for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(state()).toBe('Z'); // the fixture really is a zombie: signal 0 still reaches it
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(processAlive(pid)).toBe(false);
    } finally {
      sh.kill('SIGKILL');
    }
  });
});
