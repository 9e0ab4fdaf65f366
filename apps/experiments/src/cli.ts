// Only node built-ins at the top: `--help`, `list` and usage errors must not pay for TensorFlow.js and the experiments,
// which are imported (lazily) by the commands that need them.
import { parseArgs } from 'node:util';

/** Bad command-line usage: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Core's BACKEND_NAMES, spelled out here so that --help needs no import (a test keeps the two equal). */
export const BACKEND_LIST = 'wasm|cpu|node|node-gpu|webgpu';

/**
 * The built-in experiments (names and descriptions of apps/experiments/src/experiments/registry.ts), so that `list`
 * needs no import; a test keeps the two equal.
 */
export const EXPERIMENT_CATALOG: ReadonlyArray<{ name: string; description: string }> = [
  {
    name: 'double-well',
    description:
      '2D double well u = a·x₁ + b·x₁² + c·x₁⁴ + ½·d·x₂² (preset snf: x₁⁴ − 6x₁² − 0.5x₁ + ½x₂²; bg-paper: + x₁): MCMC vs flow-assisted samplers at equal energy-evaluation budget, ΔF against quadrature',
  },
  {
    name: 'mueller-brown',
    description:
      'Müller–Brown potential (k = 0.1, as in the Boltzmann-generator paper): the same sampler comparison, ΔF between basin A and basins B+C against 2D quadrature',
  },
  {
    name: 'gmm-40',
    description: 'GMM-40 (FAB): 40 equal-weight Gaussians (σ = 1.3133) with means in [−40, 40]²; ΔF = F(x₁>0) − F(x₁<0) against its closed form',
  },
  {
    name: 'many-well-32',
    description:
      'FAB many-well, d = 32 (2¹⁶ modes): local MCMC vs a flow trained on exact samples (independence MH + local moves, importance sampling); log Z against the exact value',
  },
  {
    name: 'two-moons',
    description: 'Density estimation on two moons (noise 0.05): MAF vs RealNVP vs neural spline flow trained by maximum likelihood, held-out NLL',
  },
  {
    name: 'dw4',
    description:
      'DW4 (4 particles, 2D, pair double well): E(n)-equivariant CNF (EGNN) trained by equivariant OT flow matching on replica-exchange data; flow IMH + RWM vs RWM at equal energy evaluations, test NLL, Kish ESS',
  },
  {
    name: 'lj13',
    description:
      'LJ13 (13 Lennard-Jones particles, 3D, harmonic confinement): E(n)-equivariant CNF (EGNN) trained by equivariant OT flow matching on replica-exchange data; flow IMH + RWM vs RWM at equal energy evaluations, test NLL, Kish ESS',
  },
  {
    name: 'alanine-dipeptide',
    description:
      'Alanine dipeptide (22 atoms, Amber ff99SB-ILDN, vacuum, 300 K): MALA, HMC and replica exchange on Cartesian coordinates; a Boltzmann generator on internal coordinates (circular splines on torsions) trained by ML on the MD reference (oracle) or from the energy alone (flowmc); torsion moves of (φ, ψ) with the rest kept, uniform (block-mc) or from a torus flow trained from the energy alone (block-flowmc); Ramachandran (φ, ψ) samples and ΔF = F(φ>0) − F(φ<0) against a replica-exchange MD reference',
  },
];

export const USAGE = `usage:
  boltzflow list
  boltzflow run <name | config.json> [--seed N] [--out DIR] [--force] [--backend ${BACKEND_LIST}] [--quick]
  boltzflow report <DIR>
  boltzflow sweep <sweep.json|yaml> --out DIR [--workers N | --queue redis://host:port/n] [--force]
  boltzflow worker --queue redis://host:port/n [--concurrency N]
  boltzflow --help
exit codes: 0 done, 2 error (nothing saved unless it says so), 130 interrupted (Ctrl-C; nothing saved)`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

const OPTIONS = {
  seed: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
  quick: { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseSeed(s: string): number {
  if (!/^\d+$/.test(s.trim())) throw new UsageError(`--seed: expected an integer ≥ 0, received ${JSON.stringify(s)}`);
  return Number(s);
}

/** Edit distance (Levenshtein), for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function unknownOption(opt: string): UsageError {
  const name = opt.replace(/^-+/, '').split('=')[0];
  const best = Object.keys(OPTIONS)
    .map((o) => ({ o, d: distance(name, o) }))
    .sort((x, y) => x.d - y.d)[0];
  const hint = best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean --${best.o}?)` : ' (see boltzflow --help)';
  return new UsageError(`unknown option ${opt.split('=')[0]}${hint}`);
}

/** `--seed -3` → `--seed=-3`, so that a value starting with '-' reaches the option's own check. */
function joinValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (name && name in OPTIONS && OPTIONS[name as keyof typeof OPTIONS].type === 'string' && i + 1 < argv.length) {
      out.push(`${a}=${argv[++i]}`);
    } else out.push(a);
  }
  return out;
}

/** Entry point of the `boltzflow` command; returns the exit code (0 ok, 2 on any error; SIGINT exits 130). */
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
  if (e instanceof UsageError || (e instanceof Error && e.name === 'BoltzflowError')) return e.message.replace(/\s*\n\s*/g, ' ');
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`.replace(/\s*\n\s*/g, ' ');
  return String(e);
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  // Sweeps parse their own options; loaded only when asked for (BullMQ, tinypool).
  if ((argv[0] === 'sweep' || argv[0] === 'worker') && !argv.includes('--help') && !argv.includes('-h'))
    return (await import('./sweep/command.js')).sweepMain(argv, io);
  let parsed;
  try {
    parsed = parseArgs({ args: joinValues(argv), allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = (e as Error).message.split('\n')[0];
    const opt = /'(-[^' ]+)/.exec(msg)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw unknownOption(opt);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(msg)) throw new UsageError(`${opt}: expected a value (see boltzflow --help)`);
    throw new UsageError(`${msg.replace(/'/g, '')} (see boltzflow --help)`);
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
      const w = Math.max(...EXPERIMENT_CATALOG.map((e) => e.name.length));
      for (const e of EXPERIMENT_CATALOG) io.out(`${e.name.padEnd(w)}  ${e.description}`);
      return 0;
    }
    case 'run': {
      if (rest.length !== 1)
        throw new UsageError(`run expects one experiment name or config file, received ${rest.length === 0 ? 'none' : rest.join(' ')} (try boltzflow list)`);
      const seed = values.seed !== undefined ? parseSeed(values.seed) : undefined;
      const [{ SEED_MAX }, { BACKEND_NAMES }] = await Promise.all([import('./config.js'), import('@boltzflow/core')]);
      if (seed !== undefined && seed > SEED_MAX) throw new UsageError(`--seed: expected an integer in [0, ${SEED_MAX}], received ${values.seed}`);
      if (values.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(values.backend)) {
        throw new UsageError(`--backend: expected one of ${BACKEND_NAMES.join(', ')}, received ${JSON.stringify(values.backend)}`);
      }
      const { runExperiment, interruptActiveRun } = await import('./run.js');
      // Ctrl-C: remove the unfinished run's files, say what was (not) saved, exit 130 like an interrupted shell command.
      const onSigint = (): void => {
        io.err(`boltzflow: ${interruptActiveRun() ?? 'interrupted before the run started; nothing was saved'}`);
        process.exit(130);
      };
      process.on('SIGINT', onSigint);
      try {
        await runExperiment({ target: rest[0], seed, out: values.out, backend: values.backend, quick: values.quick, force: values.force });
      } finally {
        process.off('SIGINT', onSigint);
      }
      return 0;
    }
    case 'report': {
      if (rest.length !== 1) throw new UsageError('report expects one results directory');
      const [{ rebuildReport }, { figuresFor }] = await Promise.all([import('./report/index.js'), import('./run.js')]);
      const files = await rebuildReport(rest[0], figuresFor);
      io.out(`report: ${files.html} (${files.figures.length} figures)`);
      return 0;
    }
    case undefined:
      throw new UsageError('missing command (see boltzflow --help)');
    default:
      throw new UsageError(`unknown command '${command}' (expected list, run, report, sweep or worker; see boltzflow --help)`);
  }
}
