import os from 'node:os';
import { createRequire } from 'node:module';

/** Options every bench section receives. */
export interface BenchOptions {
  quick: boolean;
  /** Backends for the per-backend sections (flow cost). */
  backends: string[];
}

/** One section's output: markdown for BENCHMARKS.md plus machine-readable numbers. */
export interface SectionResult {
  title: string;
  markdown: string;
  data?: unknown;
}

/** Wall seconds of `f`, repeated until at least `minSeconds` have passed (at least `minReps` times); returns seconds per call. */
export function timePerCall(f: () => void, minSeconds: number, minReps = 1, maxReps = 1_000_000): { seconds: number; reps: number } {
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while ((reps < minReps || elapsed < minSeconds * 1000) && reps < maxReps) {
    f();
    reps++;
    elapsed = performance.now() - t0;
  }
  return { seconds: elapsed / 1000 / reps, reps };
}

export async function timePerCallAsync(
  f: () => Promise<void>,
  minSeconds: number,
  minReps = 1,
  maxReps = 1_000_000,
): Promise<{ seconds: number; reps: number }> {
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while ((reps < minReps || elapsed < minSeconds * 1000) && reps < maxReps) {
    await f();
    reps++;
    elapsed = performance.now() - t0;
  }
  return { seconds: elapsed / 1000 / reps, reps };
}

/** Engineering format with 3 significant digits (1.23e6 → "1.23M"). */
export function fmtRate(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  return v.toPrecision(3);
}

export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  return Number(v.toPrecision(digits)).toString();
}

export function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`;
  return `${b} B`;
}

/** Median of a non-empty list (the bench sections report medians of interleaved rounds). */
export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A markdown table from a header and rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Version of an installed package, or undefined. */
export function packageVersion(name: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

export function machineInfo(): { cpu: string; cores: number; memory: string; os: string; node: string } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memory: fmtBytes(os.totalmem()),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** Mean of finite numbers. */
export function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}
