// The start shared by the per-backend child processes (flowWorker, chainsWorker): arguments, backend initialisation and
// the RESULT-line protocol the parent reads (the last line wins, so a worker killed at the hard stop still reports).
import { initBackend } from '@boltzflow/core';

/** What a per-backend worker collects and prints. */
export interface BackendWorkerOutput<Row> {
  backend: string;
  info?: unknown;
  rows: Row[];
  error?: string;
}

/** A started worker: its options, its output so far, and `report(pending)` to print a RESULT line. */
export interface BackendWorker<Row> {
  quick: boolean;
  /** Time budget in milliseconds (argument 3, in seconds). */
  budget: number;
  out: BackendWorkerOutput<Row>;
  /** Prints the finished rows followed by `pending` (the rows not reached, marked as such). */
  report(pending?: Row[]): void;
}

/** Reads `<backend> <quick 0|1> <budgetSeconds>` and initialises the backend; undefined (after reporting) if it failed. */
export async function startBackendWorker<Row>(defaultBudgetSeconds: number): Promise<BackendWorker<Row> | undefined> {
  const [backend, quickArg, budgetArg] = process.argv.slice(2);
  const out: BackendWorkerOutput<Row> = { backend, rows: [] };
  const report = (pending: Row[] = []) => process.stdout.write(`RESULT ${JSON.stringify({ ...out, rows: [...out.rows, ...pending] })}\n`);
  try {
    out.info = await initBackend(backend);
  } catch (e) {
    out.error = (e as Error).message;
    report();
    return undefined;
  }
  return { quick: quickArg === '1', budget: Number(budgetArg ?? defaultBudgetSeconds) * 1000, out, report };
}
