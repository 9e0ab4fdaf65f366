import { parseArgs } from 'node:util';
import { BoltzflowError } from '@boltzflow/core';

export const SWEEP_USAGE = `  boltzflow sweep <sweep.json|yaml> --out DIR [--workers N | --queue redis://host:port/n] [--force]
                  [--attempts N] [--backoff-ms MS] [--queue-name NAME]
  boltzflow worker --queue redis://host:port/n [--concurrency N] [--lock-ms MS] [--queue-name NAME]`;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

function usage(message: string): BoltzflowError {
  return new BoltzflowError('INVALID_VALUE', `${message} (see boltzflow --help)`);
}

function intOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw new BoltzflowError('INVALID_VALUE', `--${name}: expected an integer in [${min}, ${max}], received ${JSON.stringify(v)}`, {
      argument: `--${name}`,
      expected: `integer in [${min}, ${max}]`,
      received: v,
    });
  }
  return Number(v);
}

/** parseArgs with its error turned into a one-line usage error. */
function parse<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw usage((e as Error).message.split('\n')[0]);
  }
}

/** `boltzflow sweep …` and `boltzflow worker …` (argv includes the command word). */
export async function sweepMain(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'sweep') {
    const { values, positionals } = parse(() =>
      parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: {
          out: { type: 'string' },
          workers: { type: 'string' },
          queue: { type: 'string' },
          'queue-name': { type: 'string' },
          force: { type: 'boolean' },
          attempts: { type: 'string' },
          'backoff-ms': { type: 'string' },
        },
      }),
    );
    if (positionals.length !== 1) throw usage(`sweep expects one sweep file, received ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
    if (!values.out) throw usage('sweep: --out DIR is required');
    if (values.queue !== undefined && values.workers !== undefined)
      throw usage('sweep: --workers and --queue exclude each other (queue workers are started with boltzflow worker)');
    const { runSweep } = await import('./sweep.js');
    const outcome = await runSweep({
      file: positionals[0],
      out: values.out,
      workers: intOption('workers', values.workers, 0, 1024),
      queue: values.queue,
      queueName: values['queue-name'],
      force: values.force,
      attempts: intOption('attempts', values.attempts, 1, 100),
      backoffMs: intOption('backoff-ms', values['backoff-ms'], 0, 86_400_000),
      log: io.out,
    });
    return outcome.failed.length ? 1 : 0;
  }
  const { values, positionals } = parse(() =>
    parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        queue: { type: 'string' },
        'queue-name': { type: 'string' },
        concurrency: { type: 'string' },
        'lock-ms': { type: 'string' },
      },
    }),
  );
  if (positionals.length) throw usage(`worker takes no positional arguments, received ${positionals.join(' ')}`);
  if (!values.queue) throw usage('worker: --queue redis://host:port/n is required');
  const { parseRedisUrl, startWorker } = await import('./queue.js');
  const target = parseRedisUrl(values.queue);
  const w = await startWorker(target, {
    queueName: values['queue-name'],
    concurrency: intOption('concurrency', values.concurrency, 1, 1024),
    lockMs: intOption('lock-ms', values['lock-ms'], 1000, 3_600_000),
    log: io.out,
  });
  io.out(`worker: pid ${process.pid} taking runs from ${target.url} (Ctrl-C finishes the current runs and stops)`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) {
        // Second signal: leave now; the queue retries the unfinished runs elsewhere once their locks lapse.
        io.out('worker: stopping now');
        process.exit(130);
      }
      stopping = true;
      io.out('worker: stopping after the current runs (signal again to stop now)…');
      void w.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
