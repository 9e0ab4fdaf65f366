import cliProgress from 'cli-progress';

/** One phase's progress (training, one sampler's sampling). */
export interface ProgressBar {
  /** Sets the absolute position and the status fields shown next to the bar (loss, acceptance, …). */
  update(value: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export interface Reporter {
  /** Starts a bar for a phase with `total` units of work. */
  bar(label: string, total: number): ProgressBar;
  /** A line of text (kept clear of bars). */
  log(message: string): void;
}

function formatInfo(info: Record<string, string | number> | undefined): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : v}`)
    .join(' | ');
}

/** Progress bars with ETA on a terminal (cli-progress). */
export function ttyReporter(stream: NodeJS.WriteStream = process.stdout): Reporter {
  return {
    bar(label, total) {
      const bar = new cliProgress.SingleBar(
        {
          format: `${label.padEnd(24)} [{bar}] {percentage}% | ETA {eta_formatted} | {info}`,
          stream,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(1, total), 0, { info: '' });
      return {
        update: (value, info) => bar.update(Math.min(value, Math.max(1, total)), { info: formatInfo(info) }),
        stop: () => {
          // A phase that ends just short of its nominal total (chunked budgets) still ends at 100 %.
          bar.update(Math.max(1, total));
          bar.stop();
        },
      };
    },
    log: (message) => stream.write(`${message}\n`),
  };
}

/**
 * Plain lines (no control characters) when stdout is not a terminal: a line every 25% and at the end. `onUpdate` runs on
 * every bar update (the sweep pool child checks there, mid-computation, that its parent is still alive).
 */
export function lineReporter(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), steps = 4, onUpdate?: () => void): Reporter {
  return {
    bar(label, total) {
      const start = Date.now();
      let next = 1;
      let last: Record<string, string | number> | undefined;
      let stopped = false;
      return {
        update(value, info) {
          onUpdate?.();
          last = info ?? last;
          const frac = total > 0 ? value / total : 1;
          if (frac * steps >= next && frac < 1) {
            while (frac * steps >= next) next++;
            const s = (Date.now() - start) / 1000;
            write(`${label}: ${Math.round(frac * 100)}% (${s.toFixed(1)} s)${last ? ` ${formatInfo(last)}` : ''}`);
          }
        },
        stop() {
          if (stopped) return;
          stopped = true;
          write(`${label}: done in ${((Date.now() - start) / 1000).toFixed(1)} s${last ? ` ${formatInfo(last)}` : ''}`);
        },
      };
    },
    log: write,
  };
}

/** No output at all (tests). */
export const silentReporter: Reporter = {
  bar: () => ({ update: () => undefined, stop: () => undefined }),
  log: () => undefined,
};

/** Bars on a TTY, plain lines otherwise. */
export function defaultReporter(): Reporter {
  return process.stdout.isTTY ? ttyReporter() : lineReporter();
}
