/**
 * The page's run lifecycle without the DOM (main.ts supplies the DOM side), so that it is testable in Node.
 * @module
 */

/** What a run does to the page around its work. */
export interface RunUi {
  /** Disables the Run button. */
  lock(): void;
  /** Shows a failure to the user (the status line, as a failed import or a bad formula is shown). */
  fail(message: string): void;
  /** Re-enables the Run button, disables Pause and marks the page idle. */
  unlock(): void;
}

/**
 * Locks the page, does `work` (checks, contours, the run, its results) and unlocks the page whatever happens: a
 * failure at any step, the contours' request before the run included, is shown as `Run failed: …` through `ui.fail`
 * instead of escaping the click handler with the Run button still disabled and the page still "running".
 */
export async function guardRun(ui: RunUi, work: () => Promise<void>): Promise<void> {
  try {
    ui.lock();
    await work();
  } catch (e) {
    // comlink rethrows a worker's Error as an Error (a BoltzflowError's message names argument, expected, received); other thrown values as they are.
    ui.fail(`Run failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    ui.unlock();
  }
}
