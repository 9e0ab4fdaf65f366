import { parseArgs } from 'node:util';
import { BACKEND_NAMES, isBoltzflowError } from '@boltzflow/core';
import { EXPERIMENTS } from './experiments/registry.js';
import { rebuildReport } from './report/index.js';
import { figuresFor, runExperiment } from './run.js';
import { SEED_MAX } from './config.js';

/** Bad command-line usage: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage:
  boltzflow list
  boltzflow run <name | config.json> [--seed N] [--out DIR] [--backend ${BACKEND_NAMES.join('|')}] [--quick]
  boltzflow report <DIR>
  boltzflow sweep <sweep.json|yaml> --out DIR [--workers N | --queue redis://host:port/n] [--force]
  boltzflow worker --queue redis://host:port/n [--concurrency N]
  boltzflow --help`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

function parseSeed(s: string): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) > SEED_MAX) throw new UsageError(`--seed: expected an integer in [0, ${SEED_MAX}], received ${JSON.stringify(s)}`);
  return Number(s);
}

function parseBackend(s: string): string {
  if (!(BACKEND_NAMES as readonly string[]).includes(s)) throw new UsageError(`--backend: expected one of ${BACKEND_NAMES.join(', ')}, received ${JSON.stringify(s)}`);
  return s;
}

/** Entry point of the `boltzflow` command; returns the exit code (0 ok, 2 on any error). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    io.err(`boltzflow: error: ${oneLine(e)}`);
    if (process.env.BOLTZFLOW_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return 2;
  }
}

function oneLine(e: unknown): string {
  if (isBoltzflowError(e) || e instanceof UsageError) return e.message.replace(/\s*\n\s*/g, ' ');
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`.replace(/\s*\n\s*/g, ' ');
  return String(e);
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  // Sweeps parse their own options; loaded only when asked for (BullMQ, tinypool).
  if ((argv[0] === 'sweep' || argv[0] === 'worker') && !argv.includes('--help') && !argv.includes('-h')) return (await import('./sweep/command.js')).sweepMain(argv, io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        seed: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    // parseArgs reads `--seed -3` as a missing value followed by an option.
    const opt = /Option '(--\w+)[^']*' argument is ambiguous/.exec(msg);
    if (opt) throw new UsageError(`${opt[1]}: expected a value${opt[1] === '--seed' ? ` (an integer in [0, ${SEED_MAX}])` : ''}, received an option-like argument`);
    throw new UsageError(`${msg} (see boltzflow --help)`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    io.out(USAGE);
    return 0;
  }
  switch (command) {
    case 'list': {
      if (rest.length > 0) throw new UsageError(`list takes no arguments, received ${rest.join(' ')}`);
      const w = Math.max(...EXPERIMENTS.map((e) => e.name.length));
      for (const e of EXPERIMENTS) io.out(`${e.name.padEnd(w)}  ${e.description}`);
      return 0;
    }
    case 'run': {
      if (rest.length !== 1) throw new UsageError(`run expects one experiment name or config file, received ${rest.length === 0 ? 'none' : rest.join(' ')} (try boltzflow list)`);
      await runExperiment({
        target: rest[0],
        seed: values.seed !== undefined ? parseSeed(values.seed) : undefined,
        out: values.out,
        backend: values.backend !== undefined ? parseBackend(values.backend) : undefined,
        quick: values.quick,
      });
      return 0;
    }
    case 'report': {
      if (rest.length !== 1) throw new UsageError('report expects one results directory');
      const files = await rebuildReport(rest[0], figuresFor);
      io.out(`report: ${files.html} (${files.figures.length} figures)`);
      return 0;
    }
    case undefined:
      throw new UsageError(`missing command\n${USAGE}`.split('\n')[0] + ' (see boltzflow --help)');
    default:
      throw new UsageError(`unknown command '${command}' (expected list, run, report, sweep or worker; see boltzflow --help)`);
  }
}
