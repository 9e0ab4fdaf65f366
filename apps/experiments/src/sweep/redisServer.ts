import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on the loopback interface (asked of the OS, then released). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  process: ChildProcess;
  /** Everything the server printed. */
  log: string[];
  stop(): Promise<void>;
}

/** The redis-server binary on PATH (or $REDIS_SERVER), or undefined. */
export function redisServerPath(): string | undefined {
  const explicit = process.env.REDIS_SERVER;
  if (explicit) return explicit;
  const r = spawnSync('which', ['redis-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * A throw-away redis-server for tests and benchmarks: loopback only, a free port, no persistence, and a bounded life
 * (`timeout`), so that it goes away even if the process that started it dies without stopping it.
 */
export async function startPrivateRedis(maxLifeSeconds = 900): Promise<PrivateRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server not found (apt-get install -y redis-server, or set REDIS_SERVER)');
  const port = await freeLoopbackPort();
  const proc = spawn('timeout', [String(maxLifeSeconds), bin, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-server did not start within 30 s: ${log.slice(-3).join(' | ')}`)), 30_000);
    const onData = (b: Buffer) => {
      log.push(...b.toString().split('\n').filter(Boolean));
      if (log.some((l) => /Ready to accept connections/.test(l))) {
        clearTimeout(t);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`redis-server exited with ${code}: ${log.slice(-3).join(' | ')}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}/0`,
    process: proc,
    log,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM'); // timeout passes the signal on to redis-server
      await exited;
    },
  };
}
