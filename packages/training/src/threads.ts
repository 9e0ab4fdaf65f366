/**
 * The slice of a Node worker thread that data-parallel training uses, so that the browser side of `#platform` can
 * name the same types without `node:worker_threads`.
 * @module
 */

/** The parent's handle on a worker thread. */
export interface TrainingThread {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

/** A worker thread's side: the port to its parent and the data it was started with. */
export interface ThreadContext {
  port: { postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void; on(event: 'message', listener: (message: unknown) => void): unknown };
  data: unknown;
}
